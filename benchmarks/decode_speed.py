"""Decoding speed against the memory-bandwidth roofline, in float32, bfloat16 and int8, with HF transformers measured in the same run.

At batch 1 a decoding step reads every weight once, so tokens/s <= read bandwidth / weight bytes. This script measures,
in one run: the read bandwidth (`torch.sum` over 1 GiB of float32); GPT-2 124M-shaped greedy decoding (random weights,
the same in both libraries; a 10-token prompt) with `simplellm.sampling.generate` in fp32, bf16 (`model.to(bfloat16)`)
and int8 (`simplellm.quant.quantize_int8`), fp32 and bf16 again with oneDNN-packed weights (`simplellm.quant.pack_linears`,
what `simplellm chat` and `generate` run on a CPU), and HF `generate` in fp32 and bf16; the roofline fraction of each
(tok/s x weight bytes / bandwidth); the levers one by one (the output head alone, eager and compiled with inductor's
weight freezing; 1 thread against 2; the per-step Python overhead, timed on a model too small for its weights to
matter); and the perplexity change of bf16 and int8 against fp32 on the course model (The Verdict's held-out tail).

    python benchmarks/decode_speed.py --json benchmarks/decode_speed.json   # the full run (a few minutes)
    python benchmarks/decode_speed.py --quick                               # smoke run: tiny shapes, seconds
"""
import argparse, copy, json, math, platform, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's simplellm, not another installed copy

def best_time(fn, repeats:int, warmup:int=1) -> float:
    "The fastest of `repeats` calls (after `warmup`), in seconds: the least disturbed by other jobs"
    for _ in range(warmup): fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)

