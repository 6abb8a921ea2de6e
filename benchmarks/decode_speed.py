"""Decoding speed at each width (32, 16 and 8 bits): SimpleLLM as `simplellm chat` loads it, llama.cpp's llama-bench and HF transformers, interleaved in one run.

At batch 1 a decoding step reads every weight once, so tokens/s <= read bandwidth / weight bytes. This script measures, in one
run, on GPT-2 124M's shape with random weights (speed does not depend on their values), greedy decoding of `--new` tokens
after a 10-token prompt, batch 1:
- SimpleLLM as `simplellm.cli.load_model` loads it for `--dtype fp32/bf16/int8` (`pack_linears`: float32 on nn.Linear
  (MKL) on Intel CPUs, else oneDNN-packed;
  bfloat16, or float16 weights on a CPU without bf16 instructions; int8 weights and activations on FBGEMM), and the
  plain modules for reference (nn.Linear float32, oneDNN-packed float32, bfloat16, `_weight_int8pack_mm` int8);
- llama.cpp: `llama-bench -p 0 -n NEW -t THREADS -r 1` on the same weights converted by llama.cpp's own
  `convert_hf_to_gguf.py` to f32, f16, bf16 and q8_0 (skipped, saying so, when the binaries are not given);
- HF transformers' `generate` in float32 and bfloat16;
- onnxruntime, the maintained CPU kernel library (MLAS) behind `simplellm export-onnx`: the same weights exported with
  the cache graph, greedy through `onnx_generate`, in float32 and in int8 by onnxruntime's own `quantize_dynamic`
  (`--no-onnx` skips it);
- the lever of compiling the decoding step: the packed and the plain float32 model with their blocks compiled by inductor
  (weights frozen, dynamic lengths), with the first call's time, which includes compiling (`--no-compile` skips it).
Each repeat runs every one of them once, in turn, so that a noisy neighbour slows them alike; the figures are medians.
Also: the read bandwidth (`torch.sum` over 1 GiB), where a step's time goes (`torch.profiler`), the output head alone on
each kernel, 1 thread against 2, the per-step overhead, the course model's perplexity at each width, the CPU's model
and flags and the load.

    python benchmarks/decode_speed.py --json benchmarks/decode_speed.json \\
        --llama-bench /path/to/llama-bench --llama-convert /path/to/llama.cpp/convert_hf_to_gguf.py
    python benchmarks/decode_speed.py --quick          # smoke run: tiny shapes, seconds, no llama.cpp

llama.cpp is not part of SimpleLLM: build it apart (README of llama.cpp; e.g. from the source that
`pip download --no-binary :all: llama-cpp-python` fetches), and give the two paths by the flags above or by the
environment variables LLAMA_BENCH and LLAMA_CONVERT. `convert_hf_to_gguf.py` needs `pip install gguf`.
"""
import argparse, copy, json, math, os, platform, statistics, subprocess, sys, tempfile, time, warnings
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's simplellm, not another installed copy

def median_time(fn, repeats:int, warmup:int=1) -> float:
    "The median of `repeats` calls (after `warmup`), in seconds"
    for _ in range(warmup): fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

def read_bandwidth(gib:float, repeats:int) -> float:
    "Read bandwidth in GB/s: torch.sum over `gib` GiB of float32 (median)"
    x = torch.ones(int(gib * 2**30) // 4)
    return x.numel() * 4 / median_time(lambda: x.sum(), repeats) / 1e9

def cpu_info() -> dict:
    "lscpu's model name and flags, PyTorch's kernel level, and the load average"
    out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout if Path('/usr/bin/lscpu').exists() else ''
    field = {l.split(':', 1)[0].strip(): l.split(':', 1)[1].strip() for l in out.splitlines() if ':' in l}
    from simplellm.quant import native_bf16, fbgemm_available
    return dict(model=field.get('Model name', platform.processor()), flags=field.get('Flags', '').split(),
                cpus=os.cpu_count(), torch_capability=torch.backends.cpu.get_cpu_capability(), native_bf16=native_bf16(),
                fbgemm=fbgemm_available(), torch=torch.__version__,
                env={k: os.environ[k] for k in ('ATEN_CPU_CAPABILITY', 'ONEDNN_MAX_CPU_ISA', 'MKL_ENABLE_INSTRUCTIONS', 'OMP_NUM_THREADS') if k in os.environ})

def build(quick:bool, folder:Path):
    "Random GPT-2 124M-shaped weights, saved by SimpleLLM's save_pretrained as an HF folder; the same folder loaded by HF"
    from transformers import GPT2LMHeadModel
    from transformers.utils import logging; logging.set_verbosity_error(); logging.disable_progress_bar()
    from simplellm.model import SimpleLLM, ModelConfig
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=50257, context_length=1024, d_embed=64, num_heads=4, num_layers=2, dropout=0.0) if quick \
          else ModelConfig.preset('gpt2', dropout=0.0)
    SimpleLLM(cfg).save_pretrained(folder)
    return GPT2LMHeadModel.from_pretrained(folder).eval()

