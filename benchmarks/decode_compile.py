"""The lever of compiling the decoding step, measured on its own: a static-shape step compiled by inductor, ahead of time by AOTInductor, against eager `generate` and llama.cpp, interleaved in one run.

`decode_speed.py` compiles `model.hidden` as `generate` calls it: the cache grows by a token a step, so the graph has
dynamic lengths. This script gives the compiler its best case instead. The step takes one token and its position, and
writes its keys and values into a preallocated cache of `--max-len` positions; attention reads the whole cache through a
mask. So every step has the same shapes, and one static graph serves them all. It times, GPT-2 124M's shape, random weights,
batch 1, greedy, `--new` tokens after a 10-token prompt:
- `generate` on the model as `simplellm chat --dtype fp32` loads it (`pack_linears`), eager: the baseline;
- the static step, eager (the same arithmetic as the compiled ones);
- the static step compiled by `torch.compile` (inductor, no freezing, so float32 stays on `nn.Linear`'s kernel), with the
  Python wrapper and with the C++ wrapper (`cpp_wrapper`), each with its first call's time, which includes compiling (in a fresh inductor cache);
- the static step exported by `torch.export` and compiled ahead of time by AOTInductor (`aoti_compile_and_package`): the
  build time, the load time of the package, and the speed; again with a cache of the whole context (1024 positions for
  GPT-2), as a chat that may fill its context would need, attended through the mask; and as a step of one dynamic size,
  the positions written so far, so that attention reads only those (one graph for every length, exported with a
  `torch.export.Dim`);
- `generate` on the model as `simplellm chat --compile` loads it: with appendix 34's `compile_decoding` (the dynamic-length
  step, built into a package and attached), the time to build it, and its tokens;
- the same static step on the 16-bit model (`Fp16Linear`, FBGEMM), eager and compiled;
- a step's products alone: every Linear of the model once, back to back, on random activations (the floor of a step);
- llama.cpp's `llama-bench -p 0 -n NEW -t THREADS -r 1` on f32 and f16 GGUF files of the same shape (`--gguf-dir`, as
  `decode_speed.py` leaves them; skipped, saying so, when not given).
Each repeat runs every engine once, in turn; the figures are medians. A compile or export that fails is recorded with
its one-line reason.

    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \\
    python benchmarks/decode_compile.py --json benchmarks/decode_compile.json --llama-bench PATH/llama-bench --gguf-dir DIR
    python benchmarks/decode_compile.py --quick          # smoke run: a tiny model, no llama.cpp
"""
import argparse, atexit, copy, json, os, shutil, statistics, sys, tempfile, time, traceback, warnings
from pathlib import Path
if 'TORCHINDUCTOR_CACHE_DIR' not in os.environ:                     # a cold cache, so compile times are first-ever times; removed at exit
    os.environ['TORCHINDUCTOR_CACHE_DIR'] = _cache = tempfile.mkdtemp(prefix='inductor-')
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
import torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's simplellm, not another installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent))
from decode_speed import cpu_info, llama_bench                  # this folder's scripts import each other

