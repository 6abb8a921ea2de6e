"""Benchmark 1: validation perplexity on The Verdict in about a minute of CPU training, with the defaults of
`simplellm train --data the-verdict`, next to the seed's configuration trained the seed's way, measured in the same run.

    python benchmarks/train_verdict.py                # defaults + the seed's config (10 epochs)
    python benchmarks/train_verdict.py --quick        # a 10-second smoke run of each
    python benchmarks/train_verdict.py --sweep        # the small sweep that chose the defaults (~15 runs, ~1 min each)
    python benchmarks/train_verdict.py --lr 3e-3 ...  # any TrainConfig flag changes the "defaults" run

Val PPL is exp(mean cross-entropy) over non-overlapping windows of the training context on the last 10% of the tokens.
"""
import argparse, json, math, os, sys, tempfile, time
import torch
from simplellm.training import TrainConfig, add_train_args, config_from_args, train

SEED_CONFIG = dict(model='tiny', lr=3e-4, stride=None, label_smoothing=0.0, epochs=10, batch_size=8, warmup_steps=0, min_lr_ratio=1.0, weight_decay=0.1,
                   early_stopping_patience=None, keep_best=False, precision='fp32')  # the seed: constant lr, no early stopping
PUBLISHED = [('seed project (tiny, 10 epochs)', 2874, 0.0361, None), ('LLMs-from-scratch ch. 5 (124M, 10 epochs)', 600, None, 460)]

# the sweep that chose the defaults: each run changes the defaults by these fields, and trains for as many
# steps as fit in --cpu-budget seconds of process CPU time (measured on a 3-step probe), so that runs are
# compared at equal compute even on a busy machine (on 2 idle cores, wall time is about CPU time / 2)
SWEEP = [dict(), dict(d_embed=64), dict(d_embed=256), dict(num_layers=1), dict(stride=32), dict(stride=128),
         dict(lr=6e-3), dict(lr=1e-3), dict(dropout=0.0), dict(dropout=0.2), dict(label_smoothing=0.0), dict(label_smoothing=0.2),
         dict(context_length=64), dict(context_length=256), dict(weight_decay=0.5), dict(model='tiny')]

def cpu_s(): return time.process_time()

def steps_for(cfg:TrainConfig, budget:float) -> int:
    "How many steps of cfg fit in `budget` CPU seconds, from a 3-step probe"
    from simplellm.training import Trainer
    t = Trainer(TrainConfig(**{**cfg.__dict__, 'ckpt_dir': None, 'progress': False, 'max_steps': 100}))
    t._train_step(); c0 = cpu_s()
    for _ in range(3): t._train_step()
    return max(1, int(budget / ((cpu_s() - c0) / 3)))

def run(cfg:TrainConfig, label:str) -> dict:
    "Train with cfg in a temporary checkpoint folder; the best evaluation and the wall time"
    with tempfile.TemporaryDirectory() as d:
        t0, c0 = time.perf_counter(), cpu_s()
        t = train(cfg, ckpt_dir=d, progress=False, sample_tokens=0)
        wall, cpu = time.perf_counter() - t0, cpu_s() - c0
        recs = [json.loads(l) for l in open(os.path.join(d, 'metrics.jsonl'))]
    best = min(recs, key=lambda r: r['val_loss'])
    res = dict(label=label, val_ppl=best['val_ppl'], val_acc=best['val_acc'], best_step=best['step'], steps=t.step,
               train_s=t.elapsed_s, wall_s=wall, cpu_s=cpu, params=t.model.num_params(), stopped_early=t.stopped_early)
    print(f"{label:<45} val ppl {res['val_ppl']:8.1f}  acc {res['val_acc']:6.2%}  best at step {res['best_step']:>4}/{res['steps']:<4} "
          f"train {res['train_s']:5.1f}s  wall {res['wall_s']:5.1f}s  cpu {res['cpu_s']:5.1f}s  {res['params']/1e6:.1f}M params", flush=True)
    return res

if __name__ == '__main__':
    p = add_train_args(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
    p.add_argument('--quick', action='store_true', help='10-second smoke runs')
    p.add_argument('--sweep', action='store_true', help='run the sweep that chose the defaults')
    p.add_argument('--no-seed', action='store_true', help='skip the seed-config baseline')
    p.add_argument('--cpu-budget', type=float, default=100.0, help='sweep: CPU seconds per run')
    args = p.parse_args()
    base = config_from_args(args)
    if args.quick: base = TrainConfig(**{**base.__dict__, 'max_time': 10.0})
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs", flush=True)
    if args.sweep:
        for over in SWEEP:
            cfg = TrainConfig(**{**base.__dict__, **over})
            n = steps_for(cfg, args.cpu_budget / (10 if args.quick else 1))
            run(TrainConfig(**{**cfg.__dict__, 'max_steps': n, 'max_time': None}), 'defaults' + ''.join(f' {k}={v}' for k, v in over.items()))
        sys.exit()
    ours = run(base, 'defaults (simplellm train --data the-verdict)')
    rows = [ours]
    if not args.no_seed:
        seed = run(TrainConfig(**{**base.__dict__, **SEED_CONFIG, **({'max_time': 10.0} if args.quick else {})}), 'seed config, seed recipe (10 epochs)')
        rows.append(seed)
        print(f"\nval PPL ratio seed/defaults, same run: {seed['val_ppl'] / ours['val_ppl']:.2f}x; wall-time ratio {seed['wall_s'] / ours['wall_s']:.2f}x")
    print("\npublished figures (not measured here):")
    for name, ppl, acc, secs in PUBLISHED: print(f"  {name:<45} val ppl {ppl:>6}" + (f"  acc {acc:.2%}" if acc else '') + (f"  ~{secs} s" if secs else ''))
    print(f"\ntarget: val PPL <= 350 within 60 s: {'met' if ours['val_ppl'] <= 350 and ours['wall_s'] <= 60 else 'NOT met'}")
