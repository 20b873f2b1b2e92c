"""Time the review of one 19x19 game, every output included, and print one JSON object.

    python benchmarks/review_time.py [--archive ../shared/data/games/pro-1561-2022.tar.xz] [--moves 250]
        [--playouts 200] [--threads 1] [--out DIR]

The game is the first one in ``--archive`` with exactly ``--moves`` moves (read in place, streamed), or with
``--synthetic`` a game of random legal moves (no own eyes filled). The target is a 250-move game at 200 playouts a
position in at most ``TARGET_SECONDS`` on 2 cores; ``ratio_to_target`` is the time over the target. The search
tops each position up to the budget, so ``playouts_searched`` is below ``positions x playouts`` by what the tree
kept from the move before; ``budget_share`` is that fraction. The review's files go to ``--out`` (a temporary
folder by default).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from goengine.archive import GameReader  # noqa: E402
from goengine.board import Board  # noqa: E402
from goengine.game import Game  # noqa: E402
from goengine.sgf import game_to_sgf  # noqa: E402
from policy.inference import Policy  # noqa: E402
from review.analysis import Budget  # noqa: E402
from review.batch import Settings, review_batch  # noqa: E402

TARGET_SECONDS = 300.0
DEFAULT_ARCHIVE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                                               "data", "games", "pro-1561-2022.tar.xz"))


def archive_game(path: str, moves: int) -> Game:
    for game in GameReader(path, check_legal=True):
        if len(game.moves) == moves:
            return game
    raise SystemExit(f"no 19x19 game of exactly {moves} moves in {path}")


def synthetic_game(moves: int, seed: int = 0) -> Game:
    rng, board, game = random.Random(seed), Board(19), Game(size=19, komi=7.5)
    game.info.black, game.info.white = "random", "random"
    for _ in range(moves):
        points = [p for p in board.legal_moves()[:-1] if not board.is_true_eye(p, board.to_move)] or [board.n]
        point = rng.choice(points)
        game.moves.append((board.to_move, point))
        board.play(point)
    return game


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default=DEFAULT_ARCHIVE, help="archive or folder of real games")
    ap.add_argument("--synthetic", action="store_true", help="review a game of random moves instead")
    ap.add_argument("--moves", type=int, default=250)
    ap.add_argument("--playouts", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (goengine-review's default: 1)")
    ap.add_argument("--out", help="folder for the review's files (default: a temporary folder, removed)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    game = synthetic_game(args.moves) if args.synthetic else archive_game(args.archive, args.moves)
    policy = Policy.load()
    policy.logits_batch([Board(19)] * 8)  # warm-up
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "game.sgf")
        with open(source, "wb") as fh:
            fh.write(game_to_sgf(game))
        out = args.out or os.path.join(tmp, "review")
        load_before = os.getloadavg()[0]
        start, cpu_start = time.perf_counter(), time.process_time()
        batch = review_batch([source], out, policy, Settings(Budget(args.playouts)), progress=False)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if batch.problems or not batch.reviewed:
        raise SystemExit(f"the game was not reviewed: {batch.problems}")
    positions = len(game.moves) + 1
    result = {
        "game": "synthetic (random moves)" if args.synthetic else game.source, "moves": len(game.moves),
        "playouts_per_position": args.playouts, "threads": args.threads,
        "seconds": round(seconds, 1), "search_seconds": round(batch.seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "playouts_searched": batch.playouts,
        "budget_share": round(batch.playouts / (positions * args.playouts), 3),
        "playouts_per_second": round(batch.playouts / batch.seconds, 1),
        "playouts_per_cpu_second": round(batch.playouts / cpu_seconds, 1),
        "target_seconds": TARGET_SECONDS, "ratio_to_target": round(seconds / TARGET_SECONDS, 3),
        "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
