#!/usr/bin/env python
"""Loading a GPT-2 folder: SimpleLLM.from_pretrained against HF's GPT2LMHeadModel.from_pretrained, on the same folder, in
the same run. Random weights of gpt2-medium's and gpt2-xl's shapes are written once to a temporary folder (HF layout:
config.json + model.safetensors, written tensor by tensor so the writer never holds the model), then each loader runs in a
fresh subprocess, alternating, `--repeats` times. Reported per loader: load time, the time to the first logits (memory-mapped
weights are read from disk when first touched), and peak RSS above the process's RSS before loading, as a multiple of the
weight bytes, after loading and after that first forward pass. Results go to benchmarks/load_speed.json.

    python benchmarks/load_speed.py                      # gpt2-medium and gpt2-xl (6.2 GB on disk, deleted afterwards)
    python benchmarks/load_speed.py --sizes gpt2-medium --repeats 3
"""
import argparse, json, os, platform, resource, shutil, struct, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent

def rss_bytes():
    "The resident set size of this process now"
    return int(Path('/proc/self/statm').read_text().split()[1]) * os.sysconf('SC_PAGE_SIZE')

def peak_rss_bytes():
    "This process's peak resident set size so far: VmHWM, which (unlike getrusage's ru_maxrss) does not inherit the parent's peak across fork/exec"
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def worker(which:str, folder:str):
    "Runs in a fresh process: load `folder` with `which` ('ours' or 'hf'), then one forward pass; print a JSON line"
    import torch
    torch.set_num_threads(int(os.environ.get('LOAD_SPEED_THREADS', '2')))
    if which == 'ours':
        from simplellm.model import SimpleLLM
        load = lambda: SimpleLLM.from_pretrained(folder).eval()
        forward = lambda m, x: m(x)
    else:
        from transformers import GPT2LMHeadModel
        from transformers.utils import logging; logging.set_verbosity_error(); logging.disable_progress_bar()
        load = lambda: GPT2LMHeadModel.from_pretrained(folder).eval()
        forward = lambda m, x: m(x).logits
    base = rss_bytes()
    t0 = time.perf_counter(); model = load(); t_load = time.perf_counter() - t0
    peak_load = peak_rss_bytes()
    with torch.no_grad(): logits = forward(model, torch.tensor([[464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]]))
    t_first = time.perf_counter() - t0
    assert torch.isfinite(logits).all()
    dtypes = sorted({str(p.dtype) for p in model.parameters()})
    print(json.dumps(dict(load_s=t_load, first_logits_s=t_first, rss_before=base, peak_after_load=peak_load,
                          peak_after_forward=peak_rss_bytes(), dtypes=dtypes)))

def write_random_gpt2(folder:Path, preset:str, seed:int=0):
    "An HF GPT-2 folder of `preset`'s shape with random weights, written tensor by tensor; returns the weight bytes"
    import torch
    from simplellm.model import ModelConfig, config_to_hf
    from simplellm.hf import _hf_names, _CONV1D
    cfg = ModelConfig.preset(preset)
    with torch.device('meta'):
        from simplellm.model import SimpleLLM
        shapes = {k: tuple(v.shape) for k, v in SimpleLLM(cfg).state_dict().items()}
    header, entries, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for ours, theirs in _hf_names(cfg.num_layers)[:-1]:            # tied: no lm_head.weight, as HF's own gpt2 checkpoints
        shape = shapes[ours][::-1] if theirs.endswith(_CONV1D) else shapes[ours]
        n = 4 * int(torch.Size(shape).numel())
        header[theirs] = dict(dtype='F32', shape=list(shape), data_offsets=[offset, offset + n]); entries.append((theirs, shape)); offset += n
    head = json.dumps(header).encode(); head += b' ' * (-len(head) % 8)
    folder.mkdir(parents=True, exist_ok=True)
    hf_cfg = {k: v for k, v in config_to_hf(cfg).items() if k != 'simplellm'}   # a plain HF GPT-2 config
    (folder/'config.json').write_text(json.dumps(hf_cfg, indent=2))
    g = torch.Generator().manual_seed(seed)
    with open(folder/'model.safetensors', 'wb') as f:
        f.write(struct.pack('<Q', len(head))); f.write(head)
        for name, shape in entries:
            t = torch.empty(shape).normal_(0, 0.02, generator=g) if name.endswith('weight') and len(shape) == 2 else torch.zeros(shape)
            if '.ln_' in name and name.endswith('weight'): t.fill_(1.0)
            f.write(t.numpy().tobytes())
    return offset

