"""``python -m policy.pack``: turn SGF archives into train / validation / test packs of whole games.

Example: keep professional games of 2020-2022 out of training and pack them as the validation set::

    python -m policy.pack ../shared/data/games/*.tar.xz --out data/train --exclude-years 2020-
    python -m policy.pack ../shared/data/games/pro-1561-2022.tar.xz --out data/val2020 --years 2020-2022 --split 0,1,0
"""
from __future__ import annotations

import json

from goengine.cli import command_parser

from .data import DataFilter, build_packs


def year_range(text: str | None) -> tuple[int | None, int | None] | None:
    """``2020-2022``, ``2020-`` or ``-2019`` -> (lo, hi)."""
    if not text:
        return None
    lo, _, hi = text.partition("-")
    return (int(lo) if lo else None, int(hi) if hi else None)


def main(argv: list[str] | None = None) -> dict:
    parser = command_parser(__doc__, "python -m policy.pack")
    parser.add_argument("paths", nargs="+", help="archives, folders or SGF files")
    parser.add_argument("--out", required=True, help="folder for train.npz, val.npz, test.npz")
    parser.add_argument("--size", type=int, default=19, help="keep games of this board size")
    parser.add_argument("--min-moves", type=int, default=40, help="keep games of at least this many moves")
    parser.add_argument("--min-rank", type=float, help="both players at least this where recorded (9 = 9d, 10 = 1p)")
    parser.add_argument("--allow-handicap", action="store_true", help="keep handicap games too")
    parser.add_argument("--years", help="keep games dated in this range, e.g. 2000-2019")
    parser.add_argument("--exclude-years", help="drop games dated in this range, e.g. 2020-")
    parser.add_argument("--source", action="append", default=[], help="keep sources containing this text")
    parser.add_argument("--exclude-source", action="append", default=[], help="drop sources containing this text")
    parser.add_argument("--split", default="0.98,0.01,0.01", help="train,val,test fractions by game")
    parser.add_argument("--workers", type=int, default=2, help="processes that read the archives")
    args = parser.parse_args(argv)
    fractions = tuple(float(x) for x in args.split.split(","))
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6:
        parser.error("--split needs three fractions that add up to 1")
    filt = DataFilter(size=args.size, min_moves=args.min_moves, min_rank=args.min_rank,
                      allow_handicap=args.allow_handicap, years=year_range(args.years) or (None, None),
                      exclude_years=year_range(args.exclude_years), sources=tuple(args.source),
                      exclude_sources=tuple(args.exclude_source))
    summary = build_packs(args.paths, args.out, filt, fractions, workers=args.workers)
    print(json.dumps({k: summary[k] for k in ("games", "positions", "skipped")}, indent=1))
    return summary


if __name__ == "__main__":
    main()
