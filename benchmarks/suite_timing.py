"""Where the test suite's time goes: `OMP_NUM_THREADS=1 nbdev_test --flags slow` (the README's test command) with a fresh cache,
as CI runs it, timed per notebook with the start and end of each, and the CPU time all notebooks used. The CPU time over
(wall time x cores) is how busy the cores were: what is left is a core waiting, mostly a notebook waiting for another to train the
model it needs (`course_model`'s lock). Each `--workers` setting is one run, one after another, on the same machine; writes
benchmarks/suite_timing.json.

    python benchmarks/suite_timing.py                      # nbdev_test's default workers (one per core), then 3 workers
    python benchmarks/suite_timing.py --workers default    # the README's command alone
    python benchmarks/suite_timing.py --workers default --kernels avx2   # the same with PyTorch's kernels held to AVX2 (a laptop)
    python benchmarks/suite_timing.py --cells nbs/10_finetuning.ipynb nbs/06_training.ipynb   # per cell, each notebook alone

With --cells, each notebook runs alone, one after another, as nbdev_test runs it (slow cells included, one thread, a fresh
cache each, so a notebook pays for the models it trains), and each cell's seconds are stored under `cells` in the JSON,
with the date and commit, replacing that notebook's earlier entry (a different CPU starts the section afresh).
"""
import argparse, json, os, re, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from finetune_matrix import lscpu, LAPTOP   # this folder's scripts import each other
ROOT, DATA = HERE.parent, HERE.parent.parent/'shared'/'data'


def fresh_cache(prefix:str) -> Path:
    "A new, empty SIMPLELLM_CACHE folder seeded with the data sets from ../shared/data, as CI seeds it"
    cache = Path(tempfile.mkdtemp(prefix=prefix))
    for f in ('tinyshakespeare.txt',):
        if (DATA/f).exists(): shutil.copy(DATA/f, cache/f)
    return cache


def test_env(cache:Path, kernels:str='native') -> dict:
    "The environment CI tests in: one thread per notebook, `cache` as SIMPLELLM_CACHE, PyTorch's kernels native or held to AVX2"
    return {**os.environ, **(LAPTOP if kernels == 'avx2' else {}), 'OMP_NUM_THREADS': '1', 'SIMPLELLM_CACHE': str(cache)}


def commit() -> str:
    "The repository's commit, with '+' when the working tree differs from it"
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = [l for l in subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
             if not l.endswith('benchmarks/suite_timing.json')]   # this script's own output does not count
    return head + ('+' if dirty else '')


def run(workers:str, file_re:str|None=None, kernels:str='native') -> dict:
    "One `nbdev_test --flags slow` with a fresh cache (seeded with the data sets, as CI does), `workers` workers ('default': nbdev's), and PyTorch's kernels native or held to AVX2"
    cache = fresh_cache('simplellm-suite-')
    cmd = ['nbdev_test', '--flags', 'slow', '--do_print', '--timing'] + ([] if workers == 'default' else ['--n_workers', workers]) + (['--file_re', file_re] if file_re else [])
    env = {**test_env(cache, kernels), 'PYTHONUNBUFFERED': '1'}   # each line when it happens
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, events, lines = time.perf_counter(), {}, []
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        t, line = round(time.perf_counter() - t0, 1), line.rstrip()
        lines.append(line)
        if m := re.match(r'(Starting|- Completed) (\S+\.ipynb)', line): events.setdefault(Path(m[2]).name, {})['start' if m[1] == 'Starting' else 'end'] = t
    rc, wall = proc.wait(), time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    secs = {m[1]: int(m[2]) for l in lines if (m := re.match(r'(\S+\.ipynb): (\d+) secs', l))}
    shutil.rmtree(cache, ignore_errors=True)
    return dict(workers=workers, kernels=kernels, date=time.strftime('%Y-%m-%d %H:%M'), commit=commit(), rc=rc, wall_s=round(wall, 1), cpu_s=round(cpu, 1),
                notebooks={n: dict(s=secs.get(n), **events.get(n, {})) for n in sorted(set(secs) | set(events), key=lambda n: -(secs.get(n) or 0))},
                failed=[l.strip() for l in lines[next((i + 2 for i, l in enumerate(lines) if 'Tests Failed' in l), len(lines)):] if l.strip()])