def quiet_load(folder, dtype:str, packed:bool=True):
    "The model as `simplellm --dtype` loads it (`packed`), or the plain module from_pretrained gives"
    from simplellm.cli import load_model
    from simplellm.model import SimpleLLM
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return load_model(str(folder), dtype)[0] if packed else SimpleLLM.from_pretrained(folder, dtype=dtype, dropout=0.0).eval()

def compile_step(model):
    "`model` with its blocks (`hidden`, what `generate` calls before the head) compiled by inductor, weights frozen, lengths dynamic"
    # freezing: constant weights, which inductor folds and prepacks (at the first call, in inference mode); set for this
    # compile alone through `options`, so later compiles in the process keep inductor's defaults
    model.hidden = torch.compile(model.hidden, dynamic=True, options={'freezing': True})   # one graph for every cache length; the head is one product
    return model

# --- onnxruntime ----------------------------------------------------------------------------------------------------
def onnx_models(folder:Path, out:Path, threads:int) -> dict:
    "The same weights exported with the cache graph by `export_onnx`, run by onnxruntime (its MLAS kernels): fp32, and int8 by onnxruntime's own `quantize_dynamic` (per channel)"
    from simplellm.model import SimpleLLM
    from simplellm.export import export_onnx, OnnxModel
    from onnxruntime.quantization import quantize_dynamic, QuantType
    import logging; logging.getLogger().setLevel(logging.ERROR)         # quantize_dynamic suggests pre-processing on the root logger
    f32 = export_onnx(SimpleLLM.from_pretrained(folder, dropout=0.0).eval(), out/'model.onnx')
    quantize_dynamic(str(f32), str(out/'model-int8.onnx'), weight_type=QuantType.QInt8, per_channel=True)
    return {'onnxruntime fp32': OnnxModel(f32, threads), 'onnxruntime int8 (quantize_dynamic)': OnnxModel(out/'model-int8.onnx', threads)}

# --- llama.cpp ------------------------------------------------------------------------------------------------------
LLAMA_TYPES = {'fp32': ['f32'], '16-bit': ['f16', 'bf16'], '8-bit': ['q8_0']}

def llama_paths(args):
    "(llama-bench, convert_hf_to_gguf.py) if both are given and exist, else None, and why"
    bench, conv = args.llama_bench or os.environ.get('LLAMA_BENCH'), args.llama_convert or os.environ.get('LLAMA_CONVERT')
    if not bench or not conv: return None, 'no --llama-bench/--llama-convert (or LLAMA_BENCH/LLAMA_CONVERT) given'
    for p in (bench, conv):
        if not Path(p).is_file(): return None, f'{p} does not exist'
    return (bench, conv), None

def convert_gguf(conv:str, folder:Path, out:Path) -> dict:
    "The HF folder converted by llama.cpp's convert_hf_to_gguf.py to each of f32, f16, bf16 and q8_0: {type: path}"
    files = {}
    for t in [t for ts in LLAMA_TYPES.values() for t in ts]:
        f = out/f'gpt2-random-{t}.gguf'
        r = subprocess.run([sys.executable, conv, str(folder), '--outtype', t, '--outfile', str(f)], capture_output=True, text=True)
        if r.returncode: raise RuntimeError(f'convert_hf_to_gguf.py --outtype {t} failed: {r.stderr.strip().splitlines()[-1]}')
        files[t] = f
    return files

