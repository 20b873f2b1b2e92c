"""Tree-search speed on 19x19 across leaf batch sizes: playouts per second, printed as one JSON object.

    python benchmarks/mcts_speed.py [--model FILE] [--runtime auto] [--batch-sizes 1,2,4,8,16,32] [--threads 2]

The model is ``--model``, else the shipped ``policy/weights/default.pt`` when present, else a freshly initialised
4-block, 48-filter residual network. Each search starts from a fresh tree after ``--moves`` random opening moves,
one opening per ``--positions``; on each opening every batch size runs in turn, so that a busy machine slows them
alike. ``vs_default`` is the ratio to the playouts per second of the default batch size in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from policy.runtimes import RUNTIMES, sleep_waiting_threads  # noqa: E402

sleep_waiting_threads()  # as the engine does, before torch loads
import torch  # noqa: E402

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


def load(path: str | None, device: str, runtime: str) -> tuple[Policy, str]:
    if path is None and DEFAULT_WEIGHTS.exists():
        path = str(DEFAULT_WEIGHTS)
    if path is not None:
        return Policy.load(path, device, runtime), path
    torch.manual_seed(0)
    return Policy(PolicyValueNet(ModelConfig(blocks=4, filters=48)), device=device, runtime=runtime), \
        "fresh resnet 4x48"


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
    ap.add_argument("--runtime", default="auto", choices=RUNTIMES)
    ap.add_argument("--playouts", type=int, default=256, help="playouts per search")
    ap.add_argument("--batch-sizes", default=f"1,2,4,{SearchConfig.batch_size},16,32")
    ap.add_argument("--positions", type=int, default=3, help="openings searched, each with every batch size")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--moves", type=int, default=30, help="random opening moves before the search")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    policy, name = load(args.model, args.device, args.runtime)
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    boards = [opening(args.moves, seed) for seed in range(args.positions)]
    totals = {b: {"seconds": 0.0, "cpu": 0.0, "playouts": 0, "net": TimedPolicy(policy)} for b in sizes}
    for b in sizes:  # warm-up: oneDNN prepares its kernels per batch shape
        MCTS(policy, SearchConfig(batch_size=b)).search(boards[0], 2 * b)
    for board in boards:
        for b in sizes:
            t = totals[b]
            mcts = MCTS(t["net"], SearchConfig(batch_size=b))
            start, cpu_start = time.perf_counter(), time.process_time()
            mcts.search(board, args.playouts)
            t["seconds"] += time.perf_counter() - start
            t["cpu"] += time.process_time() - cpu_start
            t["playouts"] += mcts.playouts_at_root()
    rows = []
    for b in sizes:
        t, net = totals[b], totals[b]["net"]
        rows.append({"batch_size": b, "playouts": t["playouts"], "seconds": round(t["seconds"], 3),
                     "playouts_per_second": round(t["playouts"] / t["seconds"], 1),
                     "playouts_per_cpu_second": round(t["playouts"] / max(t["cpu"], 1e-9), 1),
                     "network_share": round(net.seconds / t["seconds"], 3),
                     "ms_per_network_position": round(1000 * net.seconds / max(1, net.positions), 2)})
    default = next((r for r in rows if r["batch_size"] == SearchConfig.batch_size), rows[0])
    for r in rows:
        r["vs_default"] = round(r["playouts_per_second"] / default["playouts_per_second"], 2)
    result = {"board_size": 19, "model": name, "device": str(policy.device), "runtime": policy.runtime,
              "threads": args.threads, "default_batch_size": SearchConfig.batch_size,
              "load_average": round(os.getloadavg()[0], 2), "results": rows}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
