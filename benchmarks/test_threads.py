"""Why the test command is `OMP_NUM_THREADS=1 nbdev_test`: nbdev_test runs one notebook per core at once, and two PyTorch processes
with two threads each on two cores fight over them. Times training steps of the course's `micro` model (batch 8, its full context,
fp32) alone and two side by side, with 1 and with all of the cores' threads each, in one run; writes benchmarks/test_threads.json.

    python benchmarks/test_threads.py
"""
import json, os, subprocess, sys, time
from pathlib import Path
from finetune_matrix import lscpu   # this folder's scripts import each other

HERE = Path(__file__).resolve().parent
STEP = '''
import time, torch, torch.nn.functional as F
from simplellm.model import SimpleLLM
from simplellm.training import TrainConfig
torch.manual_seed(0)
m = SimpleLLM(TrainConfig(model='micro').model_config()); opt = torch.optim.AdamW(m.parameters(), 1e-3)
x = torch.randint(0, m.cfg.vocab_size, (8, m.cfg.context_length))
for i in range(25):
    if i == 5: t0 = time.perf_counter()
    F.cross_entropy(m(x).flatten(0, 1), x.flatten()).backward(); opt.step(); opt.zero_grad()
print((time.perf_counter() - t0) / 20)
'''


def side_by_side(n:int, threads:int) -> list:
    "Seconds a step of each of `n` processes run at once with `threads` threads each"
    env = {**os.environ, 'OMP_NUM_THREADS': str(threads)}
    procs = [subprocess.Popen([sys.executable, '-c', STEP], env=env, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    return [round(float(p.communicate()[0]), 3) for p in procs]


if __name__ == '__main__':
    cores = os.cpu_count()
    rows = {f'{n} at once, {t} thread(s) each': side_by_side(n, t) for n, t in [(1, 1), (1, cores), (cores, 1), (cores, cores)]}
    for k, v in rows.items(): print(f'{k:>32}: {v} s a step')
    out = dict(cpu=lscpu(), cores=cores, seconds_a_step=rows,
               oversubscribed_over_one_thread=round(max(rows[f'{cores} at once, {cores} thread(s) each']) / max(rows[f'{cores} at once, 1 thread(s) each']), 2))
    (HERE/'test_threads.json').write_text(json.dumps(out, indent=1) + '\n')
    print('oversubscribed / one thread each:', out['oversubscribed_over_one_thread'])