def cell_times(nb:str) -> list:
    "Run notebook `nb` as nbdev_test does (in this process) and return each executed cell's index, seconds and first line"
    from execnb.shell import CaptureShell
    from nbdev.test import test_nb
    times, run_cell = [], CaptureShell.cell
    def timed(self, cell, *args, **kw):
        t = time.perf_counter(); run_cell(self, cell, *args, **kw)
        if cell.cell_type == 'code': times.append(dict(cell=cell.idx_, s=round(time.perf_counter() - t, 2),
                                                       line=next((l for l in cell.source.splitlines() if not l.startswith('#|')), '')[:80]))
    CaptureShell.cell = timed
    ok, _ = test_nb(Path(nb).resolve(), skip_flags=['notest'])
    if not ok: raise SystemExit(f'{nb} failed')
    return times


def cells(nb:str, kernels:str='native') -> dict:
    "Per-cell seconds of `nb` run alone in a fresh process: one thread, a fresh cache seeded with the data sets, the kernels given"
    cache = fresh_cache('simplellm-cells-')
    env = test_env(cache, kernels)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, '--one', nb], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    shutil.rmtree(cache, ignore_errors=True)
    if out.returncode: raise SystemExit(f'{nb}: ' + out.stderr.strip().splitlines()[-1])
    times = json.loads(out.stdout.strip().splitlines()[-1])
    return dict(notebook=Path(nb).name, kernels=kernels, wall_s=round(wall, 1), cells_s=round(sum(t['s'] for t in times), 1),
                slowest=sorted(times, key=lambda t: -t['s'])[:8])


if __name__ == '__main__':
    if sys.argv[1:2] == ['--one']: print(json.dumps(cell_times(sys.argv[2]))); sys.exit()   # the child process of `cells`
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--workers', nargs='+', default=['default', '3'], help="nbdev_test's --n_workers for each run ('default': one per core)")
    p.add_argument('--file_re', help="only the notebooks whose names match this regular expression (nbdev_test's --file_re), for a quick check of this script")
    p.add_argument('--kernels', choices=('native', 'avx2'), default='native', help="PyTorch's kernels: the CPU's own, or held to AVX2 as on most laptops")
    p.add_argument('--cells', nargs='+', metavar='NOTEBOOK', help='time these notebooks per cell, each alone, instead')
    p.add_argument('--keep', action='store_true', help='keep the stored runs of the same workers and kernels (another run the same day, for the drift)')
    args = p.parse_args()
    import torch
    stored = json.loads((HERE/'suite_timing.json').read_text()) if (HERE/'suite_timing.json').exists() else {}
    if args.cells:
        out = stored                                                   # the whole-suite runs stay, and the other notebooks' cells
        cpu = lscpu()
        if out.get('cells', {}).get('cpu') != cpu: out['cells'] = dict(cpu=cpu, torch=torch.__version__, notebooks=[])   # one CPU per section
        for nb in args.cells:
            r = dict(cells(nb, args.kernels), date=time.strftime('%Y-%m-%d %H:%M'), commit=commit())
            out['cells']['notebooks'] = [n for n in out['cells']['notebooks'] if (n['notebook'], n.get('kernels', 'native')) != (r['notebook'], r['kernels'])] + [r]
            print(f"{r['notebook']}: {r['wall_s']:.0f} s alone, cells {r['cells_s']:.0f} s; slowest: " + '; '.join(f"[{t['cell']}] {t['s']:.0f} s {t['line'][:40]!r}" for t in r['slowest'][:4]), flush=True)
            (HERE/'suite_timing.json').write_text(json.dumps(out, indent=1) + '\n')
        sys.exit()
    cpu = lscpu()
    this = set() if args.keep else {(str(w), args.kernels) for w in args.workers}   # the runs this call replaces: its workers at its kernel level
    kept = [r for r in stored.get('runs', []) if (str(r['workers']), r.get('kernels', 'native')) not in this] if stored.get('cpu') == cpu else []   # the others stay
    out = dict(cpu=cpu, cores=os.cpu_count(), torch=torch.__version__, command='OMP_NUM_THREADS=1 nbdev_test --flags slow, fresh cache',
               runs=kept, **({'cells': stored['cells']} if 'cells' in stored else {}))   # the per-cell runs stay
    for w in args.workers:
        r = run(w, args.file_re, args.kernels); out['runs'].append(r)
        top = ', '.join(f"{n} {v['s']}" for n, v in list(r['notebooks'].items())[:6])
        print(f"workers {w}, {args.kernels} kernels: {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} CPU s, cores busy {r['cpu_s'] / (r['wall_s'] * os.cpu_count()):.0%}, rc {r['rc']}; slowest: {top}", flush=True)
        if not args.file_re: (HERE/'suite_timing.json').write_text(json.dumps(out, indent=1) + '\n')