def llama_bench(bench:str, gguf:Path, new:int, threads:int) -> tuple:
    "tokens/s of one `llama-bench -p 0 -n new -t threads -r 1` run, and its JSON record"
    r = subprocess.run([bench, '-m', str(gguf), '-p', '0', '-n', str(new), '-t', str(threads), '-r', '1', '-o', 'json'],
                       capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f'llama-bench failed on {gguf.name}: {r.stderr.strip().splitlines()[-1:]}')
    rec = json.loads(r.stdout)[0]
    return rec['avg_ts'], rec

# --- levers ---------------------------------------------------------------------------------------------------------
def head_levers(d_embed:int, repeats:int) -> dict:
    "The output head alone (50257 x d_embed, one token), ms per call (median) on each kernel, and the GB/s it reads"
    import torch.nn.functional as F, torch._inductor.config as icfg
    from simplellm.quant import Int8Linear, PackedLinear, Fp16Linear, Int8DynamicLinear, native_bf16, fbgemm_available
    torch.manual_seed(0)
    head = torch.nn.Linear(d_embed, 50257, bias=False).eval()
    x = torch.randn(1, d_embed)
    hb, xb = copy.deepcopy(head).to(torch.bfloat16), x.bfloat16()
    hq = Int8Linear.from_linear(head)
    runs = {'fp32 nn.Linear': (lambda: head(x), 4), 'fp32 packed (oneDNN)': (lambda p=PackedLinear(head): p(x), 4),
            'bf16 nn.Linear': (lambda: hb(xb), 2), 'bf16 weights, fp32 product (convert per call)': (lambda: F.linear(x, hb.weight.float()), 2),
            'fp16 weights and activations, F.linear': (lambda w=head.weight.half(), xh=x.half(): F.linear(xh, w), 2),
            'int8 weight-only (_weight_int8pack_mm)': (lambda: hq(xb), 1)}
    if native_bf16(): runs['bf16 packed (oneDNN)'] = (lambda p=PackedLinear(hb): p(xb), 2)
    if fbgemm_available():
        runs['fp16 weights, fp32 activations (FBGEMM)'] = (lambda p=Fp16Linear(head): p(x), 2)
        runs['int8 weights and activations (FBGEMM)'] = (lambda p=Int8DynamicLinear.from_int8(hq): p(x), 1)
    out, gbs = {}, {}
    with torch.inference_mode():
        for k, (fn, nbytes) in runs.items():
            out[k] = median_time(fn, repeats, 3) * 1e3; gbs[k] = 50257 * d_embed * nbytes / out[k] / 1e6
        old, compile_s = icfg.freezing, None
        try:
            icfg.freezing = True
            torch._dynamo.reset()
            hc = torch.compile(head)
            t = time.perf_counter(); hc(x); compile_s = time.perf_counter() - t
            out['fp32 compiled (inductor, freezing)'] = median_time(lambda: hc(x), repeats, 3) * 1e3
            gbs['fp32 compiled (inductor, freezing)'] = 50257 * d_embed * 4 / out['fp32 compiled (inductor, freezing)'] / 1e6
        except Exception as e: print(f"  torch.compile unavailable: {str(e).splitlines()[0]}")
        finally: icfg.freezing = old
    return dict(ms=out, gbs=gbs, compile_s=compile_s)

def step_profile(model, idx, new:int) -> dict:
    "Where one decoding step's time goes (ms per token): torch.profiler's self time per kind of op, and what is left (Python, the loop)"
    from torch.profiler import profile, ProfilerActivity
    from simplellm.sampling import generate
    kinds = {'linear products': ('linear_pointwise', 'addmm', 'aten::mm', 'linear_dynamic', 'weight_int8pack', 'aten::bmm'),
             'attention (SDPA)': ('scaled_dot_product', 'flash_attention'), 'layer norm': ('layer_norm',), 'gelu': ('gelu',)}
    with torch.inference_mode():
        generate(model, idx, 3, temperature=0)
        with profile(activities=[ProfilerActivity.CPU]) as p:
            t = time.perf_counter(); generate(model, idx, new, temperature=0); wall = time.perf_counter() - t
    out = {k: 0.0 for k in kinds} | {'other ops': 0.0}
    for e in p.key_averages():
        k = next((k for k, names in kinds.items() if any(n in e.key for n in names)), 'other ops')
        out[k] += e.self_cpu_time_total / 1e3 / new
    out['outside ops (Python, dispatch, profiler)'] = wall * 1e3 / new - sum(out.values())
    return out

