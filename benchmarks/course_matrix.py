"""The course model's claims over a matrix of machines' numerics (appendix 32).

    python benchmarks/course_matrix.py                        # seeds 123 1 2 x threads 1 2 4 x ISA native, avx2
    python benchmarks/course_matrix.py --seeds 123 --threads 1 --isas avx2   # one cell

Each cell trains the course model (`course_model(TrainConfig(seed=...))`: fp32, on the CPU) in a fresh process with
its own empty cache, under the cell's `OMP_NUM_THREADS` and, for `avx2`, `ATEN_CPU_CAPABILITY=avx2`,
`ONEDNN_MAX_CPU_ISA=AVX2`, `MKL_ENABLE_INSTRUCTIONS=AVX2`, then runs `simplellm.claims.measure_claims` on it.
It records the kernels PyTorch actually picked (ATen's capability, oneDNN's verbose ISA line; MKL reports none), the CPU's
model and flags, the training's wall time, and every claim's value and margin, in course_matrix.json beside this script.
bf16 cells are not run: the course model trains in fp32 whatever the CPU offers, so bf16 never enters it.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time, platform
HERE = os.path.dirname(os.path.abspath(__file__))
FORCE_AVX2 = dict(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2', MKL_ENABLE_INSTRUCTIONS='AVX2')

def machine() -> dict:
    "The CPU's model name and its AVX-512/AMX/bf16 flags, from lscpu"
    out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    model = re.search(r'Model name:\s*(.+)', out).group(1).strip()
    flags = re.search(r'Flags:\s*(.+)', out).group(1).split()
    return dict(model=model, cores=os.cpu_count(), isa_flags=sorted(f for f in flags if f.startswith(('avx512', 'amx')) or 'bf16' in f),
                avx2='avx2' in flags)

def cell(seed:int):
    "Run in the cell's process: train (or load) the course model for `seed`, measure, print one JSON line"
    import torch
    from simplellm.course import course_model
    from simplellm.claims import measure_claims
    from simplellm.training import TrainConfig
    t0 = time.perf_counter()
    model = course_model(TrainConfig(seed=seed), progress=False)
    train_s = time.perf_counter() - t0
    claims = measure_claims(model)
    print(json.dumps(dict(capability=torch.backends.cpu.get_cpu_capability(), train_s=round(train_s, 1),
                          claims=[dict(lesson=c.lesson, what=c.what, value=round(float(c.value), 4), bound=c.bound,
                                       above=c.above, margin=round(float(c.margin), 4)) for c in claims])))

def kernels(env:dict) -> dict:
    "The kernels PyTorch picks under `env`: ATen's CPU capability and the ISA oneDNN reports for one convolution (MKL prints none)"
    code = ("import torch; w = torch.randn(8, 8, 3, 3); torch.mkldnn_convolution(torch.randn(1, 8, 16, 16), w, None, [1, 1], [1, 1], [1, 1], 1); "
            "print('aten:' + torch.backends.cpu.get_cpu_capability())")
    out = subprocess.run([sys.executable, '-c', code], env=env | dict(ONEDNN_VERBOSE='1'), capture_output=True, text=True).stdout
    isa, aten = re.search(r'isa:([^,\n]+)', out), re.search(r'aten:(\S+)', out)
    return dict(aten=aten.group(1) if aten else None, onednn=isa.group(1).strip() if isa else None,
                mkl=env.get('MKL_ENABLE_INSTRUCTIONS', 'its own choice'))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seeds', type=int, nargs='+', default=[123, 1, 2])
    p.add_argument('--threads', type=int, nargs='+', default=[1, 2, 4])
    p.add_argument('--isas', nargs='+', default=['native', 'avx2'], choices=['native', 'avx2'])
    p.add_argument('--out', default=os.path.join(HERE, 'course_matrix.json'))
    p.add_argument('--append', action='store_true', help='add the cells to the JSON already there')
    p.add_argument('--cell', type=int, help=argparse.SUPPRESS)           # internal: run one cell for this seed
    a = p.parse_args()
    if a.cell is not None: return cell(a.cell)
    import torch
    res = dict(torch=torch.__version__, python=platform.python_version(), machine=machine(), cells=[], kernels={})
    if a.append and os.path.exists(a.out): res = json.load(open(a.out))
    # the variables move the kernels: below the CPU's own ISA too, which shows on an AVX2-only CPU as well
    res['kernels']['probe: ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41'] = kernels(dict(os.environ) | dict(ATEN_CPU_CAPABILITY='default', ONEDNN_MAX_CPU_ISA='SSE41'))
    for isa in a.isas:
        env = dict(os.environ) | (FORCE_AVX2 if isa == 'avx2' else {})
        for k in FORCE_AVX2: (env.pop(k, None) if isa == 'native' else None)
        res['kernels'][isa] = kernels(env | dict(OMP_NUM_THREADS='1'))
        for threads in a.threads:
            for seed in a.seeds:
                with tempfile.TemporaryDirectory() as cache:
                    e = env | dict(OMP_NUM_THREADS=str(threads), SIMPLELLM_CACHE=cache)
                    t0 = time.perf_counter()
                    r = subprocess.run([sys.executable, __file__, '--cell', str(seed)], env=e, capture_output=True, text=True)
                    if r.returncode: sys.exit(f'cell seed={seed} threads={threads} isa={isa} failed:\n{r.stderr[-3000:]}')
                    out = json.loads(r.stdout.strip().splitlines()[-1])
                rec = dict(seed=seed, threads=threads, isa=isa, machine=machine(), wall_s=round(time.perf_counter() - t0, 1), load=round(os.getloadavg()[0], 2), **out)
                res['cells'].append(rec)
                bad = [c['what'] for c in out['claims'] if c['margin'] <= 0]
                print(f"seed {seed} threads {threads} {isa} ({out['capability']}): trained in {out['train_s']} s; "
                      f"{len(out['claims']) - len(bad)}/{len(out['claims'])} claims hold" + (f"; not: {bad}" if bad else ''), flush=True)
                json.dump(res, open(a.out, 'w'), indent=1)

if __name__ == '__main__': main()
