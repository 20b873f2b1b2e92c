"""``python -m policy.pack``: turn SGF archives into train / validation / test packs of whole games.

Example: keep professional games of 2020-2022 out of training and pack them as the validation set, then check
that the two share no game::

    python -m policy.pack ../shared/data/games/*.tar.xz --out data/train --exclude-years 2020-
    python -m policy.pack ../shared/data/games/pro-1561-2022.tar.xz --out data/val2020 --years 2020-2022 \\
        --split 0,1,0 --train-pack data/train/train.npz --drop-overlap
"""
from __future__ import annotations

import json
import sys

from goengine.cli import command_parser
from goengine.dataset import DataFilter, split_fractions, year_range

from .data import PackedGames, build_packs, overlap


def main(argv: list[str] | None = None) -> dict:
    parser = command_parser(__doc__, "python -m policy.pack")
    parser.add_argument("paths", nargs="+", help="archives, folders or SGF files")
    parser.add_argument("--out", required=True, help="folder for train.npz, val.npz, test.npz")
    parser.add_argument("--size", type=int, default=19, help="keep games of this board size")
    parser.add_argument("--min-moves", type=int, default=40, help="keep games of at least this many moves")
    parser.add_argument("--min-rank", type=float, help="both players at least this where recorded (9 = 9d, 10 = 1p)")
    parser.add_argument("--allow-handicap", action="store_true", help="keep handicap games too")
    parser.add_argument("--years", type=year_range,
                        help="keep only games dated in this range, e.g. 2000-2019 (undated games are left out)")
    parser.add_argument("--exclude-years", type=year_range,
                        help="leave out games dated in this range, e.g. 2020-, and undated games, which may be in it")
    parser.add_argument("--source", action="append", default=[], help="keep sources containing this text")
    parser.add_argument("--exclude-source", action="append", default=[], help="drop sources containing this text")
    parser.add_argument("--split", type=split_fractions, default=(0.98, 0.01, 0.01),
                        help="train,val,test fractions by game, e.g. 0.98,0.01,0.01")
    parser.add_argument("--train-pack", help="a training pack (.npz): report how many packed games it holds")
    parser.add_argument("--drop-overlap", action="store_true",
                        help="with --train-pack: leave out the games it holds (skip reason 'in the training pack')")
    parser.add_argument("--workers", type=int, default=2, help="processes that read the archives")
    args = parser.parse_args(argv)
    if args.drop_overlap and not args.train_pack:
        parser.error("--drop-overlap needs --train-pack")
    train = None
    if args.train_pack:
        try:
            train = PackedGames.load(args.train_pack)
        except (OSError, ValueError) as exc:
            parser.exit(2, f"error: {exc}\n")
    filt = DataFilter(size=args.size, min_moves=args.min_moves, min_rank=args.min_rank,
                      allow_handicap=args.allow_handicap, years=args.years, exclude_years=args.exclude_years,
                      sources=tuple(args.source), exclude_sources=tuple(args.exclude_source))
    summary = build_packs(args.paths, args.out, filt, args.split, workers=args.workers,
                          exclude=train if args.drop_overlap else None)
    shown = {k: summary[k] for k in ("games", "positions", "skipped")}
    if train is not None:
        packs = {s: PackedGames.load(f"{args.out}/{s}.npz") for s in summary["games"]}
        shown["in_train_pack"] = {s: overlap(pack, train) for s, pack in packs.items()}
        if any(shown["in_train_pack"].values()):
            print(f"warning: {sum(shown['in_train_pack'].values())} packed games are also in {args.train_pack}",
                  file=sys.stderr)
    print(json.dumps(shown, indent=1))
    return summary


if __name__ == "__main__":
    main()
