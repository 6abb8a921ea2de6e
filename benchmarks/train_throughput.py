"""Benchmark 2: training throughput (tokens/s) of SimpleLLM's training step (chunked loss, fused AdamW) against HF
transformers' GPT2LMHeadModel of the same shape (its own loss, the same AdamW), in fp32 and bf16 autocast, same run.

    python benchmarks/train_throughput.py            # the seed config (batch 8 x 256) and GPT-2 124M (batch 1 x 1024)
    python benchmarks/train_throughput.py --quick    # the seed config only, a few steps

Prints tokens/s and the ratios SimpleLLM / HF (target >= 1.0 at equal precision) and bf16 / fp32 (target >= 1.3 on
CPUs with avx512_bf16). Steps alternate between the contenders so that a busy machine slows both alike.
"""
import argparse, contextlib, time, torch
from transformers import GPT2Config, GPT2LMHeadModel
from simplellm.model import ModelConfig
from simplellm.training import LMLoss, configure_optimizer, cpu_has_bf16
from simplellm.model import SimpleLLM

SHAPES = {'seed (tiny 256/4/4, 8 x 256)': (ModelConfig.preset('tiny'), 8),
          'GPT-2 124M (1 x 1024)': (ModelConfig.preset('gpt2'), 1)}

def hf_model(cfg:ModelConfig):
    c = GPT2Config(vocab_size=cfg.vocab_size, n_positions=cfg.context_length, n_embd=cfg.d_embed, n_layer=cfg.num_layers,
                   n_head=cfg.num_heads, resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout)
    return GPT2LMHeadModel(c)

def make_step(name, cfg, batch, precision):
    "A function doing one training step (forward, loss, backward, AdamW), and the tokens it trains on"
    torch.manual_seed(0)
    x = torch.randint(0, cfg.vocab_size, (batch, cfg.context_length + 1))
    inp, tgt = x[:, :-1], x[:, 1:]                               # (B, T) each
    ac = (lambda: torch.autocast('cpu', torch.bfloat16)) if precision == 'bf16' else contextlib.nullcontext
    if name == 'SimpleLLM':
        m = LMLoss(SimpleLLM(cfg)).train(); opt = configure_optimizer(m)
        def loss(): return m(inp, tgt)
    else:
        m = hf_model(cfg).train(); opt = configure_optimizer(m)
        def loss(): return m(input_ids=x[:, :-1], labels=x[:, :-1]).loss  # HF shifts the labels itself
    def step():
        with ac(): l = loss()
        l.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step, inp.numel()

def bench(cfg, batch, steps):
    fns = {(n, p): make_step(n, cfg, batch, p) for p in ('fp32', 'bf16') for n in ('SimpleLLM', 'HF GPT2LMHeadModel')}
    times = {k: [] for k in fns}
    for k, (f, _) in fns.items(): f()                              # warm up
    for _ in range(steps):
        for k, (f, _) in fns.items():
            t0 = time.perf_counter(); f(); times[k].append(time.perf_counter() - t0)
    return {k: fns[k][1] / sorted(v)[len(v) // 2] for k, v in times.items()}   # tokens/s of the median step

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true'); p.add_argument('--steps', type=int, default=5)
    a = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, cpu bf16: {cpu_has_bf16()}")
    for label, (cfg, batch) in list(SHAPES.items())[:1 if a.quick else None]:
        tps = bench(cfg, batch, 2 if a.quick else a.steps)
        print(f"\n{label}: tokens/s (median step)")
        for (n, prec), v in tps.items(): print(f"  {n:<20} {prec}  {v:9.0f}")
        for prec in ('fp32', 'bf16'): print(f"  SimpleLLM / HF, {prec}: {tps[('SimpleLLM', prec)] / tps[('HF GPT2LMHeadModel', prec)]:.2f}x")
        for n in ('SimpleLLM', 'HF GPT2LMHeadModel'): print(f"  {n} bf16 / fp32: {tps[(n, 'bf16')] / tps[(n, 'fp32')]:.2f}x")
