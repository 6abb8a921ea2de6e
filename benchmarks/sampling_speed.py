"""Decoding speed of `simplellm.sampling.generate` against HF transformers, measured in the same run.

GPT-2 124M shape (random weights, the same in both), CPU, batch 1, a 10-token prompt:
greedy with the KV cache, greedy without it, HF `generate` (with its cache), beam-4 against HF beam-4.
Prints tokens/s and the ratios; `--json PATH` also writes them (the notebook's plot reads that file).

    python benchmarks/sampling_speed.py              # the full run: 200 new tokens, best of 3
    python benchmarks/sampling_speed.py --quick      # smoke run: small model shape, 20 tokens, 1 repeat
"""
import argparse, json, platform, sys, tempfile, time, warnings
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's simplellm, not another installed copy
from simplellm.precision import num_threads

def build(args):
    "The same random weights as a SimpleLLM and as an HF GPT2LMHeadModel"
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging; logging.set_verbosity_error()
    from simplellm.model import SimpleLLM
    torch.manual_seed(0)
    shape = dict(n_layer=2, n_embd=64, n_head=4) if args.quick else dict(n_layer=12, n_embd=768, n_head=12)
    hf = GPT2LMHeadModel(GPT2Config(**shape, n_positions=1024, vocab_size=50257, bos_token_id=None, eos_token_id=None)).eval()
    with tempfile.TemporaryDirectory() as d:
        hf.save_pretrained(d)
        ours = SimpleLLM.from_pretrained(d).eval()
    return ours, hf

def timed(fn):
    t = time.perf_counter(); out = fn(); return time.perf_counter() - t, out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='smoke run: tiny model shape, 20 new tokens, 1 repeat')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--new', type=int, default=None, help='new tokens (default 200, 20 with --quick)')
    p.add_argument('--repeats', type=int, default=None, help='best of N runs (default 3, 1 with --quick)')
    p.add_argument('--skip-nocache', action='store_true', help='leave out the (slow) no-cache run')
    p.add_argument('--json', default=None, help='also write the figures to this JSON file')
    args = p.parse_args(argv)
    with num_threads(args.threads): return measure(args)   # called in-process (lesson 07): the caller keeps its thread count

def measure(args):
    "Time each decoding side by side on `args.threads` threads; print and return the tokens/s and ratios"
    from simplellm.sampling import generate
    new = args.new or (20 if args.quick else 200)
    repeats = args.repeats or (1 if args.quick else 3)
    ours, hf = build(args)
    idx = torch.randint(0, 50257, (1, 10), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(idx)
    hf_kw = dict(attention_mask=mask, max_new_tokens=new, min_new_tokens=new, do_sample=False, pad_token_id=0, eos_token_id=None)
    runs = {
        'simplellm greedy (cache)':    lambda: generate(ours, idx, new, temperature=0),
        'simplellm greedy (no cache)': lambda: generate(ours, idx, new, temperature=0, use_cache=False),
        'hf greedy (cache)':           lambda: hf.generate(idx, **hf_kw),
        'simplellm beam-4 (cache)':    lambda: generate(ours, idx, new, num_beams=4),
        'hf beam-4 (cache)':           lambda: hf.generate(idx, num_beams=4, length_penalty=1.0, early_stopping=False, **hf_kw),
    }
    if args.skip_nocache: runs.pop('simplellm greedy (no cache)')
    with torch.inference_mode():
        for fn in runs.values(): fn()                                 # warm up (one-off allocations, kernels)
    best, outs = {k: float('inf') for k in runs}, {}
    for _ in range(repeats):                                          # interleaved, so a noisy neighbour hits them all alike
        for k, fn in runs.items():
            with torch.inference_mode(): s, outs[k] = timed(fn)
            best[k] = min(best[k], s)
    tps = {k: new / s for k, s in best.items()}
    same_greedy = torch.equal(outs['simplellm greedy (cache)'], outs['hf greedy (cache)'])
    same_beam = torch.equal(outs['simplellm beam-4 (cache)'], outs['hf beam-4 (cache)'])
    ratios = {'greedy: simplellm cache / hf': tps['simplellm greedy (cache)'] / tps['hf greedy (cache)'],
              'beam-4: simplellm / hf': tps['simplellm beam-4 (cache)'] / tps['hf beam-4 (cache)']}
    if 'simplellm greedy (no cache)' in tps:
        ratios['greedy: simplellm cache / no cache'] = tps['simplellm greedy (cache)'] / tps['simplellm greedy (no cache)']
    print(f"{'GPT-2 124M shape' if not args.quick else 'quick (tiny shape)'}, random weights, {args.threads} threads, batch 1, "
          f"10-token prompt, {new} new tokens, best of {repeats}; torch {torch.__version__}, {platform.processor() or platform.machine()}")
    for k, v in tps.items(): print(f"  {k:30s} {v:8.1f} tok/s")
    for k, v in ratios.items(): print(f"  {k:36s} {v:5.2f}x")
    print(f"  same tokens as HF: greedy {same_greedy}, beam-4 {same_beam}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(tokens_per_s=tps, ratios=ratios, new_tokens=new, repeats=repeats, threads=args.threads, quick=args.quick,
                           same_greedy=same_greedy, same_beam=same_beam, torch=torch.__version__), f, indent=2)
    return tps, ratios

if __name__ == '__main__': main()
