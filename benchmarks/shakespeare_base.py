"""Lesson 10's base model: its recipe (`SHAKESPEARE_BASE`: micro, 8 x 128 tokens a step, Muon on the blocks' matrices and AdamW on the
rest, 150 steps at lr 1e-2) against the recipes before it: Muon for 300 steps at 3e-3, and AdamW for 900 steps. Each run is a
process of its own, with its thread count and instruction set fixed before torch starts, two at a time (--jobs). Recorded per run: the
validation loss at every evaluation, the training time, and how focused the attention heads are on a line of the plays (lesson 01's focus:
the mean of each row's largest weight, 0.08 or so for an untrained model). Records without `lr` (shakespeare_base.json,
shakespeare_base_muon_fp32.json) ran at the recipe's rate then, 3e-3.

    python benchmarks/shakespeare_base.py      # adamw:900:3e-3 and muon:150 on this CPU, avx2:muon:150 (AVX2 kernels only: a laptop's), 1 thread each
    python benchmarks/shakespeare_base.py --runs muon:150 avx2:adamw:300:3e-3 --jobs 1
    python benchmarks/shakespeare_base.py --runs avx2:muon:150 avx2:muon:300:3e-3 --out benchmarks/shakespeare_base_150.json
        # the recipe (150 steps at 1e-2) against the one before it (300 steps at 3e-3), side by side, both held to AVX2
    python benchmarks/shakespeare_base.py --runs avx2:muon:300 avx2:muon-torch:300 --out benchmarks/shakespeare_base_muon_fp32.json
        # muon-torch: PyTorch's Muon step as shipped, its Newton-Schulz iteration in bf16 even where the CPU emulates bf16
"""
import argparse, dataclasses, json, os, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from finetune_matrix import lscpu, LAPTOP   # this folder's scripts import each other
LINE = "ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun."


def run(opt:str, steps:int, lr:float|None=None) -> dict:
    "In this process: train the base recipe with `opt` for `steps` steps (at `lr`, default the recipe's) into a temporary folder, evaluating 3 times; its curve, time and heads"
    import torch
    from simplellm.finetune import SHAKESPEARE_BASE
    from simplellm.training import train
    from simplellm.explorer import attention_weights
    from simplellm.claims import _focus   # lesson 01's focus, as the claims matrix measures it
    from simplellm.data import get_tokenizer
    from simplellm.model import SimpleLLM
    if opt == 'muon-torch':   # PyTorch's Muon step as shipped (its Newton-Schulz iteration in bf16 on every CPU), not muon_step's fp32 one
        import simplellm.training; simplellm.training.muon_step, opt = (lambda o: o.step()), 'muon'
    d = tempfile.mkdtemp()
    cfg = dataclasses.replace(SHAKESPEARE_BASE, optimizer=opt, max_steps=steps, lr=lr or SHAKESPEARE_BASE.lr, eval_every=max(1, steps // 3), ckpt_dir=d, progress=False, overwrite=True, resume=False,
                              device='cpu', precision='fp32')   # as the course-model cache trains it: the same on every machine
    t0 = time.perf_counter(); trainer = train(cfg); wall = time.perf_counter() - t0
    model = trainer.model.eval()
    ids = get_tokenizer().encode(LINE)
    torch.manual_seed(0)
    f, fu = _focus(attention_weights(model, ids)), _focus(attention_weights(SimpleLLM(model.cfg).eval(), ids))   # (layers, heads)
    return dict(optimizer=opt, steps=steps, lr=cfg.lr, threads=torch.get_num_threads(), capability=torch.backends.cpu.get_cpu_capability(), train_s=round(wall, 1),
                val_loss={r['step']: round(r['val_loss'], 3) for r in trainer.metrics},
                focus=[[round(v, 3) for v in row] for row in f.tolist()], focus_untrained_max=round(fu.max().item(), 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runs', nargs='+', default=['adamw:900:3e-3', 'muon:150', 'avx2:muon:150'], help='[avx2:]optimizer:steps[:lr] (avx2: the laptop profile, AVX2 kernels only; lr: default the recipe\'s)')
    ap.add_argument('--threads', type=int, default=1, help='threads of each run')
    ap.add_argument('--jobs', type=int, default=2, help='runs at a time, each a process; the next starts when one ends')
    ap.add_argument('--out', default=str(HERE/'shakespeare_base.json'))
    ap.add_argument('--run', default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run: opt, steps, *lr = args.run.split(':'); print(json.dumps(run(opt, int(steps), *map(float, lr)))); return
    env = {**os.environ, 'OMP_NUM_THREADS': str(args.threads), 'MKL_NUM_THREADS': str(args.threads)}
    t0, queue, running, runs = time.perf_counter(), list(args.runs), {}, []
    while queue or running:
        while queue and len(running) < args.jobs:
            r = queue.pop(0); laptop = r.startswith('avx2:')
            running[r] = subprocess.Popen([sys.executable, __file__, '--run', r.removeprefix('avx2:')], env={**env, **(LAPTOP if laptop else {})},
                                          stdout=subprocess.PIPE, text=True)
        done = next((r for r, p in running.items() if p.poll() is not None), None)
        if done is None: time.sleep(1); continue
        p = running.pop(done); out = p.stdout.read()
        if p.returncode: print(f'{done} failed (exit {p.returncode})', file=sys.stderr); continue
        runs.append({'run': done, 'profile': 'avx2' if done.startswith('avx2:') else 'native', **json.loads(out.splitlines()[-1])})
    res = dict(date=time.strftime('%Y-%m-%d %H:%M'), cpu=lscpu(), torch=__import__('torch').__version__, loadavg=os.getloadavg(),
               wall_s=round(time.perf_counter() - t0), laptop_profile=LAPTOP, jobs=args.jobs, runs=runs)
    Path(args.out).write_text(json.dumps(res, indent=1))
    print(json.dumps([{k: r[k] for k in ('run', 'capability', 'train_s', 'val_loss', 'focus', 'focus_untrained_max')} for r in runs], indent=1))


if __name__ == '__main__': main()
