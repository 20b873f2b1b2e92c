#!/usr/bin/env python3
"""Speed of goengine: random play against PettingZoo's minigo board, replay, features and the data pipeline.

``python benchmarks/board_speed.py --json`` prints one JSON object:

* ``random_moves_per_s``: random 19x19 games with goengine's ``Board``. Policy: uniform among the legal moves that
  do not fill a one-point eye of the mover (all orthogonal neighbours the mover's colour), pass when there is
  none; a game ends after two passes in a row or 722 moves.
* ``peer_random_moves_per_s``: the same games (same seeds, same choices; the move sequences are checked equal)
  played with ``pettingzoo.classic.go.go_base`` (minigo's rules as PettingZoo ships them), the same policy
  written with that library's own calls (``all_legal_moves``, ``is_koish``, ``play_move(mutate=True)``).
* ``ratio``: the first over the second.
* ``replay_positions_per_s``: games from an archive, already parsed, replayed with ``goengine.positions``.
* ``feature_us_per_position_<set>``: each feature set's ``encode`` on replayed positions, microseconds each.
* ``encode_game_positions_per_s_<set>``: each feature set's ``encode_game`` (what the training sampler calls) on
  the same games, and ``encode_game_ratio_go-27_to_go-40``: how many times faster ``go-27`` packs than ``go-40``.
* ``go-40_first_encode_s``: wall time of this process's first ``go-40`` encode, which loads the compiled tactical
  reader from numba's cache (or compiles it, about 10 s of CPU, the first time after an install or a change).
* ``pipeline_positions_per_s_per_core``: archive -> parsed -> replayed -> feature planes (``DEFAULT_FEATURES.encode_game``),
  single process.

All times are CPU time of this process (``time.process_time``), so another job on the machine does not count
against either side; each figure is the median of several repetitions after a warm-up.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import time

os.environ.setdefault("BOARD_SIZE", "19")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from goengine import Board, positions  # noqa: E402
from goengine.archive import GameReader  # noqa: E402
from goengine.features import DEFAULT_FEATURES, FEATURE_SETS, GO_27, GO_40  # noqa: E402

SIZE = 19
MAX_MOVES = 2 * SIZE * SIZE
# an archive of real games: under $GOENGINE_DATA (the folder holding games/), else the shared data beside the checkout
DEFAULT_ARCHIVE = os.path.join(os.environ.get("GOENGINE_DATA", os.path.join(os.path.dirname(__file__), "..", "..",
                                                                            "shared", "data")),
                               "games", "kgs-6d.tar.xz")


def ours_random_game(seed: int) -> list[int]:
    """One random game with goengine; return its moves (flat points, pass = 361)."""
    rng = random.Random(seed)
    board = Board(SIZE)
    n = board.n
    moves: list[int] = []
    passes = 0
    while passes < 2 and len(moves) < MAX_MOVES:
        color = board.to_move
        eyeish = board.is_eyeish
        cands = [p for p in board.legal_moves(color)[:-1] if not eyeish(p, color)]
        move = cands[rng.randrange(len(cands))] if cands else n
        board.play(move, color)
        moves.append(move)
        passes = passes + 1 if move == n else 0
    return moves


def peer_random_game(seed: int) -> list[int]:
    """The same game with PettingZoo's go_base (minigo); candidates are listed in goengine's point order."""
    from pettingzoo.classic.go import go_base
    rng = random.Random(seed)
    pos = go_base.Position(komi=7.5)
    n = SIZE * SIZE
    moves: list[int] = []
    passes = 0
    while passes < 2 and len(moves) < MAX_MOVES:
        legal = pos.all_legal_moves()[:-1].reshape(SIZE, SIZE)[::-1].ravel()  # row 0 at the bottom, like ours
        cands = []
        for p in legal.nonzero()[0].tolist():
            r, c = divmod(p, SIZE)
            if go_base.is_koish(pos.board, (SIZE - 1 - r, c)) != pos.to_play:
                cands.append(p)
        if cands:
            move = cands[rng.randrange(len(cands))]
            r, c = divmod(move, SIZE)
            pos.play_move((SIZE - 1 - r, c), mutate=True)
        else:
            move = n
            pos.play_move(None, mutate=True)
        moves.append(move)
        passes = passes + 1 if move == n else 0
    return moves


def timed(fn, *args) -> tuple[float, object]:
    start = time.process_time()
    out = fn(*args)
    return time.process_time() - start, out


def random_play(games: int, reps: int) -> dict:
    """Median moves/s of both engines over ``reps`` repetitions of the same ``games`` seeded games."""
    ours_random_game(10 ** 6)  # warm-up (tables, caches)
    peer_random_game(10 ** 6)
    ours_rates, peer_rates = [], []
    for rep in range(reps):
        seeds = range(rep * games, rep * games + games)
        t_ours, ours = timed(lambda: [ours_random_game(s) for s in seeds])
        t_peer, peer = timed(lambda: [peer_random_game(s) for s in seeds])
        if ours != peer:
            raise RuntimeError("the two engines played different games: the comparison would not be fair")
        moves = sum(len(m) for m in ours)
        ours_rates.append(moves / t_ours)
        peer_rates.append(moves / t_peer)
    ours_rate, peer_rate = statistics.median(ours_rates), statistics.median(peer_rates)
    return {"random_moves_per_s": round(ours_rate), "peer_random_moves_per_s": round(peer_rate),
            "ratio": round(ours_rate / peer_rate, 2), "random_games": games * reps}


def load_games(archive: str, count: int) -> list:
    reader = GameReader(archive, size=SIZE, check_legal=True)
    return list(itertools.islice(reader, count))


def replay_and_features(archive: str, games: int, feature_games: int, reps: int) -> dict:
    loaded = load_games(archive, games)
    start = time.perf_counter()
    GO_40.encode(Board(SIZE))  # the first go-40 encode loads the compiled tactical reader (or compiles it)
    first_call_s = time.perf_counter() - start
    replay_rates = []
    feature_us: dict[str, list[float]] = {fs.name: [] for fs in FEATURE_SETS.values()}
    game_rates: dict[str, list[float]] = {fs.name: [] for fs in FEATURE_SETS.values()}
    for _ in range(reps):
        start, count = time.process_time(), 0
        for game in loaded:
            for _board, _color, _point in positions(game):
                count += 1
        replay_rates.append(count / (time.process_time() - start))
        boards = []
        for game in loaded[:feature_games]:
            for board, color, _point in positions(game):
                boards.append(board.copy())
        for fs in FEATURE_SETS.values():
            start = time.process_time()
            for board in boards:
                fs.encode(board)
            feature_us[fs.name].append((time.process_time() - start) / len(boards) * 1e6)
            start = time.process_time()
            count = sum(len(fs.encode_game(game)[0]) for game in loaded[:feature_games])
            game_rates[fs.name].append(count / (time.process_time() - start))
    rates = {name: statistics.median(r) for name, r in game_rates.items()}
    return {"replay_positions_per_s": round(statistics.median(replay_rates)),
            **{f"feature_us_per_position_{name}": round(statistics.median(us), 1) for name, us in feature_us.items()},
            **{f"encode_game_positions_per_s_{name}": round(rate) for name, rate in rates.items()},
            "encode_game_ratio_go-27_to_go-40": round(rates[GO_27.name] / rates[GO_40.name], 2),
            "go-40_first_encode_s": round(first_call_s, 2), "replay_games": len(loaded)}


def pipeline(archive: str, games: int, reps: int) -> dict:
    """Archive -> parsed -> replayed -> planes, in this one process; positions per CPU second."""
    rates = []
    for _ in range(reps):
        start, count = time.process_time(), 0
        for game in itertools.islice(GameReader(archive, size=SIZE), games):
            try:
                planes, _labels, _colors = DEFAULT_FEATURES.encode_game(game)
            except ValueError:  # an illegal move in the record: the game is dropped, as training would
                continue
            count += len(planes)
        rates.append(count / (time.process_time() - start))
    return {"pipeline_positions_per_s_per_core": round(statistics.median(rates)), "pipeline_games": games}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="goengine speed benchmark")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument("--archive", default=DEFAULT_ARCHIVE,
                        help="archive of real games to replay (default: games/kgs-6d.tar.xz under $GOENGINE_DATA)")
    parser.add_argument("--random-games", type=int, default=3, help="random games per repetition")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--replay-games", type=int, default=500)
    parser.add_argument("--pipeline-games", type=int, default=300)
    args = parser.parse_args(argv)
    if not os.path.exists(args.archive):
        parser.error(f"no archive at {args.archive}: give --archive or set GOENGINE_DATA")
    result = {}
    result.update(random_play(args.random_games, args.reps))
    result.update(replay_and_features(args.archive, args.replay_games, 50, max(3, args.reps // 2)))
    result.update(pipeline(args.archive, args.pipeline_games, 3))
    result["archive"] = os.path.basename(args.archive)
    result["clock"] = "process_time"
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>36}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
