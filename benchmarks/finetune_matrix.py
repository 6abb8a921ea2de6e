"""Lessons 10 and 11's claims, per task kind, over seeds and machine profiles: the fine-tuned model (lesson 10) and the LoRA model (lesson 11) against the base model and the model trained
from scratch on the test split: its exact matches, and its answer loss (lower is better). Each (thread count, seed) cell runs in its own process, its thread count and instruction
set fixed before torch starts, with its own data cache: so each profile trains its own base model, as a learner's machine would, unless
--base-from gives one trained base model to them all (quicker: it checks the fine-tuning, not the base model's training).

    python benchmarks/finetune_matrix.py                        # AVX2 profile, 1, 2 and 4 threads, seeds 0 1 2 -> benchmarks/finetune_matrix.json
    python benchmarks/finetune_matrix.py --threads 2 --seeds 0  # one cell
    python benchmarks/finetune_matrix.py --base-from ~/.cache/simplellm   # the base model of that cache, for every cell
"""
import argparse, json, os, platform, shutil, subprocess, sys, time, copy
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAPTOP = dict(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2', MKL_ENABLE_INSTRUCTIONS='AVX2')   # an AVX2-only laptop's instruction set


def lscpu() -> dict:
    "The CPU's model name and flags, as lscpu reports them"
    try: out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    except OSError: return {}
    d = dict(l.split(':', 1) for l in out.splitlines() if ':' in l)
    return {'model': d.get('Model name', '').strip(), 'flags': d.get('Flags', '').strip()}


def cell(seeds:list) -> dict:
    "In this process: the base model (trained here the first time), then for each seed full fine-tuning, from scratch and LoRA, scored per kind"
    import torch
    from simplellm.data import load_text
    from simplellm.model import SimpleLLM
    from simplellm.finetune import (shakespeare_model, held_out_start, make_instructions, fit_answers, scores, answer_losses, add_lora,
                                    FINETUNE_STEPS, FINETUNE_LR, LORA_RANK, LORA_ALPHA, LORA_LR)
    t0 = time.perf_counter()
    base = shakespeare_model()
    base_s = time.perf_counter() - t0
    plays = load_text('tinyshakespeare')
    data = make_instructions(plays, held_out_start())
    out = dict(threads=torch.get_num_threads(), capability=torch.backends.cpu.get_cpu_capability(), base_s=round(base_s, 1),
               base=scores(base, data['test']), base_loss=answer_losses(base, data['test']), seeds={})
    for seed in seeds:
        r, t = {}, {}
        t0 = time.perf_counter(); full = copy.deepcopy(base); fit_answers(full, data['train'], FINETUNE_STEPS, lr=FINETUNE_LR, seed=seed)
        r['full'], r['full_loss'], t['full'] = scores(full, data['test']), answer_losses(full, data['test']), time.perf_counter() - t0
        t0 = time.perf_counter(); torch.manual_seed(seed); scratch = SimpleLLM(base.cfg); fit_answers(scratch, data['train'], FINETUNE_STEPS, lr=FINETUNE_LR, seed=seed)
        r['scratch'], r['scratch_loss'], t['scratch'] = scores(scratch, data['test']), answer_losses(scratch, data['test']), time.perf_counter() - t0
        t0 = time.perf_counter(); torch.manual_seed(seed); lora = add_lora(copy.deepcopy(base), LORA_RANK, LORA_ALPHA); fit_answers(lora, data['train'], FINETUNE_STEPS, lr=LORA_LR, seed=seed)
        r['lora'], r['lora_loss'], t['lora'] = scores(lora, data['test']), answer_losses(lora, data['test']), time.perf_counter() - t0
        r['s'] = {k: round(v, 1) for k, v in t.items()}
        out['seeds'][seed] = r
        print(json.dumps({'threads': out['threads'], 'seed': seed, **{k: r[k] for k in ('full', 'scratch', 'lora', 'full_loss', 'scratch_loss', 'lora_loss')}}), file=sys.stderr, flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2, 4])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--out', default=str(HERE/'finetune_matrix.json'))
    ap.add_argument('--work', default='/tmp/finetune-matrix', help='one data cache per profile (each trains its own base model)')
    ap.add_argument('--base-from', default=None, help='a data cache whose trained base model every cell starts from (default: each profile trains its own)')
    ap.add_argument('--cell', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cell: print(json.dumps(cell(args.seeds))); return
    from simplellm.downloads import cache_dir
    from simplellm.course import course_model_dir
    from simplellm.finetune import SHAKESPEARE_BASE
    procs = {}
    for n in args.threads:
        cache = Path(args.work)/f'avx2-{n}'; cache.mkdir(parents=True, exist_ok=True)
        src = cache_dir()/'tinyshakespeare.txt'
        if src.exists() and not (cache/'tinyshakespeare.txt').exists(): shutil.copy(src, cache/'tinyshakespeare.txt')
        if args.base_from:   # one base model for all: copied where course_model looks for it
            key = course_model_dir(SHAKESPEARE_BASE).relative_to(cache_dir())
            if not (cache/key).exists(): shutil.copytree(Path(args.base_from).expanduser()/key, cache/key, ignore=shutil.ignore_patterns('training_state.pt', '.lock'))
        else: subprocess.run([sys.executable, '-c', 'from simplellm.finetune import shakespeare_model; shakespeare_model()'], check=True,
                             env={**os.environ, **LAPTOP, 'OMP_NUM_THREADS': str(n), 'SIMPLELLM_CACHE': str(cache)})   # the profile's own base, once
        for seed in args.seeds:   # every cell is a process of n threads; they run side by side
            env = {**os.environ, **LAPTOP, 'OMP_NUM_THREADS': str(n), 'MKL_NUM_THREADS': str(n), 'SIMPLELLM_CACHE': str(cache),
                   'OMP_WAIT_POLICY': 'PASSIVE'}   # (threads that wait sleep: on a busy machine spinning ones slow everyone; the sums are the same)
            procs[n, seed] = subprocess.Popen([sys.executable, __file__, '--cell', '--seeds', str(seed)], env=env, stdout=subprocess.PIPE, text=True)
    t0, cells = time.perf_counter(), {}
    for (n, seed), p in procs.items():
        out, _ = p.communicate()
        if p.returncode: print(f'the cell with {n} threads, seed {seed} failed (exit {p.returncode})', file=sys.stderr); continue
        c = json.loads(out.splitlines()[-1])
        cells.setdefault(f'avx2, {n} threads', {**c, 'seeds': {}})['seeds'].update(c['seeds'])
    margins, loss_margins = {}, {}   # kind -> the smallest margin over all cells: full - base, full - scratch, lora - base
    for c in cells.values():
        for r in c['seeds'].values():
            for k in c['base']:
                m = margins.setdefault(k, dict(full_over_base=1.0, full_over_scratch=1.0, lora_over_base=1.0, full_over_lora=1.0, lora_over_scratch=1.0))
                m['full_over_base'] = min(m['full_over_base'], r['full'][k] - c['base'][k])
                m['full_over_scratch'] = min(m['full_over_scratch'], r['full'][k] - r['scratch'][k])
                m['lora_over_base'] = min(m['lora_over_base'], r['lora'][k] - c['base'][k])
                m['lora_over_scratch'] = min(m['lora_over_scratch'], r['lora'][k] - r['scratch'][k])
                m['full_over_lora'] = min(m['full_over_lora'], r['full'][k] - r['lora'][k])
                l = loss_margins.setdefault(k, dict(base_minus_full=99.0, scratch_minus_full=99.0, base_minus_lora=99.0, scratch_minus_lora=99.0))
                l['base_minus_full'] = min(l['base_minus_full'], c['base_loss'][k] - r['full_loss'][k])       # answer loss: lower is better
                l['scratch_minus_full'] = min(l['scratch_minus_full'], r['scratch_loss'][k] - r['full_loss'][k])
                l['base_minus_lora'] = min(l['base_minus_lora'], c['base_loss'][k] - r['lora_loss'][k])
                l['scratch_minus_lora'] = min(l['scratch_minus_lora'], r['scratch_loss'][k] - r['lora_loss'][k])
    res = dict(date=time.strftime('%Y-%m-%d %H:%M'), cpu=lscpu(), python=platform.python_version(), torch=__import__('torch').__version__,
               loadavg=os.getloadavg(), wall_s=round(time.perf_counter() - t0), profile=LAPTOP, seeds=args.seeds, base_from=args.base_from,
               smallest_margins={k: {n: round(v, 4) for n, v in m.items()} for k, m in margins.items()},
               smallest_loss_margins={k: {n: round(v, 4) for n, v in m.items()} for k, m in loss_margins.items()}, cells=cells)
    Path(args.out).write_text(json.dumps(res, indent=1))
    print(json.dumps(dict(exact_match=res['smallest_margins'], answer_loss=res['smallest_loss_margins']), indent=1))


if __name__ == '__main__': main()
