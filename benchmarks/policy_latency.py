"""CPU inference latency of a model: one position and batches of 8 and 64, as the engine sees them.

``python benchmarks/policy_latency.py [--weights W] [--threads 2] --json`` prints the median milliseconds of the
network's forward pass in the engine's channels-last layout and, side by side in the same run, in torch's default
NCHW layout (with their ratio), and of a whole ``Policy.predict`` (features, forward, legal-move mask).
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import numpy as np
import torch

from goengine.board import Board
from policy.inference import Policy


def sample_boards(count: int, moves: int = 120, seed: int = 0) -> list[Board]:
    """Boards after ``moves`` random legal non-eye-filling moves (mid-game-like stone counts)."""
    rng = np.random.default_rng(seed)
    boards = []
    for _ in range(count):
        board = Board(19)
        for _ in range(moves):
            legal = [p for p in board.legal_moves() if p != board.n and not board.is_true_eye(p, board.to_move)]
            board.play(int(rng.choice(legal)) if legal else board.n)
        boards.append(board)
    return boards


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    policy = Policy.load(args.weights)
    boards = sample_boards(64)
    one = policy.features.encode(boards[0])[None]
    batch = np.stack([policy.features.encode(b) for b in boards])
    nchw = copy.deepcopy(policy.model).to(memory_format=torch.contiguous_format)

    def forward_nchw(x):
        with torch.inference_mode():
            nchw(torch.from_numpy(x))

    few = max(5, args.repeats // 5)
    result = {"threads": args.threads, "config": policy.record["config"],
              "forward_ms_1": median_ms(lambda: policy.run(one), args.repeats),
              "forward_ms_8": median_ms(lambda: policy.run(batch[:8]), args.repeats),
              "forward_ms_64": median_ms(lambda: policy.run(batch), few),
              "forward_nchw_ms_1": median_ms(lambda: forward_nchw(one), args.repeats),
              "forward_nchw_ms_8": median_ms(lambda: forward_nchw(batch[:8]), args.repeats),
              "forward_nchw_ms_64": median_ms(lambda: forward_nchw(batch), few),
              "predict_ms_1": median_ms(lambda: policy.predict(boards[0]), args.repeats),
              "predict_ms_64": median_ms(lambda: policy.predict_batch(boards), few)}
    for n in (1, 8, 64):  # 8: the tree search's batch
        result[f"nchw_over_channels_last_{n}"] = result[f"forward_nchw_ms_{n}"] / result[f"forward_ms_{n}"]
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