class StaticStep(nn.Module):
    "One decoding step of `model` with static shapes: token (1, 1) at position `pos` (1,), a cache of `max_len` positions; returns the logits (1, V)"
    def __init__(self, model, max_len:int):
        super().__init__()
        cfg = model.cfg
        self.m, self.max_len, self.H, self.C = model, max_len, cfg.num_heads, cfg.d_embed
        hd, dt = cfg.d_embed // cfg.num_heads, model.tok_emb.weight.dtype
        for i in range(cfg.num_layers):                             # one buffer per layer: a mutation touches only its layer
            self.register_buffer(f'k{i}', torch.zeros(1, cfg.num_heads, max_len, hd, dtype=dt))   # (1, H, max_len, hd)
            self.register_buffer(f'v{i}', torch.zeros(1, cfg.num_heads, max_len, hd, dtype=dt))

    def forward(self, tok, pos):                                    # tok (1, 1) long, pos (1,) long
        m, H, C = self.m, self.H, self.C
        x = m.tok_emb(tok) + m.pos_emb(pos)[None]                   # (1, 1, C)
        mask = (torch.arange(self.max_len, device=tok.device) <= pos)[None, None, None]   # (1, 1, 1, max_len): the positions seen
        for i, b in enumerate(m.blocks):
            q, k, v = b.attn.qkv(b.ln1(x)).split(C, dim=2)          # 3 x (1, 1, C)
            q, k, v = (t.view(1, 1, H, C // H).transpose(1, 2) for t in (q, k, v))   # (1, H, 1, hd) each
            K, V = getattr(self, f'k{i}'), getattr(self, f'v{i}')
            K.index_copy_(2, pos, k.to(K.dtype)); V.index_copy_(2, pos, v.to(V.dtype))     # write this position into the cache
            y = F.scaled_dot_product_attention(q.to(K.dtype), K, V, attn_mask=mask)   # (1, H, 1, hd)
            x = x + b.attn.proj(y.transpose(1, 2).reshape(1, 1, C))       # (1, 1, C)
            x = x + b.ff(b.ln2(x))
        return m.lm_head(m.ln_f(x)[:, -1])                           # (1, V)

class DynamicStep(StaticStep):
    "StaticStep whose attention reads only the positions written so far: `span` (n,) is an empty tensor whose size n = pos + 1 is the graph's one dynamic size"
    def forward(self, tok, pos, span):                              # tok (1, 1), pos (1,), span (n,)
        m, H, C, n = self.m, self.H, self.C, span.shape[0]
        x = m.tok_emb(tok) + m.pos_emb(pos)[None]                   # (1, 1, C)
        for i, b in enumerate(m.blocks):
            q, k, v = b.attn.qkv(b.ln1(x)).split(C, dim=2)          # 3 x (1, 1, C)
            q, k, v = (t.view(1, 1, H, C // H).transpose(1, 2) for t in (q, k, v))   # (1, H, 1, hd) each
            K, V = getattr(self, f'k{i}'), getattr(self, f'v{i}')
            K.index_copy_(2, pos, k.to(K.dtype)); V.index_copy_(2, pos, v.to(V.dtype))
            y = F.scaled_dot_product_attention(q.to(K.dtype), K[:, :, :n], V[:, :, :n])   # (1, H, 1, hd): no mask, no unwritten positions
            x = x + b.attn.proj(y.transpose(1, 2).reshape(1, 1, C))       # (1, 1, C)
            x = x + b.ff(b.ln2(x))
        return m.lm_head(m.ln_f(x)[:, -1])                           # (1, V)

def static_decode(step, prompt, new:int, dynamic:bool=False):
    "Greedy decoding through `step` (a DynamicStep if `dynamic`): the prompt one token at a time, then `new` tokens; returns the new ids"
    out, pos = [], 0
    span = (lambda p: torch.empty(p + 1)) if dynamic else None
    def call(tok, pos): return step(tok, torch.tensor([pos]), span(pos)) if dynamic else step(tok, torch.tensor([pos]))
    for t in prompt[0].tolist(): logits = call(torch.tensor([[t]]), pos); pos += 1   # tensors made here, like argmax's: one graph
    for _ in range(new):
        tok = logits.argmax(-1, keepdim=True)                       # (1, 1)
        out.append(int(tok)); logits = call(tok, pos); pos += 1
    return out

def timed(fn):
    t = time.perf_counter(); r = fn(); return r, time.perf_counter() - t

def one_line(e): return f'{type(e).__name__}: {str(e).strip().splitlines()[0][:300]}' if str(e).strip() else type(e).__name__

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--json', type=Path, help='write the results here')
    p.add_argument('--new', type=int, default=100, help='new tokens per run')
    p.add_argument('--repeats', type=int, default=5, help='runs of each engine (medians are reported)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--max-len', type=int, default=256, help='positions in the static cache')
    p.add_argument('--llama-bench', help='llama.cpp llama-bench binary')
    p.add_argument('--gguf-dir', type=Path, help='folder with gpt2-random-f32.gguf and gpt2-random-f16.gguf (decode_speed.py makes them)')
    p.add_argument('--quick', action='store_true', help='tiny model, 1 repeat: a smoke run')
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    warnings.simplefilter('ignore')
    from simplellm.model import ModelConfig, SimpleLLM
    from simplellm.sampling import generate
    from simplellm.quant import pack_linears
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=50257, context_length=1024, d_embed=64, num_heads=4, num_layers=2, dropout=0.0) if a.quick \
          else ModelConfig.preset('gpt2', dropout=0.0)
    base = SimpleLLM(cfg).eval()
    new, repeats = (10, 1) if a.quick else (a.new, a.repeats)
    prompt = torch.randint(0, cfg.vocab_size, (1, 10))
    res = dict(date=time.strftime('%Y-%m-%d %H:%M'), cpu=cpu_info(), threads=a.threads, new_tokens=new, repeats=repeats,
               max_len=a.max_len, quick=a.quick, engines={}, compile_s={}, failed={})
    m32 = pack_linears(copy.deepcopy(base))                         # as `chat --dtype fp32` loads it
    m16 = pack_linears(copy.deepcopy(base).to(torch.bfloat16))      # `--dtype bf16`: float16 weights on FBGEMM without bf16 instructions
    res['kernels'] = {'fp32': sorted({type(l).__name__ for l in m32.modules() if hasattr(l, 'out_features')}),
                      '16-bit': sorted({type(l).__name__ for l in m16.modules() if hasattr(l, 'out_features')})}
    engines = {}
    with torch.inference_mode():
        ref = generate(m32, prompt, new, temperature=0)[0, prompt.shape[1]:].tolist()
        engines['fp32 generate (eager, as chat)'] = lambda: generate(m32, prompt, new, temperature=0)
        s32 = StaticStep(m32, a.max_len).eval()
        engines['fp32 static step, eager'] = lambda: static_decode(s32, prompt, new)
        res['same_tokens_static_eager'] = static_decode(s32, prompt, new) == ref
        for name, opts in (('fp32 static step, inductor', {}), ('fp32 static step, inductor, C++ wrapper', {'cpp_wrapper': True})):
            try:
                s = StaticStep(m32, a.max_len).eval(); c = torch.compile(s, dynamic=False, options=opts)
                toks, res['compile_s'][name] = timed(lambda: static_decode(c, prompt, new))
                res[f'same_tokens: {name}'] = toks == ref
                engines[name] = lambda c=c: static_decode(c, prompt, new)
            except Exception as e: res['failed'][name] = one_line(e)
        ctx = cfg.context_length
        aot_variants = ((a.max_len, 'fp32 static step, AOTInductor'),
                        (ctx, f'fp32 static step, AOTInductor, {ctx} positions'),   # the whole context a chat may fill, masked
                        (ctx, f'fp32 dynamic-length step, AOTInductor, up to {ctx - 1} positions'))   # the same, reading only what is written
        for n_pos, name in aot_variants:
            dyn = 'dynamic' in name
            try:
                s = (DynamicStep if dyn else StaticStep)(m32, n_pos).eval()
                ex = (torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, dtype=torch.long)) + ((torch.empty(5),) if dyn else ())
                shapes = (None, None, {0: torch.export.Dim('n', min=1, max=n_pos - 1)}) if dyn else None   # n = n_pos gets a guard of its own
                with tempfile.TemporaryDirectory() as d:
                    t = time.perf_counter()
                    ep = torch.export.export(s, ex, dynamic_shapes=shapes)
                    pkg = torch._inductor.aoti_compile_and_package(ep, package_path=str(Path(d)/'step.pt2'))
                    res['compile_s'][name + ' (export + build)'] = time.perf_counter() - t
                    res['aoti_package_mb'] = Path(pkg).stat().st_size / 1e6
                    aot, res['compile_s'][name + ' (load the package)'] = timed(lambda: torch._inductor.aoti_load_package(pkg))
                toks = static_decode(aot, prompt, new, dyn)
                res[f'same_tokens: {name}'] = toks == ref
                engines[name] = lambda aot=aot, dyn=dyn: static_decode(aot, prompt, new, dyn)
            except Exception as e: res['failed'][name] = one_line(e); traceback.print_exc()
        name = 'fp32 generate, compile_decoding (chat --compile)'       # appendix 34: what `simplellm chat --compile` runs
        try:
            from simplellm.aot import compile_decoding
            with tempfile.TemporaryDirectory() as d:
                t = time.perf_counter()
                mc = pack_linears(compile_decoding(copy.deepcopy(base), d, verbose=False))   # as load_model(..., compile=True) loads it
                res['compile_s'][name] = time.perf_counter() - t
            res[f'same_tokens: {name}'] = generate(mc, prompt, new, temperature=0)[0, prompt.shape[1]:].tolist() == ref
            engines[name] = lambda: generate(mc, prompt, new, temperature=0)
        except Exception as e: res['failed'][name] = one_line(e); traceback.print_exc()
        s16 = StaticStep(m16, a.max_len).eval()
        ref16 = generate(m16, prompt, new, temperature=0)[0, prompt.shape[1]:].tolist()
        engines['16-bit generate (eager, as chat)'] = lambda: generate(m16, prompt, new, temperature=0)
        engines['16-bit static step, eager'] = lambda: static_decode(s16, prompt, new)
        name = '16-bit static step, inductor, C++ wrapper'
        try:
            c16 = torch.compile(StaticStep(m16, a.max_len).eval(), dynamic=False, fullgraph=True, options={'cpp_wrapper': True})
            toks, res['compile_s'][name] = timed(lambda: static_decode(c16, prompt, new))
            res[f'same_tokens: {name}'] = toks == ref16
            engines[name] = lambda: static_decode(c16, prompt, new)
        except Exception as e: res['failed'][name] = one_line(e)
    llama = {}
    if a.llama_bench and a.gguf_dir and not a.quick:
        for t in ('f32', 'f16'):
            f = a.gguf_dir/f'gpt2-random-{t}.gguf'
            if f.is_file(): llama[f'llama.cpp {t}'] = f
        res['llama_cpp'] = {'command': f'llama-bench -p 0 -n {new} -t {a.threads} -r 1', 'files': {k: str(v) for k, v in llama.items()}}
    else: res['llama_cpp'] = {'ran': False, 'why_not': 'no --llama-bench/--gguf-dir given' if not a.quick else '--quick'}
    def products(model):                                            # a step's products alone: every Linear once, back to back
        lins = [l for l in model.modules() if hasattr(l, 'out_features')]
        xs = [torch.randn(1, 1, l.in_features, dtype=torch.float32 if type(l).__name__ in ('Fp16Linear', 'Int8DynamicLinear') else model.tok_emb.weight.dtype)
              for l in lins]                                          # FBGEMM's take float32 activations; the others the model's dtype
        return lambda: [l(x) for _ in range(new) for l, x in zip(lins, xs)]
    engines['fp32 products alone'], engines['16-bit products alone'] = products(m32), products(m16)
    tok_s = {k: [] for k in [*engines, *llama]}
    for r in range(repeats):
        with torch.inference_mode():
            for k, fn in engines.items():
                _, dt = timed(fn); tok_s[k].append(new / dt)
        for k, f in llama.items(): tok_s[k].append(llama_bench(a.llama_bench, f, new, a.threads)[0])
        print(f'repeat {r + 1}/{repeats}:', {k: round(v[-1], 1) for k, v in tok_s.items()}, flush=True)
    res['engines'] = {k: statistics.median(v) for k, v in tok_s.items() if v}
    res['spread_tok_s'] = {k: [min(v), max(v)] for k, v in tok_s.items() if v}
    e = res['engines']
    base32, base16 = e['fp32 generate (eager, as chat)'], e['16-bit generate (eager, as chat)']
    res['step_ms'] = {k: 1e3 / v for k, v in e.items()}                 # the same figures as milliseconds a token
    prod = {w: res['step_ms'].pop(f'{w} products alone') for w in ('fp32', '16-bit')}
    e = res['engines'] = {k: v for k, v in e.items() if 'products alone' not in k}
    res['products_ms'] = prod                                           # the floor of a step: its products, nothing else
    res['beyond_products_ms'] = {k: v - prod['16-bit' if k.startswith('16-bit') else 'fp32'] for k, v in res['step_ms'].items() if not k.startswith('llama')}
    res['vs_generate'] = {k: v / (base16 if k.startswith('16-bit') else base32) for k, v in e.items() if not k.startswith('llama')}
    if 'llama.cpp f32' in e: res['vs_llama_cpp'] = {k: v / e['llama.cpp f16' if k.startswith('16-bit') else 'llama.cpp f32']
                                                    for k, v in e.items() if not k.startswith('llama')}
    print(json.dumps({k: res[k] for k in ('engines', 'vs_generate', 'vs_llama_cpp', 'products_ms', 'beyond_products_ms', 'compile_s', 'failed') if k in res}, indent=1))
    if a.json: a.json.write_text(json.dumps(res, indent=2) + '\n')
    return res

if __name__ == '__main__': main()
