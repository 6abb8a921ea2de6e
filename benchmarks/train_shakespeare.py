"""Benchmark 3: tinyshakespeare (GPT-2 tokens, 90/10 split), validation loss against training time for a 10-minute
budget on 2 CPU cores. nanoGPT's trainer with a 4-layer, 4-head, 256-wide model (context 128, batch 16, lr 1e-3,
fp32) reaches val loss 5.15 after ~420 s and 4.97 after ~700 s on 2 cores (published). Target: <= 4.6 within 600 s.

    python benchmarks/train_shakespeare.py                       # the 10-minute run; writes train_shakespeare.png/.json
    python benchmarks/train_shakespeare.py --quick               # a 20-second smoke run
    python benchmarks/train_shakespeare.py --budget 300 lr=2e-3 d_embed=128   # TrainConfig field changes
    python benchmarks/train_shakespeare.py --cpu-budget          # budget counted in process CPU seconds / 2
    python benchmarks/train_shakespeare.py model=micro optimizer=muon batch_size=16 lr=1e-2 weight_decay=0.5 warmup_steps=10 num_layers=4 min_lr_ratio=0 label_smoothing=0.1 stride=1 eval_every=100   # the best measured: 4.577 (0.67 s a step)
    python benchmarks/train_shakespeare.py --plot                # only redraw train_shakespeare.png from the runs on record

The cosine schedule is sized to the budget: a probe measures the seconds per step (over a few steps, through the
Trainer's callbacks), and max_steps is set so that the schedule ends at the budget. At each evaluation from the
second on, the rest of the schedule is sized again from the time the steps since the one before took (their evaluation
and save included; `--no-resize` keeps the probe's), since the probe alone left up to a tenth of the budget unused.
With --cpu-budget, the budget is in process CPU seconds / 2 (what a run takes on 2 idle cores) instead of wall
seconds, for a machine shared with other jobs; the curve's time axis is then CPU seconds / 2 too. A `max_steps=N` change sets the schedule's length
instead (the run still stops at the budget), for a cosine that ends before the budget does.
"""
import argparse, json, os, sys, time, torch
from simplellm.training import TrainConfig, Trainer, train
from simplellm.precision import muon_in_fp32

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train_verdict import split_changes, new_model   # this folder's scripts import each other
BEST = dict(data='tinyshakespeare', model='tiny', context_length=128, batch_size=16, lr=1e-3, warmup_steps=50,
            min_lr_ratio=0.1, dropout=0.0, weight_decay=0.1, label_smoothing=0.0, stride=None, eval_every=50,
            early_stopping_patience=None, sample_prompt='ROMEO:', ckpt_dir='checkpoints/shakespeare', overwrite=True)
PUBLISHED = ((5.15, 420), (4.97, 700))   # nanoGPT 256/4/4 on 2 cores: (val loss, seconds)

def clock(cpu:bool) -> float: return time.process_time() / 2 if cpu else time.perf_counter()

