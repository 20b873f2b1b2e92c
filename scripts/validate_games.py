#!/usr/bin/env python3
"""Replay real game records with goengine's rules and report what was read, skipped, repaired and illegal.

Usage::

    python scripts/validate_games.py ARCHIVE [ARCHIVE ...] [--limit 50000] [--show 30] [--superko]

``--limit`` is the total number of games to read, shared evenly between the archives (an archive with fewer
games leaves its share unused). Every game read is replayed move by move on a ``Board`` (simple ko, no
suicide; with ``--superko`` positional superko as well); the first illegal move of each game is counted by
reason and the first ``--show`` are listed with the file they come from.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from goengine.archive import GameReader  # noqa: E402
from goengine.board import Board, IllegalMove  # noqa: E402
from goengine.dataset import main_line_key  # noqa: E402
from goengine.game import Game  # noqa: E402


def replay_game(game: Game, superko: bool) -> tuple[int, IllegalMove | None, int]:
    """Replay ``game``; return (moves played, first illegal move or None, index of that move)."""
    board: Board = game.new_board(superko=superko)
    for i, (color, point) in enumerate(game.moves):
        try:
            board.play(point, color)
        except IllegalMove as exc:
            return i, exc, i
    return len(game.moves), None, -1


def validate(path: str, limit: int | None, superko: bool, show: int, listed: list[str]) -> dict:
    """Read up to ``limit`` games from ``path`` and replay them; return the counts."""
    start = time.perf_counter()
    reader = GameReader(path, size=None)
    counts = {"illegal": Counter(), "sizes": Counter(), "moves": 0, "games": 0, "duplicates": 0}
    keys: set[int] = set()
    for game in itertools.islice(reader, limit):
        counts["games"] += 1
        counts["sizes"][game.size] += 1
        key = main_line_key(game)
        if key in keys:
            counts["duplicates"] += 1
        keys.add(key)
        played, exc, index = replay_game(game, superko)
        counts["moves"] += played
        if exc is not None:
            counts["illegal"][exc.reason] += 1
            if len(listed) < show:
                listed.append(f"{game.source}: move {index + 1}: {exc}")
    counts["stats"] = reader.stats
    counts["seconds"] = time.perf_counter() - start
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archives", nargs="+", help="SGF files, directories or archives (.tar.xz, .zip ...)")
    parser.add_argument("--limit", type=int, default=None, help="total games to read, split between archives")
    parser.add_argument("--show", type=int, default=30, help="how many illegal moves to list")
    parser.add_argument("--superko", action="store_true", help="also enforce positional superko")
    args = parser.parse_args(argv)

    per_archive = -(-args.limit // len(args.archives)) if args.limit else None
    listed: list[str] = []
    total_games = total_moves = total_dups = 0
    skipped: Counter = Counter()
    repaired: Counter = Counter()
    illegal: Counter = Counter()
    started = time.perf_counter()
    print(f"rules: simple ko, suicide forbidden{', positional superko' if args.superko else ''}; "
          f"limit {args.limit or 'none'} ({per_archive or 'all'} per archive)")
    for path in args.archives:
        c = validate(path, per_archive, args.superko, args.show, listed)
        stats = c["stats"]
        total_games += c["games"]
        total_moves += c["moves"]
        total_dups += c["duplicates"]
        skipped.update(stats.skipped)
        repaired.update(stats.notes)
        illegal.update(c["illegal"])
        print(f"\n== {path}")
        print(f"  files {stats.files}, games read {stats.games_read}, replayed {c['games']}, "
              f"moves {c['moves']}, {c['seconds']:.1f} s ({c['moves'] / max(c['seconds'], 1e-9):,.0f} moves/s)")
        print(f"  board sizes: {dict(sorted(c['sizes'].items()))}; repeated main lines: {c['duplicates']}")
        for reason, n in stats.skipped.most_common():
            print(f"  skipped  {n:>7}  {reason}")
        for note, n in stats.notes.most_common():
            print(f"  repaired {n:>7}  {note}")
        for reason, n in c["illegal"].most_common():
            print(f"  illegal  {n:>7}  {reason}")
        for message in stats.errors[:5]:
            print(f"  error: {message[:200]}")
    elapsed = time.perf_counter() - started
    print("\n== total")
    print(f"  archives {len(args.archives)}, games replayed {total_games}, moves {total_moves}, "
          f"repeated main lines {total_dups}")
    print(f"  skipped {sum(skipped.values())}: {dict(skipped.most_common())}")
    print(f"  repairs: {dict(repaired.most_common())}")
    print(f"  games with an illegal move: {sum(illegal.values())} {dict(illegal.most_common())}")
    print(f"  time {elapsed:.1f} s, {total_games / max(elapsed, 1e-9):,.0f} games/s")
    if listed:
        print(f"\nfirst {len(listed)} illegal moves:")
        for line in listed:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