def run_worker(which, folder):
    env = {**os.environ, 'PYTHONPATH': str(HERE.parent)}   # this checkout's simplellm
    out = subprocess.run([sys.executable, __file__, '--worker', which, str(folder)], capture_output=True, text=True, env=env)
    if out.returncode: raise RuntimeError(f"{which} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--sizes', nargs='+', default=['gpt2-medium', 'gpt2-xl'])
    ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--tmp', default=None, help='where to write the random checkpoints (default: the system temp folder)')
    ap.add_argument('--out', default=str(HERE/'load_speed.json'))
    ap.add_argument('--worker', nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker: return worker(*args.worker)
    results = dict(machine=dict(platform=platform.platform(), cpus=os.cpu_count(), load_avg_at_start=os.getloadavg(),
                                threads=int(os.environ.get('LOAD_SPEED_THREADS', '2')), python=sys.version.split()[0]),
                   note='Each loader runs in its own fresh process. Ratios are measured in this run. Peak RSS is above the RSS '
                        'before loading (imports excluded), in multiples of the fp32 weight bytes.', sizes={})
    for preset in args.sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f'load-speed-{preset}-', dir=args.tmp))
        try:
            t0 = time.perf_counter(); nbytes = write_random_gpt2(tmp, preset)
            print(f"{preset}: wrote {nbytes / 1e9:.2f} GB of random weights in {time.perf_counter() - t0:.1f} s", flush=True)
            runs = {'ours': [], 'hf': []}
            for r in range(args.repeats):
                for which in (('ours', 'hf') if r % 2 == 0 else ('hf', 'ours')):   # alternate who goes first (page cache, load)
                    runs[which].append(run_worker(which, tmp))
                    x = runs[which][-1]
                    print(f"  {which:>4} run {r}: load {x['load_s']:.2f} s, first logits {x['first_logits_s']:.2f} s, "
                          f"peak RSS after load {(x['peak_after_load'] - x['rss_before']) / nbytes:.2f}x, "
                          f"after forward {(x['peak_after_forward'] - x['rss_before']) / nbytes:.2f}x", flush=True)
            summary = {}
            for which, xs in runs.items():
                summary[which] = dict(load_s=min(x['load_s'] for x in xs), first_logits_s=min(x['first_logits_s'] for x in xs),
                                      peak_rss_x_after_load=max((x['peak_after_load'] - x['rss_before']) / nbytes for x in xs),
                                      peak_rss_x_after_forward=max((x['peak_after_forward'] - x['rss_before']) / nbytes for x in xs),
                                      dtypes=xs[0]['dtypes'], runs=xs)
            o, h = summary['ours'], summary['hf']
            summary['ratios'] = dict(load_time_ours_over_hf=o['load_s'] / h['load_s'],
                                     first_logits_time_ours_over_hf=o['first_logits_s'] / h['first_logits_s'])
            summary['targets'] = dict(peak_rss_le_1_25x=o['peak_rss_x_after_forward'] <= 1.25,
                                      load_time_le_hf=o['load_s'] <= h['load_s'], first_logits_le_hf=o['first_logits_s'] <= h['first_logits_s'])
            results['sizes'][preset] = dict(weight_bytes=nbytes, **summary)
            print(f"{preset}: load ours/HF {summary['ratios']['load_time_ours_over_hf']:.2f}x, first logits ours/HF "
                  f"{summary['ratios']['first_logits_time_ours_over_hf']:.2f}x; peak RSS ours {o['peak_rss_x_after_forward']:.2f}x, "
                  f"HF {h['peak_rss_x_after_forward']:.2f}x the weights", flush=True)
        finally: shutil.rmtree(tmp, ignore_errors=True)
    results['machine']['load_avg_at_end'] = os.getloadavg()
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")

if __name__ == '__main__': main()
