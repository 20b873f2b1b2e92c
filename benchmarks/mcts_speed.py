"""Tree-search speed on 19x19: playouts per second (CPU by default), printed as one JSON object.

    python benchmarks/mcts_speed.py [--model FILE] [--playouts 256] [--batch-size 8] [--threads 2]

The model is ``--model``, else the shipped ``policy/weights/default.pt`` when present, else a freshly initialised
4-block, 48-filter residual network. The search starts from a position after ``--moves`` random opening moves.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from goengine.board import Board  # noqa: E402
from policy.checkpoint import DEFAULT_WEIGHTS  # noqa: E402
from policy.inference import Policy  # noqa: E402
from policy.mcts import MCTS, SearchConfig  # noqa: E402
from policy.model import ModelConfig, PolicyValueNet  # noqa: E402


class TimedPolicy:
    """Wraps ``Policy.logits_batch`` to count the seconds and positions spent in the network."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.seconds = 0.0
        self.positions = 0
        self.calls = 0

    def logits_batch(self, boards: list[Board]) -> tuple[np.ndarray, np.ndarray]:
        start = time.perf_counter()
        out = self.policy.logits_batch(boards)
        self.seconds += time.perf_counter() - start
        self.positions += len(boards)
        self.calls += 1
        return out


def load(path: str | None, device: str) -> tuple[Policy, str]:
    if path is None and DEFAULT_WEIGHTS.exists():
        path = str(DEFAULT_WEIGHTS)
    if path is not None:
        return Policy.load(path, device), path
    torch.manual_seed(0)
    return Policy(PolicyValueNet(ModelConfig(blocks=4, filters=48)), device=device), "fresh resnet 4x48"


def opening(moves: int, seed: int = 0) -> Board:
    rng = random.Random(seed)
    board = Board(19)
    for _ in range(moves):
        points = [p for p in board.legal_moves()[:-1] if not board.is_true_eye(p, board.to_move)]
        board.play(rng.choice(points))
    return board


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model file (default: the shipped model, else a fresh 4x48 resnet)")
    ap.add_argument("--playouts", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--moves", type=int, default=30, help="random opening moves before the search")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    policy, name = load(args.model, args.device)
    board = opening(args.moves)
    MCTS(policy, SearchConfig(batch_size=args.batch_size)).search(board, 2 * args.batch_size)  # warm-up
    timed = TimedPolicy(policy)
    mcts = MCTS(timed, SearchConfig(batch_size=args.batch_size))
    start, cpu_start = time.perf_counter(), time.process_time()
    mcts.search(board, args.playouts)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    result = {
        "board_size": 19, "model": name, "device": str(policy.device), "threads": args.threads, "batch_size": args.batch_size,
        "playouts": mcts.playouts_at_root(), "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "playouts_per_second": round(mcts.playouts_at_root() / seconds, 1),
        "network_calls": timed.calls, "network_positions": timed.positions,
        "network_share": round(timed.seconds / seconds, 3),
        "ms_per_network_position": round(1000 * timed.seconds / max(1, timed.positions), 2),
        "playouts_per_cpu_second": round(mcts.playouts_at_root() / max(cpu_seconds, 1e-9), 1),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
