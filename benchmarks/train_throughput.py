"""Benchmark 2: training throughput (tokens/s) of SimpleLLM's Trainer against HF transformers' GPT2LMHeadModel of the
same shape (its own loss; the same AdamW with decay on matrices, fused; the same gradient clipping), in fp32 and bf16
autocast, same run.

    python benchmarks/train_throughput.py                        # the seed config (8 x 256) and GPT-2 124M (1 x 1024)
    python benchmarks/train_throughput.py --quick                # the seed config only, a few steps
    python benchmarks/train_throughput.py --shapes gpt2 --precisions bf16 --loss-chunks 128 1024   # our loss_chunk knob
    python benchmarks/train_throughput.py --threads 1            # steadier on a machine shared with other jobs

Our step is the Trainer's own (data, forward, chunked loss, backward, clipping, AdamW, schedule), timed between its
callbacks; HF's is the plain loop below. Prints tokens/s of the median step by wall time and by process CPU time
(on a busy machine the CPU time is the steadier figure; with 1 thread it is the time on an idle core), and the
ratios SimpleLLM / HF (target >= 1.0 at equal precision) and bf16 / fp32. Results go to train_throughput.json.
"""
import argparse, contextlib, json, os, time, torch
from transformers import GPT2Config, GPT2LMHeadModel
from simplellm.training import TrainConfig, Trainer, configure_optimizer

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = {'seed': ('seed (tiny 256/4/4, 8 x 256)', dict(model='tiny', batch_size=8)),
          'gpt2': ('GPT-2 124M (1 x 1024)', dict(model='gpt2', batch_size=1))}

def hf_model(mcfg):
    c = GPT2Config(vocab_size=mcfg.vocab_size, n_positions=mcfg.context_length, n_embd=mcfg.d_embed, n_layer=mcfg.num_layers,
                   n_head=mcfg.num_heads, resid_pdrop=mcfg.dropout, embd_pdrop=mcfg.dropout, attn_pdrop=mcfg.dropout)
    return GPT2LMHeadModel(c)

def time_ours(cfg:TrainConfig, ids, steps:int) -> list:
    "(wall, cpu) seconds of each of `steps` Trainer steps after one warm-up step, timed between the Trainer's callbacks"
    stamps = []
    t = Trainer(TrainConfig(**{**cfg.__dict__, 'max_steps': steps + 2, 'eval_every': 10**6, 'ckpt_dir': None, 'progress': False, 'sample_tokens': 0,
                               'early_stopping_patience': None, 'keep_best': False}),
                train_ids=ids, val_ids=ids[:cfg.model_config().context_length + 1],
                callbacks=[lambda t: stamps.append((time.perf_counter(), time.process_time()))])
    t.fit()
    return [(b[0] - a[0], b[1] - a[1]) for a, b in zip(stamps[:steps], stamps[1:steps + 1])]  # the last step's evaluation left out

def time_hf(cfg:TrainConfig, ids, steps:int) -> list:
    mcfg = cfg.model_config()
    torch.manual_seed(cfg.seed)
    m = hf_model(mcfg).train(); opt = configure_optimizer(m, cfg.lr, cfg.weight_decay)  # AdamW as the Trainer makes it
    B, T = cfg.batch_size, mcfg.context_length
    ac = (lambda: torch.autocast('cpu', torch.bfloat16)) if cfg.precision == 'bf16' else contextlib.nullcontext
    out = []
    for i in range(steps + 1):
        x = ids[i * B * T:(i + 1) * B * T].view(B, T)
        t0, c0 = time.perf_counter(), time.process_time()
        with ac(): loss = m(input_ids=x, labels=x).loss   # HF shifts the labels itself
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), cfg.grad_clip)
        opt.step(); opt.zero_grad(set_to_none=True)
        if i: out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out

def median(xs): return sorted(xs)[len(xs) // 2]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true'); p.add_argument('--steps', type=int, default=5)
    p.add_argument('--shapes', nargs='+', default=list(SHAPES), choices=list(SHAPES))
    p.add_argument('--precisions', nargs='+', default=['fp32', 'bf16'], choices=['fp32', 'bf16'])
    p.add_argument('--loss-chunks', type=int, nargs='+', default=[None], help="our loss_chunk values (default: TrainConfig's)")
    p.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's)")
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    shapes = a.shapes[:1] if a.quick else a.shapes
    steps = 2 if a.quick else a.steps
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}", flush=True)
    res = dict(torch=torch.__version__, threads=torch.get_num_threads(), loadavg=os.getloadavg(), date=time.strftime('%Y-%m-%d %H:%M'), shapes={})
    for key in shapes:
        label, over = SHAPES[key]
        print(f"\n{label}: tokens/s of the median step (wall | process CPU)", flush=True)
        rows = {}
        for prec in a.precisions:
            for chunk in a.loss_chunks:
                cfg = TrainConfig(**over, precision=prec, dropout=None, warmup_steps=0, **({'loss_chunk': chunk} if chunk else {}))
                mcfg = cfg.model_config()
                torch.manual_seed(0)
                ids = torch.randint(0, mcfg.vocab_size, ((steps + 3) * cfg.batch_size * mcfg.context_length + 1,))
                name = f"SimpleLLM loss_chunk {cfg.loss_chunk}"
                rows[(name, prec)] = time_ours(cfg, ids, steps)
                if chunk == a.loss_chunks[0]: rows[('HF GPT2LMHeadModel', prec)] = time_hf(cfg, ids, steps)
                tokens = cfg.batch_size * mcfg.context_length
                for k in ((name, prec), ('HF GPT2LMHeadModel', prec)):
                    if k in rows and not isinstance(rows[k], dict):
                        ts = rows[k]; rows[k] = dict(wall_tok_s=tokens / median([w for w, _ in ts]), cpu_tok_s=tokens / median([c for _, c in ts]), steps=ts)
                        print(f"  {k[0]:<28} {prec}  {rows[k]['wall_tok_s']:9.0f} | {rows[k]['cpu_tok_s']:9.0f}", flush=True)
        for (n, prec), r in rows.items():
            if n.startswith('SimpleLLM'):
                hf = rows[('HF GPT2LMHeadModel', prec)]
                print(f"  {n} / HF, {prec}: {r['wall_tok_s'] / hf['wall_tok_s']:.2f}x wall, {r['cpu_tok_s'] / hf['cpu_tok_s']:.2f}x CPU")
        for n in {n for n, _ in rows}:
            if (n, 'bf16') in rows and (n, 'fp32') in rows:
                print(f"  {n} bf16 / fp32: {rows[(n, 'bf16')]['wall_tok_s'] / rows[(n, 'fp32')]['wall_tok_s']:.2f}x wall")
        res['shapes'][label] = {f"{n} {prec}": r for (n, prec), r in rows.items()}
    out = os.path.join(HERE, 'train_throughput.json')
    old = json.load(open(out)) if os.path.exists(out) else []
    json.dump(old + [res], open(out, 'w'), indent=1)
    print('results:', out)
