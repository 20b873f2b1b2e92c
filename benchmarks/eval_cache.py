"""The evaluation cache in the search: hit rate and playouts per second with and without it, in one run.

    python benchmarks/eval_cache.py [--pack data/val2020/val.npz] [--runtime auto] [--threads 1]

Two sessions on consecutive positions of a real game (19x19), each searched ``--playouts`` playouts by one
``MCTS`` that keeps its tree when the next position follows:

- ``game``: positions ``--start`` to ``--start + --moves`` in order, as an engine thinking on every move of a game;
- ``review``: the same positions forward, then backward, as a user stepping through a game in a GUI and back.

Each session runs with the cache and without it, one after the other, ``--rounds`` times. ``approx_key_hit_rate`` is
the rate a key of the current position alone (stones, side to move, ko point) would have reached: those extra hits
would return the output of another history, so the cache does not take them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from policy.runtimes import RUNTIMES, sleep_waiting_threads  # noqa: E402

sleep_waiting_threads()  # as the engine does, before torch loads
import torch  # noqa: E402

from benchmarks.positions import DEFAULT_PACK, load_pack  # noqa: E402
from goengine.board import Board  # noqa: E402
from policy.eval_cache import EvalCache  # noqa: E402
from policy.inference import Policy  # noqa: E402
from policy.mcts import MCTS, SearchConfig  # noqa: E402
from policy.search_player import EVAL_CACHE_ENTRIES  # noqa: E402


class PositionCounter:
    """Passes ``logits_batch`` on, counting evaluations and distinct current positions."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.evaluations = 0
        self.positions: set[tuple] = set()

    def logits_batch(self, boards: list[Board]) -> tuple[np.ndarray, np.ndarray]:
        for b in boards:
            self.evaluations += 1
            self.positions.add((b.size, b.hash, b.to_move, b.ko if b.ko_color == b.to_move else None))
        return self.policy.logits_batch(boards)


def game_positions(pack_path: str, start: int, moves: int) -> list[Board]:
    """Positions ``start`` .. ``start + moves`` of the pack's first game that long."""
    pack = load_pack(pack_path)
    for g in range(len(pack)):
        played = pack.game_moves(g)
        if len(played) > start + moves:
            board = pack.game(g).new_board()
            out = []
            for i, (color, point) in enumerate(played[:start + moves]):
                board.play(point, color)
                if i + 1 >= start:
                    out.append(board.copy())
            return out
    raise SystemExit(f"no game in {pack_path} has {start + moves} moves")


def session(policy: Policy, boards: list[Board], playouts: int, batch_size: int) -> dict:
    counter = PositionCounter(policy)
    mcts = MCTS(counter, SearchConfig(batch_size=batch_size))
    start = time.perf_counter()
    for board in boards:
        mcts.search(board, playouts)  # adds exactly ``playouts`` (no time limit)
    seconds = time.perf_counter() - start
    return {"playouts": playouts * len(boards), "seconds": seconds, "evaluations": counter.evaluations,
            "positions": len(counter.positions)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", help="model file (default: the shipped model)")
    ap.add_argument("--pack", default=DEFAULT_PACK, help=f"game pack (default {DEFAULT_PACK})")
    ap.add_argument("--runtime", default="auto", choices=RUNTIMES)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--start", type=int, default=40, help="first move of the stretch of game")
    ap.add_argument("--moves", type=int, default=15, help="positions in the stretch")
    ap.add_argument("--playouts", type=int, default=200, help="playouts per position")
    ap.add_argument("--batch-size", type=int, default=SearchConfig.batch_size)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    policy = Policy.load(args.weights, runtime=args.runtime)
    boards = game_positions(args.pack, args.start, args.moves)
    sessions = {"game": boards, "review": boards + boards[-2::-1]}
    MCTS(policy, SearchConfig(batch_size=args.batch_size)).search(boards[0], 4 * args.batch_size)  # warm-up
    totals: dict[str, dict[str, dict]] = {name: {} for name in sessions}
    for _ in range(args.rounds):
        for name, line in sessions.items():
            for cached in (True, False):
                policy.cache = EvalCache(EVAL_CACHE_ENTRIES) if cached else None
                run = session(policy, line, args.playouts, args.batch_size)
                if cached:
                    run["hits"] = policy.cache.hits
                total = totals[name].setdefault("cache" if cached else "no_cache", {})
                for key, value in run.items():
                    total[key] = total.get(key, 0) + value
    result = {"runtime": policy.runtime, "threads": args.threads, "playouts_per_position": args.playouts,
              "positions": len(boards), "load_average": round(os.getloadavg()[0], 2), "sessions": {}}
    for name, runs in totals.items():
        on, off = runs["cache"], runs["no_cache"]
        speed_on, speed_off = on["playouts"] / on["seconds"], off["playouts"] / off["seconds"]
        result["sessions"][name] = {
            "playouts": on["playouts"], "network_evaluations": on["evaluations"],
            "hit_rate": round(on["hits"] / on["evaluations"], 4),
            "approx_key_hit_rate": round(1 - on["positions"] / on["evaluations"], 4),
            "playouts_per_second_cache": round(speed_on, 1), "playouts_per_second_no_cache": round(speed_off, 1),
            "cache_speedup": round(speed_on / speed_off, 2)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
