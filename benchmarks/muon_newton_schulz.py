"""Muon's Newton-Schulz iteration on the CPU: PyTorch's own (`torch.optim.Muon` casts to bfloat16) against `simplellm.precision.newton_schulz`
(the same iteration in fp32), on the shapes of a `micro` block's four matrices, at 1 and 2 threads, with this CPU's own kernels and with the
kernels held to AVX2 (a laptop's), each in a process of its own, interleaved. Also one whole Muon step over those four matrices: `opt.step()`
against `muon_step(opt)`, which picks fp32 only where the CPU would emulate bf16.

    python benchmarks/muon_newton_schulz.py          # writes muon_newton_schulz.json
"""
import json, os, subprocess, sys, time
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from finetune_matrix import lscpu, LAPTOP   # this folder's scripts import each other
SHAPES = [(384, 128), (128, 128), (512, 128), (128, 512)]   # micro: qkv, attention out, MLP in, MLP out

def measure(threads:int, repeats:int=30) -> dict:
    "In this process: the best-of-`repeats` milliseconds of each iteration on each shape, and of one Muon step over all four"
    import torch
    from torch.optim import _muon
    from simplellm.precision import newton_schulz, muon_step, cpu_emulates
    torch.set_num_threads(threads); torch.manual_seed(0)
    COEFFS = torch.optim.Muon([torch.nn.Parameter(torch.zeros(2, 2))]).defaults['ns_coefficients']   # Muon's own defaults
    def best(f):
        f(); ts = []
        for _ in range(repeats): t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
        return round(min(ts) * 1e3, 3)
    res = {}
    for shape in SHAPES:
        g = torch.randn(shape)
        res[f'{shape[0]}x{shape[1]}'] = dict(torch_bf16_ms=best(lambda: _muon._zeropower_via_newtonschulz(g, COEFFS, 5, 1e-7)),
                                             fp32_ms=best(lambda: newton_schulz(g, COEFFS, 5, 1e-7)))
    ws = [torch.nn.Parameter(torch.randn(s)) for s in SHAPES]
    for w in ws: w.grad = torch.randn_like(w)
    opt = torch.optim.Muon(ws, lr=1e-3)
    step = dict(torch_step_ms=best(opt.step), muon_step_ms=best(lambda: muon_step(opt)))
    return dict(capability=torch.backends.cpu.get_cpu_capability(), threads=threads, emulates_bf16=cpu_emulates('bf16'), shapes=res, step=step)

if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--one': print(json.dumps(measure(int(sys.argv[2])))); sys.exit()
    import argparse; argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    runs = []
    for profile in ('native', 'avx2'):
        for threads in (1, 2):
            env = {**os.environ, **(LAPTOP if profile == 'avx2' else {})}
            out = subprocess.run([sys.executable, __file__, '--one', str(threads)], env=env, capture_output=True, text=True, check=True).stdout
            runs.append({'profile': profile, **json.loads(out.splitlines()[-1])})
            r = runs[-1]
            print(f"{profile:6s} {threads} thread(s): " + ', '.join(f"{k} bf16 {v['torch_bf16_ms']:.2f} ms / fp32 {v['fp32_ms']:.2f} ms" for k, v in r['shapes'].items())
                  + f"; a Muon step over the four: torch {r['step']['torch_step_ms']:.1f} ms, muon_step {r['step']['muon_step_ms']:.1f} ms")
    import torch
    res = dict(date=time.strftime('%Y-%m-%d %H:%M'), cpu=lscpu(), torch=torch.__version__, loadavg=os.getloadavg(), laptop_profile=LAPTOP, runs=runs)
    (HERE/'muon_newton_schulz.json').write_text(json.dumps(res, indent=1))
    print('results:', HERE/'muon_newton_schulz.json')
