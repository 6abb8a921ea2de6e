"""Where the test suite's time goes: `OMP_NUM_THREADS=1 nbdev_test --flags slow` (the README's test command) with a fresh cache,
as CI runs it, timed per notebook with the start and end of each, and the CPU time all notebooks used. The CPU time over
(wall time x cores) is how busy the cores were: what is left is a core waiting, mostly a notebook waiting for another to train the
model it needs (`course_model`'s lock). Each `--workers` setting is one run, one after another, on the same machine; writes
benchmarks/suite_timing.json.

    python benchmarks/suite_timing.py                      # nbdev_test's default workers (one per core), then 3 workers
    python benchmarks/suite_timing.py --workers default    # the README's command alone
"""
import argparse, json, os, re, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from finetune_matrix import lscpu   # this folder's scripts import each other
ROOT, DATA = HERE.parent, HERE.parent.parent/'shared'/'data'


def run(workers:str, path:str|None=None) -> dict:
    "One `nbdev_test --flags slow` with a fresh cache (seeded with the data sets, as CI does) and `workers` workers ('default': nbdev's)"
    cache = Path(tempfile.mkdtemp(prefix='simplellm-suite-'))
    for f in ('tinyshakespeare.txt',):
        if (DATA/f).exists(): shutil.copy(DATA/f, cache/f)
    cmd = ['nbdev_test', '--flags', 'slow', '--do_print', '--timing'] + ([] if workers == 'default' else ['--n_workers', workers]) + (['--path', path] if path else [])
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'SIMPLELLM_CACHE': str(cache), 'PYTHONUNBUFFERED': '1'}   # each line when it happens
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
    return dict(workers=workers, rc=rc, wall_s=round(wall, 1), cpu_s=round(cpu, 1),
                notebooks={n: dict(s=secs.get(n), **events.get(n, {})) for n in sorted(set(secs) | set(events), key=lambda n: -(secs.get(n) or 0))},
                failed=[l.strip() for l in lines[next((i + 2 for i, l in enumerate(lines) if 'Tests Failed' in l), len(lines)):] if l.strip()])


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--workers', nargs='+', default=['default', '3'], help="nbdev_test's --n_workers for each run ('default': one per core)")
    p.add_argument('--path', help='only these notebooks (a glob), for a quick check of this script')
    args = p.parse_args()
    import torch
    out = dict(cpu=lscpu(), cores=os.cpu_count(), torch=torch.__version__, date=time.strftime('%Y-%m-%d %H:%M'),
               command='OMP_NUM_THREADS=1 nbdev_test --flags slow, fresh cache', runs=[])
    for w in args.workers:
        r = run(w, args.path); out['runs'].append(r)
        top = ', '.join(f"{n} {v['s']}" for n, v in list(r['notebooks'].items())[:6])
        print(f"workers {w}: {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} CPU s, cores busy {r['cpu_s'] / (r['wall_s'] * os.cpu_count()):.0%}, rc {r['rc']}; slowest: {top}", flush=True)
        if not args.path: (HERE/'suite_timing.json').write_text(json.dumps(out, indent=1) + '\n')