def read_bandwidth(gib:float, repeats:int) -> float:
    "Read bandwidth in GB/s: torch.sum over `gib` GiB of float32"
    x = torch.ones(int(gib * 2**30) // 4)
    s = best_time(lambda: x.sum(), repeats)
    return x.numel() * 4 / s / 1e9

def build(quick:bool):
    "The same random weights as an HF GPT2LMHeadModel and as a SimpleLLM (float32)"
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging; logging.set_verbosity_error(); logging.disable_progress_bar()
    from simplellm.model import SimpleLLM
    torch.manual_seed(0)
    shape = dict(n_layer=2, n_embd=64, n_head=4) if quick else dict(n_layer=12, n_embd=768, n_head=12)
    hf = GPT2LMHeadModel(GPT2Config(**shape, n_positions=1024, vocab_size=50257, bos_token_id=None, eos_token_id=None)).eval()
    with tempfile.TemporaryDirectory() as d:
        hf.save_pretrained(d)
        ours = SimpleLLM.from_pretrained(d).eval()
    return hf, ours

def head_levers(d_embed:int, repeats:int) -> dict:
    "The output head alone (50257 x d_embed, one token): ms per call, eager fp32/bf16/int8, packed fp32/bf16, and compiled fp32 with freezing"
    import torch._inductor.config as icfg
    from simplellm.quant import Int8Linear, PackedLinear
    torch.manual_seed(0)
    head = torch.nn.Linear(d_embed, 50257, bias=False).eval()
    x = torch.randn(1, d_embed)
    out = {}
    with torch.inference_mode():
        out['fp32 eager'] = best_time(lambda: head(x), repeats, 3)
        hb, xb = copy.deepcopy(head).to(torch.bfloat16), x.bfloat16()
        out['bf16 eager'] = best_time(lambda: hb(xb), repeats, 3)
        hq = Int8Linear.from_linear(head)
        out['int8 eager (_weight_int8pack_mm)'] = best_time(lambda: hq(xb), repeats, 3)
        hp, hpb = PackedLinear(head), PackedLinear(hb)
        out['fp32 packed'] = best_time(lambda: hp(x), repeats, 3)
        out['bf16 packed'] = best_time(lambda: hpb(xb), repeats, 3)
        old = icfg.freezing
        try:
            icfg.freezing = True
            torch._dynamo.reset()
            hc = torch.compile(head)
            t = time.perf_counter(); hc(x); compile_s = time.perf_counter() - t
            out['fp32 compiled (freezing)'] = best_time(lambda: hc(x), repeats, 3)
            torch.testing.assert_close(hc(x), head(x), atol=1e-4, rtol=1e-4)
        except Exception as e:                                    # no C++ compiler here: say so, measure the rest
            compile_s = None; out['fp32 compiled (freezing)'] = None; print(f"  torch.compile unavailable: {str(e).splitlines()[0]}")
        finally: icfg.freezing = old
    nbytes = {'fp32': 4, 'bf16': 2, 'int8': 1}
    return dict(ms={k: (v * 1e3 if v else None) for k, v in out.items()},
                gbs={k: (50257 * d_embed * nbytes[k[:4]] / v / 1e9 if v else None) for k, v in out.items()},
                compile_s=compile_s)

def python_overhead(new:int, repeats:int) -> dict:
    "ms per greedy step of a model with GPT-2's 12 layers but tiny widths: nearly all of it is Python and op dispatch"
    from simplellm.model import SimpleLLM, ModelConfig
    from simplellm.sampling import generate
    torch.manual_seed(0)
    m = SimpleLLM(ModelConfig(vocab_size=256, context_length=1024, d_embed=32, num_heads=4, num_layers=12, dropout=0.0)).eval()
    idx = torch.randint(0, 256, (1, 10))
    fp32 = best_time(lambda: generate(m, idx, new, temperature=0), repeats) / new
    m16 = copy.deepcopy(m).to(torch.bfloat16)
    bf16 = best_time(lambda: generate(m16, idx, new, temperature=0), repeats) / new
    return {'fp32': fp32 * 1e3, 'bf16': bf16 * 1e3}

def perplexity_change() -> dict:
    "Perplexity of the course model on The Verdict's held-out last 10%, in fp32, bf16 and int8"
    from simplellm.course import course_model
    from simplellm.data import load_text, get_tokenizer, ENDOFTEXT
    from simplellm.quant import quantize_int8, window_perplexity
    text = load_text('the-verdict')
    ids = get_tokenizer().encode(text[int(0.9 * len(text)):], allowed_special={ENDOFTEXT})
    m = course_model(progress=False)
    ppl = {'fp32': window_perplexity(m, ids), 'bf16': window_perplexity(copy.deepcopy(m).to(torch.bfloat16), ids),
           'int8': window_perplexity(quantize_int8(copy.deepcopy(m)), ids)}
    return dict(ppl=ppl, change={k: ppl[k] / ppl['fp32'] - 1 for k in ('bf16', 'int8')}, tokens=len(ids))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='smoke run: tiny model shape, 10 new tokens, 1 repeat, 0.25 GiB')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--new', type=int, default=None, help='new tokens per run (default 100)')
    p.add_argument('--repeats', type=int, default=None, help='best of N interleaved runs (default 3)')
    p.add_argument('--no-ppl', action='store_true', help='skip the perplexity check (it needs the course model)')
    p.add_argument('--json', default=None, help='also write the figures to this JSON file')
    args = p.parse_args(argv)
    from simplellm.sampling import generate
    from simplellm.quant import quantize_int8, weight_bytes, pack_linears
    torch.set_num_threads(args.threads)
    new = args.new or (10 if args.quick else 100)
    repeats = args.repeats or (1 if args.quick else 3)
    bw = read_bandwidth(0.25 if args.quick else 1.0, 3 if args.quick else 10)
    hf, ours = build(args.quick)
    models = {'fp32': ours, 'bf16': copy.deepcopy(ours).to(torch.bfloat16), 'int8': quantize_int8(copy.deepcopy(ours))}
    models |= {f'{k} packed': pack_linears(copy.deepcopy(models[k])) for k in ('fp32', 'bf16')}   # what chat and generate run on a CPU
    read = {k: weight_bytes(models[k.split()[0]]) for k in models}   # the bytes a step must read (packing reorders, adds nothing)
    hf_models = {'fp32': hf, 'bf16': copy.deepcopy(hf).to(torch.bfloat16)}
    idx = torch.randint(0, 50257, (1, 10), generator=torch.Generator().manual_seed(1))
    hf_kw = dict(attention_mask=torch.ones_like(idx), max_new_tokens=new, min_new_tokens=new, do_sample=False,
                 pad_token_id=0, eos_token_id=None)
    runs = {k: (lambda m=m: generate(m, idx, new, temperature=0)) for k, m in models.items()}
    runs |= {f'hf {k}': (lambda m=m: m.generate(idx, **hf_kw)) for k, m in hf_models.items()}
    best, outs = {k: math.inf for k in runs}, {}
    with torch.inference_mode():
        for fn in runs.values(): fn()                             # warm up
        for _ in range(repeats):                                  # interleaved: a noisy neighbour slows them all alike
            for k, fn in runs.items():
                t = time.perf_counter(); outs[k] = fn(); best[k] = min(best[k], time.perf_counter() - t)
    tps = {k: new / s for k, s in best.items()}
    decode = {k: dict(tok_s=tps[k], weight_bytes=read[k], roofline=tps[k] * read[k] / bw / 1e9,
                      vs_hf_same_precision=tps[k] / tps[f'hf {"bf16" if k == "int8" else k.split()[0]}'])
              for k in models}
    torch.set_num_threads(1)                                      # the thread lever: the same runs on one thread
    one = {}
    with torch.inference_mode():
        for k in models: one[k] = new / best_time(runs[k], repeats, 0)
    torch.set_num_threads(args.threads)
    same_fp32 = torch.equal(outs['fp32'], outs['hf fp32']) and torch.equal(outs['fp32 packed'], outs['hf fp32'])
    agree = {k: (outs[k] == outs['fp32']).float().mean().item() for k in ('bf16', 'int8', 'bf16 packed')}
    d_embed = ours.cfg.d_embed
    del models, hf_models, hf, ours, outs
    with torch.inference_mode(): head = head_levers(d_embed, 5 if args.quick else 20)
    torch.set_num_threads(1)
    with torch.inference_mode(): head1 = head_levers(d_embed, 5 if args.quick else 20)['ms']
    torch.set_num_threads(args.threads)
    with torch.inference_mode(): overhead = python_overhead(20 if args.quick else 50, repeats)
    ppl = None if args.no_ppl else perplexity_change()

    machine = f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {args.threads} threads"
    print(f"{'GPT-2 124M shape' if not args.quick else 'quick (tiny shape)'}, random weights, batch 1, 10-token prompt, "
          f"{new} greedy tokens, best of {repeats}; {machine}")
    print(f"  read bandwidth (torch.sum over {0.25 if args.quick else 1.0} GiB fp32): {bw:.1f} GB/s")
    for k, r in decode.items():
        ref = 'hf bf16' if k == 'int8' else f'hf {k.split()[0]}'
        print(f"  simplellm {k}: {r['tok_s']:6.1f} tok/s  {r['weight_bytes']/1e6:6.1f} MB/token  roofline {r['roofline']:5.1%}  "
              f"{r['vs_hf_same_precision']:.2f}x {ref}")
    for k in ('fp32', 'bf16'): print(f"  hf {k}:        {tps['hf ' + k]:6.1f} tok/s")
    print(f"  simplellm on 1 thread: " + ', '.join(f"{k} {v:.1f} tok/s" for k, v in one.items()))
    print(f"  fp32 tokens (plain and packed) equal to HF's: {same_fp32}; greedy tokens equal to fp32's: " + ', '.join(f'{k} {v:.0%}' for k, v in agree.items()))
    print(f"  output head alone (50257x{d_embed}, one token), {args.threads} threads: " +
          ', '.join(f"{k} {v:.2f} ms ({head['gbs'][k]:.1f} GB/s)" for k, v in head['ms'].items() if v) +
          (f"; compiling took {head['compile_s']:.1f} s" if head['compile_s'] else ''))
    print(f"  output head, 1 thread: " + ', '.join(f"{k} {v:.2f} ms" for k, v in head1.items() if v))
    print(f"  per-step overhead (12 layers, d_embed 32): fp32 {overhead['fp32']:.2f} ms, bf16 {overhead['bf16']:.2f} ms")
    if ppl: print(f"  course model perplexity on The Verdict's held-out tail ({ppl['tokens']} tokens): " +
                  ', '.join(f"{k} {v:.2f}" for k, v in ppl['ppl'].items()) + '; change ' +
                  ', '.join(f"{k} {v:+.2%}" for k, v in ppl['change'].items()))
    res = dict(bandwidth_gbs=bw, decode=decode, hf_tok_s={k: tps['hf ' + k] for k in ('fp32', 'bf16')}, same_tokens_fp32_hf=same_fp32,
               greedy_agreement_with_fp32=agree, tok_s_1_thread=one, head_ms=head['ms'], head_gbs=head['gbs'], head_compile_s=head['compile_s'],
               head_ms_1_thread=head1, step_overhead_ms=overhead, perplexity=ppl, new_tokens=new, repeats=repeats,
               threads=args.threads, quick=args.quick, machine=machine)
    if args.json:
        with open(args.json, 'w') as f: json.dump(res, f, indent=2)
    return res

if __name__ == '__main__': main()
