#!/usr/bin/env python3
"""Greedy generation speed on the CPU: PyTorch (with and without its KVCache) against onnxruntime (with and without the
cache graph), in tokens/s and as ratios to PyTorch with its KVCache, all measured in the same run.
Usage: python benchmarks/onnx_speed.py [--preset tiny] [--new-tokens 48] [--threads 1] [--repeats 3]"""
import argparse, torch
from simplellm.model import ModelConfig, SimpleLLM
from simplellm.export import benchmark_generation

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='tiny', help="ModelConfig preset (random weights)")
    p.add_argument('--prompt-len', type=int, default=16)
    p.add_argument('--new-tokens', type=int, default=48)
    p.add_argument('--threads', type=int, default=1, help="threads for both runtimes")
    p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args(argv)
    torch.manual_seed(0)
    model = SimpleLLM(ModelConfig.preset(a.preset)).eval()
    speeds = benchmark_generation(model, a.prompt_len, a.new_tokens, a.repeats, a.threads)
    base = speeds['pytorch, KVCache']
    print(f"preset {a.preset} ({model.num_params()/1e6:.1f}M parameters), {a.prompt_len}-token prompt, {a.new_tokens} new tokens, "
          f"{a.threads} thread(s), best of {a.repeats}")
    for name, tps in speeds.items(): print(f"{name:22} {tps:8.1f} tokens/s  {tps/base:5.2f}x")

if __name__ == '__main__': main()
