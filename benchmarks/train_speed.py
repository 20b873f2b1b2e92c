"""Training throughput on this CPU, side by side in one run: fp32 against bf16 autocast (both channels-last), and
the batch sampler with each feature set.

* ``train``: positions per second of a training step (forward, backward, AdamW) on random planes, for each network
  size and precision, alternating the precisions round by round so that both see the same machine load;
* ``sampler``: positions per second of ``BatchSampler.batch`` on a real pack, for each feature set and
  ``--per-game`` value (the sampler replays a game once for all of its sampled positions).

    python benchmarks/train_speed.py --pack data/train/val.npz [--threads 2] [--json]

Figures go in docs/benchmarks.txt; the machine is shared, so read the ratios rather than the absolute rates.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from goengine.features import FEATURE_SETS  # noqa: E402
from policy.data import BatchSampler, PackedGames  # noqa: E402
from policy.model import ModelConfig, PolicyValueNet  # noqa: E402


def train_rates(blocks: int, filters: int, batch: int, rounds: int, steps: int) -> dict[str, float]:
    """Median positions/s over ``rounds`` of ``steps`` training steps for fp32 and bf16, rounds interleaved."""
    torch.manual_seed(0)
    model = PolicyValueNet(ModelConfig(blocks=blocks, filters=filters)).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    planes = torch.randn(batch, model.config.in_planes, 19, 19).contiguous(memory_format=torch.channels_last)
    moves = torch.randint(0, 362, (batch,))
    values = torch.rand(batch) * 2 - 1

    def step(bf16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits, value = model(planes)
        loss = F.cross_entropy(logits.float(), moves) + F.mse_loss(value.float(), values)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    rates: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for name in rates:
        step(name == "bf16")  # warm-up: oneDNN picks its kernels
    for _ in range(rounds):
        for name in rates:
            t = time.perf_counter()
            for _ in range(steps):
                step(name == "bf16")
            rates[name].append(batch * steps / (time.perf_counter() - t))
    return {name: statistics.median(r) for name, r in rates.items()}


def sampler_rates(pack: PackedGames, per_games: list[int], batch: int, rounds: int) -> dict[str, float]:
    out = {}
    for (name, version), features in FEATURE_SETS.items():
        for per_game in per_games:
            sampler = BatchSampler(pack, batch, seed=1, per_game=per_game, features=features)
            times = []
            for r in range(rounds):
                t = time.process_time()
                sampler.batch(r)
                times.append(time.process_time() - t)
            out[f"{name} per-game {per_game}"] = batch / statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", required=True, help="a game pack (.npz) for the sampler")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bf16_units = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    result = {"threads": args.threads, "cpu_bf16_units": bf16_units, "train_positions_per_s": {},
              "sampler_positions_per_s_per_core": {}}
    for blocks, filters in ((10, 96), (6, 64)):
        rates = train_rates(blocks, filters, batch=128, rounds=args.rounds, steps=2)
        rates["bf16 / fp32"] = rates["bf16"] / rates["fp32"]
        result["train_positions_per_s"][f"{blocks}x{filters}"] = {k: round(v, 2) for k, v in rates.items()}
    pack = PackedGames.load(args.pack)
    result["sampler_positions_per_s_per_core"] = {
        k: round(v) for k, v in sampler_rates(pack, [1, 8, 16], batch=128, rounds=args.rounds).items()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.threads} threads; CPU bf16 units: {bf16_units}")
    for size, rates in result["train_positions_per_s"].items():
        print(f"train {size}: fp32 {rates['fp32']:.0f}, bf16 {rates['bf16']:.0f} positions/s "
              f"(bf16 / fp32 = {rates['bf16 / fp32']:.2f})")
    for name, rate in result["sampler_positions_per_s_per_core"].items():
        print(f"sampler {name}: {rate} positions/s per core")


if __name__ == "__main__":
    main()
