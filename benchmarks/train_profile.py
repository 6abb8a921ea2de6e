"""Where the time of one GPT-2 124M training step goes on the CPU: torch.profiler over a few steps of SimpleLLM's
Trainer and of HF transformers' GPT2LMHeadModel (same shape, same AdamW with decay on matrices, same gradient
clipping), at the same precision.

    python benchmarks/train_profile.py                      # bf16, batch 1 x 1024, 2 profiled steps each
    python benchmarks/train_profile.py --precision fp32
    python benchmarks/train_profile.py --loss-chunk 1024    # any TrainConfig field of our run

Prints the operators that take the most self CPU time for each, and a breakdown by phase (forward, backward,
optimizer) taken from the profiler's own ranges. Results go to train_profile.json beside this script.
"""
import argparse, contextlib, json, os, time, torch
from torch.profiler import profile, schedule, ProfilerActivity
from transformers import GPT2Config, GPT2LMHeadModel
from simplellm.model import ModelConfig
from simplellm.training import TrainConfig, Trainer, configure_optimizer
from train_throughput import hf_model   # the same HF model as the throughput benchmark

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT, WARMUP, ACTIVE = 1, 1, 2

def ours(cfg:TrainConfig, ids, on_step):
    "Our Trainer for WAIT + WARMUP + ACTIVE + 1 steps (the last one ends with an evaluation, outside the profile)"
    n = WAIT + WARMUP + ACTIVE + 1
    t = Trainer(TrainConfig(**{**cfg.__dict__, 'max_steps': n, 'eval_every': 10**6, 'ckpt_dir': None, 'progress': False, 'sample_tokens': 0,
                               'early_stopping_patience': None, 'keep_best': False, 'warmup_steps': 0}),
                train_ids=ids, val_ids=ids[:cfg.model_config().context_length + 1], callbacks=[on_step])
    return t.fit

def hf(mcfg:ModelConfig, batch:int, precision:str, ids, on_step):
    torch.manual_seed(0)
    m = hf_model(mcfg).train(); opt = configure_optimizer(m, 3e-4, 0.1)  # AdamW as the Trainer makes it
    T = mcfg.context_length
    x = ids[:batch * T].view(batch, T)
    ac = (lambda: torch.autocast('cpu', torch.bfloat16)) if precision == 'bf16' else contextlib.nullcontext
    def fit():
        for _ in range(WAIT + WARMUP + ACTIVE + 1):
            with torch.profiler.record_function('forward'):
                with ac(): loss = m(input_ids=x, labels=x).loss
            with torch.profiler.record_function('backward'): loss.backward()
            with torch.profiler.record_function('optimizer'):
                torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); opt.zero_grad(set_to_none=True)
            on_step(None)
    return fit

def profiled(make):
    "Run a contender under the profiler; (key averages, seconds per active step)"
    box, times, cpu = {}, [], []
    def on_step(_):
        times.append(time.perf_counter()); cpu.append(time.process_time())
        box['prof'].step()
    fit = make(on_step)
    with profile(activities=[ProfilerActivity.CPU], schedule=schedule(wait=WAIT, warmup=WARMUP, active=ACTIVE, repeat=1)) as prof:
        box['prof'] = prof; fit()
    a, b = WAIT + WARMUP - 1, WAIT + WARMUP + ACTIVE - 1
    return prof.key_averages(), (times[b] - times[a]) / ACTIVE, (cpu[b] - cpu[a]) / ACTIVE

def table(ka, s, n=15):
    rows = sorted([e for e in ka if e.self_cpu_time_total > 0], key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in rows)
    out = [dict(op=e.key, self_ms=e.self_cpu_time_total / 1e3 / ACTIVE, share=e.self_cpu_time_total / total, calls=e.count // ACTIVE) for e in rows[:n]]
    for r in out: print(f"    {r['op'][:60]:<60} {r['self_ms']:9.1f} ms/step {r['share']:6.1%}  {r['calls']:>5} calls/step")
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--precision', default='bf16', choices=['bf16', 'fp32'])
    p.add_argument('--model', default='gpt2'); p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--loss-chunk', type=int, default=None, help="our loss_chunk (default: TrainConfig's)")
    p.add_argument('--only', choices=['ours', 'hf'], default=None)
    p.add_argument('--active', type=int, default=ACTIVE, help='profiled steps of each contender')
    p.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's; 1 is steadier on a busy machine)")
    a = p.parse_args()
    ACTIVE = a.active
    if a.threads: torch.set_num_threads(a.threads)
    cfg = TrainConfig(model=a.model, batch_size=a.batch_size, precision=a.precision, **({'loss_chunk': a.loss_chunk} if a.loss_chunk else {}))
    mcfg = cfg.model_config()
    torch.manual_seed(0)
    ids = torch.randint(0, mcfg.vocab_size, (a.batch_size * (WAIT + WARMUP + ACTIVE + 2) * mcfg.context_length + 1,))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}; {a.model}, batch {a.batch_size} x {mcfg.context_length}, {a.precision}, loss_chunk {cfg.loss_chunk}", flush=True)
    res = dict(torch=torch.__version__, threads=torch.get_num_threads(), loadavg=os.getloadavg(), precision=a.precision, model=a.model,
               batch=a.batch_size, loss_chunk=cfg.loss_chunk)
    for name, make in (('SimpleLLM', lambda f: ours(cfg, ids, f)), ('HF', lambda f: hf(mcfg, a.batch_size, a.precision, ids, f))):
        if a.only and a.only != {'SimpleLLM': 'ours', 'HF': 'hf'}[name]: continue
        ka, s, c = profiled(make)
        print(f"\n{name}: {s:.2f} s/step under the profiler ({a.batch_size * mcfg.context_length / s:.0f} tokens/s), process CPU {c:.2f} s/step; top operators by self time:")
        res[name] = dict(s_per_step=s, cpu_s_per_step=c, top=table(ka, s))
    if 'SimpleLLM' in res and 'HF' in res:
        print(f"\nSimpleLLM / HF speed under the profiler: {res['HF']['s_per_step'] / res['SimpleLLM']['s_per_step']:.2f}x wall, "
              f"{res['HF']['cpu_s_per_step'] / res['SimpleLLM']['cpu_s_per_step']:.2f}x by process CPU time")
    out = os.path.join(HERE, 'train_profile.json')
    old = json.load(open(out)) if os.path.exists(out) else []
    json.dump(old + [res], open(out, 'w'), indent=1)