def python_overhead(new:int, repeats:int) -> dict:
    "ms per greedy step of a model with GPT-2's 12 layers but tiny widths: nearly all of it is Python and op dispatch"
    from simplellm.model import SimpleLLM, ModelConfig
    from simplellm.sampling import generate
    torch.manual_seed(0)
    m = SimpleLLM(ModelConfig(vocab_size=256, context_length=1024, d_embed=32, num_heads=4, num_layers=12, dropout=0.0)).eval()
    idx = torch.randint(0, 256, (1, 10))
    with torch.inference_mode(): return {'fp32': median_time(lambda: generate(m, idx, new, temperature=0), repeats) / new * 1e3}

def quality(new:int) -> dict:
    "The course model's perplexity on The Verdict's held-out last 10% at each width, as loaded and as decoded; and fp16's range"
    from simplellm.course import course_model
    from simplellm.data import load_text, get_tokenizer, ENDOFTEXT
    from simplellm.quant import quantize_int8, window_perplexity, pack_linears
    text = load_text('the-verdict')
    ids = get_tokenizer().encode(text[int(0.9 * len(text)):], allowed_special={ENDOFTEXT})
    m = course_model(progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        models = {'fp32': m, 'fp32 packed': pack_linears(copy.deepcopy(m)), 'bf16': copy.deepcopy(m).to(torch.bfloat16),
                  'bf16 as decoded (every layer)': pack_linears(copy.deepcopy(m).to(torch.bfloat16), min_weights=0),
                  'int8 weight-only': quantize_int8(copy.deepcopy(m)), 'int8 as decoded': pack_linears(quantize_int8(copy.deepcopy(m)))}
    ppl = {k: window_perplexity(v, ids) for k, v in models.items()}
    peak = 0.0                                                    # the largest activation entering or leaving a Linear, fp32
    def hook(mod, inp, out):
        nonlocal peak; peak = max(peak, inp[0].abs().max().item(), out.abs().max().item())
    hs = [mod.register_forward_hook(hook) for mod in m.modules() if isinstance(mod, torch.nn.Linear)]
    window_perplexity(m, ids)
    for h in hs: h.remove()
    return dict(ppl=ppl, change={k: ppl[k] / ppl['fp32'] - 1 for k in ppl if k != 'fp32'}, tokens=len(ids),
                largest_linear_activation=peak, float16_max=torch.finfo(torch.float16).max)

# --- main -----------------------------------------------------------------------------------------------------------
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='smoke run: tiny model shape, 10 new tokens, 1 repeat, 0.25 GiB, no llama.cpp')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--new', type=int, default=None, help='new tokens per run (default 100)')
    p.add_argument('--repeats', type=int, default=None, help='interleaved runs; the figures are their medians (default 5)')
    p.add_argument('--llama-bench', default=None, help="llama.cpp's llama-bench binary (or $LLAMA_BENCH)")
    p.add_argument('--llama-convert', default=None, help="llama.cpp's convert_hf_to_gguf.py (or $LLAMA_CONVERT)")
    p.add_argument('--no-compile', action='store_true', help='skip the compiled decoding step (torch.compile takes a minute or two)')
    p.add_argument('--no-onnx', action='store_true', help='skip onnxruntime (exporting and quantizing take about half a minute)')
    p.add_argument('--no-ppl', action='store_true', help='skip the perplexity check (it needs the course model)')
    p.add_argument('--json', default=None, help='also write the figures to this JSON file')
    args = p.parse_args(argv)
    from simplellm.sampling import generate
    from simplellm.quant import weight_bytes
    torch.set_num_threads(args.threads)
    new = args.new or (10 if args.quick else 100)
    slow_new = max(new // 5, 5)                                  # the emulated-bf16 runs: fewer tokens, same tok/s
    repeats = args.repeats or (1 if args.quick else 5)
    load_before = os.getloadavg()
    cpu = cpu_info()
    bw = read_bandwidth(0.25 if args.quick else 1.0, 3 if args.quick else 10)
    tmp = tempfile.TemporaryDirectory(); folder = Path(tmp.name)/'gpt2-random'
    hf = build(args.quick, folder)
    ours = {'fp32': quiet_load(folder, 'fp32'), '16-bit': quiet_load(folder, 'bf16'), '8-bit': quiet_load(folder, 'int8')}
    from simplellm.quant import pack_linears
    plain = {'fp32 nn.Linear': quiet_load(folder, 'fp32', False), 'fp32 packed (oneDNN)': pack_linears(quiet_load(folder, 'fp32', False), pack_fp32=True),
             'bf16 plain': quiet_load(folder, 'bf16', False), 'int8 weight-only (_weight_int8pack_mm)': quiet_load(folder, 'int8', False)}
    compiled = {} if args.no_compile else {'fp32 compiled (inductor, freezing)': compile_step(pack_linears(quiet_load(folder, 'fp32', False), pack_fp32=True)),
                                           'fp32 nn.Linear compiled (inductor, freezing)': compile_step(quiet_load(folder, 'fp32', False))}
    plain |= compiled
    kernel = {k: sorted({type(m).__name__ for m in v.modules() if 'Linear' in type(m).__name__}) for k, v in ours.items()}
    read = {k: weight_bytes(v) for k, v in (ours | plain).items()}
    hf_models = {'hf fp32': hf, 'hf bf16': copy.deepcopy(hf).to(torch.bfloat16)}
    idx = torch.randint(0, 50257, (1, 10), generator=torch.Generator().manual_seed(1))
    def hf_run(m, n): return lambda: m.generate(idx, attention_mask=torch.ones_like(idx), max_new_tokens=n, min_new_tokens=n,
                                                do_sample=False, pad_token_id=0, eos_token_id=None)
    slow = {'bf16 plain'} | ({'hf bf16'} if not cpu['native_bf16'] else set())
    ntok = {k: (slow_new if k in slow else new) for k in [*ours, *plain, *hf_models]}
    runs = {k: (lambda m=m, n=ntok[k]: generate(m, idx, n, temperature=0)) for k, m in (ours | plain).items()}
    runs |= {k: hf_run(m, ntok[k]) for k, m in hf_models.items()}
    onnx = {} if args.no_onnx else onnx_models(folder, Path(tmp.name), args.threads)
    from simplellm.export import onnx_generate
    runs |= {k: (lambda m=m: onnx_generate(m, idx, new)) for k, m in onnx.items()}
    ntok |= {k: new for k in onnx}

    llama, why_not, gguf, llama_rec = None, None, {}, {}
    if args.quick: why_not = '--quick'
    else:
        llama, why_not = llama_paths(args)
        if llama:
            gguf = convert_gguf(llama[1], folder, Path(tmp.name))
            for t, f in gguf.items(): runs[f'llama.cpp {t}'] = (lambda f=f: llama_bench(llama[0], f, new, args.threads))
    if why_not: print(f'  llama.cpp skipped: {why_not}')
    times, outs, first_s, failed = {k: [] for k in runs}, {}, {}, {}
    with torch.inference_mode():
        for k, fn in list(runs.items()):                          # warm up (and the tokens, for the checks below)
            t = time.perf_counter()
            try: outs[k] = fn()
            except Exception as e:                                # inductor may fail to lower a kernel: say so, go on
                if k not in compiled: raise
                lines = [l.strip() for l in str(e).strip().splitlines()]
                failed[k] = ' '.join([type(e).__name__ + ':', *lines[:1], *[l for l in lines if l.startswith('target:')][:1]])[:300]
                del runs[k], times[k]; torch._dynamo.reset(); continue
            first_s[k] = time.perf_counter() - t                  # compiled: its compile time
        for _ in range(repeats):                                  # interleaved: a noisy neighbour slows them all alike
            for k, fn in runs.items():
                t = time.perf_counter(); r = fn(); s = time.perf_counter() - t
                if k.startswith('llama.cpp'): times[k].append(r[0]); llama_rec[k] = r[1]   # llama-bench's own tok/s
                else: times[k].append(ntok[k] / s)
    tps = {k: statistics.median(v) for k, v in times.items()}
    spread = {k: (min(v), max(v)) for k, v in times.items()}
    same_fp32 = torch.equal(outs['fp32'], outs['hf fp32']) and torch.equal(outs['fp32 nn.Linear'], outs['hf fp32'])
    agree = {k: (outs[k][:, :outs['fp32'].shape[1]] == outs['fp32'][:, :outs[k].shape[1]]).float().mean().item()
             for k in [*ours, *plain, *onnx] if k != 'fp32' and k not in failed}
    widths = {}
    for w in ours:
        row = dict(simplellm=tps[w], simplellm_kernels=kernel[w], weight_bytes=read[w], roofline=tps[w] * read[w] / bw / 1e9)
        for t in LLAMA_TYPES[w]:
            if f'llama.cpp {t}' in tps:
                row[f'llama.cpp {t}'] = tps[f'llama.cpp {t}']
                row[f'llama.cpp {t} file_bytes'] = gguf[t].stat().st_size
        best = max((v for k, v in row.items() if k.startswith('llama.cpp') and not k.endswith('bytes')), default=None)
        row['vs_llama.cpp'] = tps[w] / best if best else None
        row['hf'] = tps.get({'fp32': 'hf fp32', '16-bit': 'hf bf16'}.get(w, ''), None)
        widths[w] = row
    def llama_roofline(r):
        t, v = max(((k, v) for k, v in r.items() if k.startswith('llama.cpp') and not k.endswith('bytes')), key=lambda kv: kv[1], default=(None, None))
        return v * r[f'{t} file_bytes'] / bw / 1e9 if t else None
    targets = {w: dict(goal="simplellm's tok/s >= llama.cpp's best at this width", met=r['vs_llama.cpp'] >= 1, ratio=r['vs_llama.cpp'],
                       missed_by=max(0.0, 1 - r['vs_llama.cpp']), roofline_simplellm=r['roofline'], roofline_llama_cpp=llama_roofline(r))
               for w, r in widths.items() if r['vs_llama.cpp']}
    targets['16-bit vs fp32'] = dict(goal='16-bit (--dtype bf16) decodes at >= 0.9x fp32', ratio=tps['16-bit'] / tps['fp32'],
                                     met=tps['16-bit'] >= 0.9 * tps['fp32'])
    reference = {k: dict(tok_s=tps[k], weight_bytes=read[k], roofline=tps[k] * read[k] / bw / 1e9, new_tokens=ntok[k]) for k in plain if k not in failed}
    reference |= {k: dict(failed=why) for k, why in failed.items()}
    for k, m in onnx.items():                                     # bytes: the weights in the graph, as onnxruntime holds them
        reference[k] = dict(tok_s=tps[k], weight_bytes=read['fp32'] // (4 if 'int8' in k else 1), new_tokens=new,
                            vs_simplellm={w: tps[k] / tps[w] for w in ours}, same_tokens_as_fp32=torch.equal(outs[k], outs['fp32']))
        reference[k]['roofline'] = tps[k] * reference[k]['weight_bytes'] / bw / 1e9
    for k in set(compiled) - set(failed):                         # against the same model eager
        eager = 'fp32 nn.Linear' if 'nn.Linear' in k else 'fp32 packed (oneDNN)'
        reference[k] |= dict(first_call_s=first_s[k], eager=eager, vs_eager=tps[k] / tps[eager], same_tokens_as_eager=torch.equal(outs[k], outs[eager]))
    torch.set_num_threads(1)                                      # the thread lever: ours again on one thread
    with torch.inference_mode(): one = {k: new / median_time(runs[k], max(repeats // 2, 1), 0) for k in ours}
    torch.set_num_threads(args.threads)
    prof = {k: step_profile(m, idx, 20 if args.quick else 50) for k, m in ours.items()}
    for k in targets:
        if k in prof: targets[k]['step_ms'] = prof[k]             # where the time goes: the products, or around them
    d_embed = hf.config.n_embd
    del ours, plain, hf_models, hf, outs, onnx
    tmp.cleanup()
    head = head_levers(d_embed, 5 if args.quick else 21)
    overhead = python_overhead(20 if args.quick else 50, repeats)
    ppl = None if args.no_ppl else quality(new)
    load_after = os.getloadavg()

    print(f"{'GPT-2 124M shape' if not args.quick else 'quick (tiny shape)'}, random weights, batch 1, 10-token prompt, {new} greedy tokens "
          f"(plain bf16 {slow_new}), median of {repeats} interleaved runs, {args.threads} threads")
    print(f"  CPU: {cpu['model']}, {cpu['cpus']} CPUs, PyTorch kernels {cpu['torch_capability']}, native bf16 {cpu['native_bf16']}, "
          f"avx512 flags: {[f for f in cpu['flags'] if f.startswith('avx512')] or 'none'}; load {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"  read bandwidth (torch.sum over {0.25 if args.quick else 1.0} GiB fp32): {bw:.1f} GB/s")
    for w, r in widths.items():
        ll = ', '.join(f"{k} {v:.1f}" for k, v in r.items() if k.startswith('llama.cpp') and not k.endswith('bytes')) or 'llama.cpp not run'
        print(f"  {w:>6}: simplellm {r['simplellm']:6.1f} tok/s ({'+'.join(r['simplellm_kernels'])}, {r['weight_bytes']/1e6:.0f} MB/token, "
              f"roofline {r['roofline']:.0%}); {ll}" + (f"; ours/llama.cpp {r['vs_llama.cpp']:.2f}" if r['vs_llama.cpp'] else '') +
              (f"; HF {r['hf']:.1f}" if r['hf'] else ''))
    for k, r in reference.items(): print(f"  reference, {k}: " + (f"failed ({r['failed']})" if 'failed' in r else f"{r['tok_s']:.1f} tok/s") + (
        f" ({r['vs_eager']:.2f}x {r['eager']} eager; its first call, compiling included, {r['first_call_s']:.0f} s; "
        f"same tokens {r['same_tokens_as_eager']})" if 'first_call_s' in r else '') + (
        ' (' + ', '.join(f"{v:.2f}x ours {w}" for w, v in r['vs_simplellm'].items()) + ')' if 'vs_simplellm' in r else ''))
    print(f"  fp32 tokens (packed and plain) equal to HF's: {same_fp32}; greedy tokens equal to fp32's: " + ', '.join(f'{k} {v:.0%}' for k, v in agree.items()))
    print(f"  on 1 thread: " + ', '.join(f"{k} {v:.1f}" for k, v in one.items()) + ' tok/s')
    for k, pr in prof.items(): print(f"  where a {k} step goes, ms/token: " + ', '.join(f"{n} {v:.2f}" for n, v in pr.items()))
    print(f"  output head alone (50257x{d_embed}), ms: " + ', '.join(f"{k} {v:.2f} ({head['gbs'][k]:.0f} GB/s)" for k, v in head['ms'].items()))
    print(f"  per-step overhead (12 layers, d_embed 32): {overhead['fp32']:.2f} ms")
    if ppl: print(f"  course model perplexity ({ppl['tokens']} held-out tokens): " + ', '.join(f"{k} {v:.2f}" for k, v in ppl['ppl'].items()) +
                  '; change ' + ', '.join(f"{k} {v:+.2%}" for k, v in ppl['change'].items()) +
                  f"; largest activation at a Linear {ppl['largest_linear_activation']:.1f} (float16 max {ppl['float16_max']:.0f})")
    for k, t in targets.items(): print(f"  target {k}: {'met' if t['met'] else 'not met'}, {t['ratio']:.2f}x")
    res = dict(widths=widths, targets=targets, reference=reference, hf_tok_s={k: tps[k] for k in ('hf fp32', 'hf bf16')}, spread_tok_s=spread,
               bandwidth_gbs=bw, same_tokens_fp32_hf=same_fp32, greedy_agreement_with_fp32=agree, tok_s_1_thread=one,
               step_profile_ms=prof, head_ms=head['ms'], head_gbs=head['gbs'], head_compile_s=head['compile_s'],
               step_overhead_ms=overhead, perplexity=ppl, new_tokens=new, slow_new_tokens=slow_new, repeats=repeats,
               threads=args.threads, quick=args.quick, cpu=cpu, load_before=load_before, load_after=load_after,
               llama_cpp=dict(ran=bool(llama), why_not=why_not, command=f'llama-bench -p 0 -n {new} -t {args.threads} -r 1',
                              build=next(({k: r.get(k) for k in ('build_commit', 'build_number', 'cpu_info', 'backends')}
                                          for r in llama_rec.values()), None)))
    if args.json:
        with open(args.json, 'w') as f: json.dump(res, f, indent=2)
    return res

if __name__ == '__main__': main()
