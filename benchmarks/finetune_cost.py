"""What LoRA saves against full fine-tuning, on one training step of instruction examples: trainable weights, AdamW's state,
and the time of a step (as a ratio to full fine-tuning's, measured interleaved in the same run). For the lesson's model (`micro`,
the Tiny Shakespeare base's shape) and for GPT-2 small's shape (random weights: the cost does not depend on them).

    python benchmarks/finetune_cost.py            # -> benchmarks/finetune_cost.json
"""
import argparse, json, os, platform, statistics, time, copy
from pathlib import Path
import torch
from simplellm.model import ModelConfig, SimpleLLM
from simplellm.training import configure_optimizer
from simplellm.finetune import add_lora, trainable_params, answer_loss, pad_batch, encode_example, LORA_RANK, LORA_ALPHA

HERE = Path(__file__).resolve().parent
import sys; sys.path.insert(0, str(HERE))
from finetune_matrix import lscpu   # this folder's scripts import each other

def step_fn(model, batch):
    "One training step of `model` on `batch`, and AdamW's state bytes after it"
    opt = configure_optimizer(model, 1e-4, 0.0)
    def step():
        loss = answer_loss(model, *batch); opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    step()   # warm up: the optimizer's state exists from here on
    state = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if t.dim() > 0)
    return step, state

def measure(cfg:ModelConfig, batch_size:int, steps:int) -> dict:
    torch.manual_seed(0)
    full = SimpleLLM(cfg).train()
    lora = add_lora(copy.deepcopy(full), LORA_RANK, LORA_ALPHA).train()
    ex = dict(instruction='Reverse the order of the words: my good lord', output='lord good my')
    batch = pad_batch([encode_example(ex)] * batch_size)
    (f_step, f_state), (l_step, l_state) = step_fn(full, batch), step_fn(lora, batch)
    times = {'full': [], 'lora': []}
    for _ in range(steps):   # interleaved, so that a change of load hits both alike
        for name, fn in (('full', f_step), ('lora', l_step)):
            t0 = time.perf_counter(); fn(); times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    return dict(trainable=dict(full=trainable_params(full), lora=trainable_params(lora)), adamw_state_bytes=dict(full=f_state, lora=l_state),
                step_s=med, lora_step_ratio=round(med['lora'] / med['full'], 3), batch=list(batch[0].shape))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--out', default=str(HERE/'finetune_cost.json'))
    args = ap.parse_args()
    res = dict(date=time.strftime('%Y-%m-%d %H:%M'), cpu=lscpu(), python=platform.python_version(), torch=torch.__version__,
               threads=torch.get_num_threads(), loadavg_before=os.getloadavg(), lora=dict(rank=LORA_RANK, alpha=LORA_ALPHA))
    res['micro'] = measure(ModelConfig.preset('micro'), 16, args.steps)
    res['gpt2'] = measure(ModelConfig.preset('gpt2', dropout=0.0), 8, args.steps)
    res['loadavg_after'] = os.getloadavg()
    Path(args.out).write_text(json.dumps(res, indent=1))
    print(json.dumps({k: res[k] for k in ('micro', 'gpt2', 'loadavg_before', 'loadavg_after')}, indent=1))

if __name__ == '__main__': main()