def seconds_per_step(cfg:TrainConfig, cpu:bool, n:int=5, mover:dict|None=None) -> float:
    "Median seconds of one training step of cfg, from a short run timed through the Trainer's callbacks"
    stamps = []
    Trainer(TrainConfig(**{**cfg.__dict__, 'ckpt_dir': None, 'progress': False, 'max_steps': n + 2, 'eval_every': 10**6, 'sample_tokens': 0}),
            model=new_model(cfg, mover or {}), callbacks=[lambda t: stamps.append(clock(cpu))]).fit()
    d = sorted(b - a for a, b in zip(stamps[:n], stamps[1:n + 1]))   # the last step ends with an evaluation: left out
    return d[len(d) // 2]

def label(r:dict) -> str:
    "A run's model, optimizer and batch, and what else it changed from BEST, for a legend"
    c = r['config']
    short = dict(num_layers='layers', weight_decay='wd', min_lr_ratio='min lr', label_smoothing='smoothing', eval_every='eval every', tie_weights='tied', context_length='context', d_embed='width')
    extra = [f'{short.get(k, k)} {c[k]}' for k in ('lr', 'd_embed', 'num_layers', 'context_length', 'dropout', 'weight_decay', 'min_lr_ratio', 'label_smoothing', 'stride', 'eval_every', 'tie_weights')
             if c.get(k, BEST.get(k)) != BEST.get(k)]
    cpu = ' '.join(w for w in (r.get('cpu_model') or '?').replace('(R)', '').split() if w not in ('Processor', 'CPU'))   # 'Intel Xeon', 'AMD EPYC'
    ns = {'fp32': ' (fp32 iteration)', 'bf16': ' (bf16 iteration)'}.get(r.get('muon_newton_schulz'), '') if c.get('optimizer') == 'muon' else ''
    end = r['curve'][-1]
    return ', '.join([c.get('model'), (c.get('optimizer') or 'adamw') + ns, f"batch {c.get('batch_size')}", *extra]) + f" ({cpu}, {end['s'] / end['step']:.2f} s a step)"   # the machine's speed that day

def within(curve:list, budget:float) -> dict:
    "The evaluation with the lowest validation loss among those done within `budget` seconds (evaluations counted)"
    return min([c for c in curve if c['s'] <= budget] or curve[:1], key=lambda c: c['val_loss'])

def plot(json_path:str, png_path:str, budget:float=600.0, unit:str='s', capability:str='AVX2', n:int=5):
    "Draw the validation curves of the `n` runs on record with this budget, unit and kernel level, best within the budget first, and nanoGPT's published points"
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    runs = [r for r in json.load(open(json_path)) if r['budget'] == budget and r.get('unit', 's') == unit and r.get('capability') == capability]
    runs = sorted(runs, key=lambda r: within(r['curve'], r['budget'])['val_loss'])[:n]
    fig, ax = plt.subplots(figsize=(9, 6.5))
    for r in runs: ax.plot([c['s'] for c in r['curve']], [c['val_loss'] for c in r['curve']], '.-', ms=3,
                           label=f"{label(r)}: {within(r['curve'], r['budget'])['val_loss']:.3f}")
    ax.plot(*zip(*[(s, l) for l, s in PUBLISHED]), 'x', ms=10, label='nanoGPT 256x4 (published)')
    ax.axhline(4.6, ls=':', c='k', label='target 4.6')
    ax.axvline(budget, ls='--', c='grey', lw=0.8)
    ax.set(xlabel=f'training time, evaluations included ({unit})', ylabel='validation loss', ylim=(4.5, 5.75) if budget >= 600 else None,
           title=f'Tiny Shakespeare, {budget:.0f} {unit} on 2 CPU cores ({capability} kernels, fp32)')
    ax.legend(fontsize=7, loc='upper center', bbox_to_anchor=(0.5, -0.12)); fig.tight_layout()   # below the axes: the labels are long
    fig.savefig(png_path, dpi=100); plt.close(fig)

def value(s:str):
    try: return json.loads(s)
    except json.JSONDecodeError: return s

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('changes', nargs='*', metavar='FIELD=VALUE', help='TrainConfig field changes')
    p.add_argument('--budget', type=float, default=600.0, help='seconds of training')
    p.add_argument('--cpu-budget', action='store_true', help='count the budget in process CPU seconds / 2')
    p.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument('--quick', action='store_true', help='a 20-second smoke run')
    p.add_argument('--no-resize', action='store_true', help="keep the probe's max_steps (before 2026-12-06 every run did)")
    p.add_argument('--plot', action='store_true', help='only redraw train_shakespeare.png from the runs on record')
    a = p.parse_args()
    if a.plot: sys.exit(plot(os.path.join(HERE, 'train_shakespeare.json'), os.path.join(HERE, 'train_shakespeare.png')))
    if a.threads: torch.set_num_threads(a.threads)
    budget = 20.0 if a.quick else a.budget
    over = {k: value(v) for k, v in (kv.split('=', 1) for kv in a.changes)}
    tover, mover = split_changes(over)   # mover: ModelConfig changes, e.g. tie_weights=false
    cfg = TrainConfig(**{**BEST, **tover, **({'eval_every': 10} if a.quick else {})})
    sps = seconds_per_step(cfg, a.cpu_budget, mover=mover)
    eval_overhead = 1.1  # evaluations take about a tenth of the time at eval_every=50
    cfg = TrainConfig(**{**cfg.__dict__, 'max_steps': over.get('max_steps') or max(10, int(budget / (sps * eval_overhead))), 'max_time': None if a.cpu_budget else budget})
    unit = 'CPU s / 2' if a.cpu_budget else 's'
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}; probe: {sps:.3f} {unit} per step "
          f"-> max_steps {cfg.max_steps}; changes {over or 'none'}", flush=True)
    t0 = clock(a.cpu_budget); curve = []; resized = []
    def record(t):
        if t.metrics and (not curve or curve[-1]['step'] != t.metrics[-1]['step']):
            curve.append(dict(step=t.metrics[-1]['step'], val_loss=t.metrics[-1]['val_loss'], train_loss=t.metrics[-1]['train_loss'], s=clock(a.cpu_budget) - t0))
            if len(curve) >= 2 and 'max_steps' not in over and not a.no_resize and t.step < t.max_steps:
                # the probe's few steps miss the evaluations, the saves and the machine's drift: at each evaluation from the
                # second on, size the rest of the schedule by the time the steps since the one before took (their evaluation and
                # save included), so that it ends just inside the budget (0.98: room for the last evaluation)
                rate = (curve[-1]['s'] - curve[-2]['s']) / (curve[-1]['step'] - curve[-2]['step'])
                t.max_steps = t.scheduler.total_steps = max(t.step + 1, int(t.step + (0.98 * budget - curve[-1]['s']) / rate))
                resized.append(dict(at_step=t.step, s_per_step=rate, max_steps=t.max_steps))
                print(f"step {t.step}: {rate:.3f} {unit} per step, evaluation included -> max_steps {t.max_steps}", flush=True)
    t = Trainer(cfg, model=new_model(cfg, mover), callbacks=[record]); t.fit()
    total = clock(a.cpu_budget) - t0
    best = min(curve, key=lambda r: r['val_loss'])
    best_in = within(curve, budget)
    print(f"\nbest val loss {best['val_loss']:.3f} at step {best['step']} after {best['s']:.0f} {unit}; {t.step} steps, {t.tokens_seen:,} tokens, "
          f"{total:.0f} {unit} in all (evaluations included); within the budget: {best_in['val_loss']:.3f} after {best_in['s']:.0f} {unit}")
    hits = {}
    for target, nano in (*PUBLISHED, (4.6, None)):
        hit = next((r for r in curve if r['val_loss'] <= target), None)
        hits[str(target)] = hit and hit['s']
        print(f"  val loss <= {target}: " + (f"after {hit['s']:.0f} {unit}" if hit else 'not reached') + (f" (nanoGPT, published: ~{nano} s)" if nano else f" (target: within 600 s)"))
    from finetune_matrix import lscpu
    cpu = lscpu()
    res = dict(torch=torch.__version__, threads=torch.get_num_threads(), loadavg=os.getloadavg(), date=time.strftime('%Y-%m-%d %H:%M'),
               cpu_model=cpu.get('model', ''), cpu_flags=cpu.get('flags', ''), capability=torch.backends.cpu.get_cpu_capability(),
               precision=t.precision, muon_newton_schulz=(('fp32' if muon_in_fp32(t.optimizer.muon) else 'bf16') if cfg.optimizer == 'muon' else None),   # which Muon iteration ran (appendix 24)
               config={**BEST, **over}, budget=budget, unit=unit, s_per_step=sps, max_steps=cfg.max_steps, resized=resized or None, best=best, best_within_budget=best_in, reached=hits, curve=curve)
    suffix = '_quick' if a.quick else ''
    out = os.path.join(HERE, f'train_shakespeare{suffix}.json')
    old = json.load(open(out)) if os.path.exists(out) else []
    json.dump(old + [res], open(out, 'w'), indent=1)
    plot(out, os.path.join(HERE, f'train_shakespeare{suffix}.png'), budget, unit, res['capability'])   # this run among its like
    print('results:', out)
