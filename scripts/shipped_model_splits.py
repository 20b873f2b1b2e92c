#!/usr/bin/env python3
"""Rebuild the validation and test splits of the shipped model's training packs, to score it on games it never saw.

The shipped model (``policy/weights/default.pt``) was trained on packs split by an earlier function: crc32 of
Python's ``hash()`` of (size, sorted setup stones, moves), 98/1/1, with games dated 2020 or later left out and
undated games kept. ``hash()`` of a tuple of ints does not depend on ``PYTHONHASHSEED``, but it is not promised to
stay the same across Python versions or word sizes: the script checks the Python it runs on and refuses others.
Today's packs split by ``goengine.dataset.split_of`` instead, which files most of these games elsewhere, so the
shipped model must be scored on these::

    python scripts/shipped_model_splits.py ../shared/data/games/{pro-1561-2022,tygem-9d-2015-2016,kgs-6d,\\
fox-9d,fox-pro,ai-games}.tar.xz --out data/shipped
    python -m policy.evaluate data/shipped/test.npz --max-games 300 --json

The games are read, filtered and de-duplicated by ``goengine.dataset`` with the filter the packs had (19x19, at
least 40 moves, no handicap or setup stones, legal moves only); only the split differs. The training split is
not written: it is what the model was trained on.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from goengine.dataset import DataFilter, UniqueReader  # noqa: E402
from goengine.game import Game  # noqa: E402
from policy.data import PackedGames  # noqa: E402

FILTER = DataFilter(size=19, min_moves=40, allow_handicap=False)
FRACTIONS = (0.98, 0.01, 0.01)
# the key of an empty 19x19 game and of a two-move game under the Python the packs were made with (3.11, 64-bit)
KNOWN_KEYS = {(): 3151869974492591439, ((1, 72), (2, 288)): -4922248387407471237}


def legacy_key(size: int, setup_black, setup_white, moves) -> int:
    """The main-line key the shipped model's packs were split by."""
    return hash((size, tuple(sorted(setup_black)), tuple(sorted(setup_white)), tuple(moves)))


def legacy_split(key: int) -> str:
    """'train', 'val' or 'test' as the shipped model's packs were split (98/1/1 along crc32 of the key)."""
    u = (zlib.crc32(key.to_bytes(8, "little", signed=True)) & 0xFFFFFFFF) / 2 ** 32
    if u < FRACTIONS[0]:
        return "train"
    return "val" if u < FRACTIONS[0] + FRACTIONS[1] else "test"


def check_python() -> None:
    """Refuse to run where ``hash()`` of int tuples differs from the Python the packs were made with."""
    for moves, key in KNOWN_KEYS.items():
        if legacy_key(19, (), (), moves) != key:
            raise SystemExit("error: this Python hashes tuples differently from the one the shipped model's packs "
                             "were made with (CPython 3.11, 64-bit); the splits cannot be rebuilt here")


def dated_before_2020(game: Game) -> str | None:
    """The packs' year filter: games dated 2020 or later left out, undated games kept."""
    year = game.info.year
    return "in excluded date range" if year is not None and year >= 2020 else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="the archives the shipped model was trained from")
    parser.add_argument("--out", required=True, help="folder for val.npz and test.npz")
    parser.add_argument("--workers", type=int, default=2, help="processes that read the archives")
    args = parser.parse_args(argv)
    check_python()
    reader = UniqueReader(args.paths, FILTER, accept=dated_before_2020, workers=args.workers, keep_comments=False)
    splits: dict[str, list[Game]] = {"val": [], "test": []}
    counts = Counter()
    for game in reader:
        part = legacy_split(legacy_key(game.size, game.setup_black, game.setup_white, game.moves))
        counts[part] += 1
        if part in splits:
            splits[part].append(game)
    summary = {"games": {k: counts[k] for k in ("train", "val", "test")}, "skipped": dict(reader.stats.skipped),
               "split": "crc32 of Python hash() of the main line, 98/1/1 (the shipped model's packs)"}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    for part in splits:
        PackedGames.from_games(splits[part], FILTER.size, dict(summary, split=part)).save(Path(args.out) / f"{part}.npz")
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
