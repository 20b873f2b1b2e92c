"""``goengine-review``: review SGF games with the engine's tree search into annotated SGF, graphs and pages.

Exit status: 0 when every game found was reviewed (or was already done), 1 when a file or game could not be
reviewed (the others still are), 2 for bad options, an unusable model or an unreadable summary, 130 when
interrupted (the games finished so far are kept; the same command continues).
"""
from __future__ import annotations

import argparse
import math
import os
import sys

from .analysis import DEFAULT_PLAYOUTS, Budget
from .batch import SUMMARY, Settings, SummaryError, review_batch
from .marks import Thresholds
from .text import points

DEFAULTS = Thresholds()
DEFAULT_THREADS = 1  # the other core stays free; two threads on cores that are busy wait for each other (README)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="goengine-review",
        description="Review Go games with goengine's tree search. For each game write OUT_DIR/NAME.sgf (a comment "
                    "at every move, the engine's line as a variation, BM/DO/TE marks), NAME.png (Black's winrate "
                    f"graph) and NAME.html (a self-contained page), and keep OUT_DIR/{SUMMARY}. Games already "
                    "reviewed with the same settings are skipped.")
    ap.add_argument("paths", nargs="+", metavar="GAME.sgf|FOLDER",
                    help="SGF files (collections too), folders searched for .sgf files, or archives")
    ap.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="folder for the review (created)")
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument("--playouts", type=int, metavar="N",
                        help=f"search each position to N playouts (default {DEFAULT_PLAYOUTS}); the tree is kept "
                             "from one move to the next")
    budget.add_argument("--seconds", type=float, metavar="S", help="search each position for S seconds instead")
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS, metavar="T",
                    help=f"torch CPU threads (default {DEFAULT_THREADS}; 0: torch's default)")
    ap.add_argument("--blunder", type=float, default=points(DEFAULTS.blunder), metavar="PCT",
                    help="mark BM when a move loses at least PCT points of the mover's winrate (default %(default)g)")
    ap.add_argument("--doubtful", type=float, default=points(DEFAULTS.doubtful), metavar="PCT",
                    help="mark DO when a move loses at least PCT points (default %(default)g)")
    ap.add_argument("--tesuji", type=float, default=points(DEFAULTS.tesuji), metavar="PCT",
                    help="mark TE when a move other than the engine's choice leaves the mover at least PCT points "
                         "better than the engine expected of its choice (default %(default)g)")
    ap.add_argument("--weights", help="model file (default: the shipped policy/weights/default.pt)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    ap.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bars for games and positions (default: when stderr is a terminal)")
    return ap


def settings_from(args: argparse.Namespace) -> Settings:
    """``ValueError`` naming the option for a bad value."""
    for option, value in (("--seconds", args.seconds), ("--blunder", args.blunder), ("--doubtful", args.doubtful),
                          ("--tesuji", args.tesuji)):
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{option} must be a finite number")
    if args.threads < 0:
        raise ValueError("--threads must be 0 or more")
    if args.playouts is not None and args.playouts < 1:
        raise ValueError("--playouts must be 1 or more")
    if args.seconds is not None and args.seconds <= 0:
        raise ValueError("--seconds must be positive")
    budget = Budget(None, args.seconds) if args.seconds is not None else Budget(args.playouts or DEFAULT_PLAYOUTS)
    thresholds = Thresholds(args.blunder / 100, args.doubtful / 100, args.tesuji / 100)
    return Settings(budget, thresholds, args.weights or "shipped model")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out} exists and is not a folder")
    import torch
    from policy.inference import Policy
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        policy = Policy.load(args.weights, args.device)
    except ValueError as exc:  # ModelFileError, or a device this machine lacks
        print(f"goengine-review: {exc}", file=sys.stderr)
        return 2
    try:
        result = review_batch(args.paths, args.out, policy, settings, args.progress)
    except SummaryError as exc:
        print(f"goengine-review: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("goengine-review: interrupted; the games finished are kept, and the same command continues",
              file=sys.stderr)
        return 130
    rate = f", {result.playouts / result.seconds:.0f} playouts/s" if result.seconds > 0 else ""
    print(f"reviewed {len(result.reviewed)} games into {args.out} ({result.seconds:.0f} s{rate}); "
          f"{len(result.skipped)} already done; {len(result.problems)} not reviewed", file=sys.stderr)
    for problem in result.problems:
        print(f"  not reviewed: {problem.source}: {problem.reason}", file=sys.stderr)
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
