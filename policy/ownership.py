"""``python -m policy.ownership``: label the counted games of a pack with their final ownership (an auxiliary target).

Reads the archives the pack was made from, keeps the games of the pack that ended by counting, estimates who owns
each point at the end and keeps the estimates that agree with the recorded result (``goengine.ownership``). The
labels go to a file of their own beside the pack; ``python -m policy.train --ownership FILE`` reads it::

    python -m policy.ownership ../shared/data/games/*.tar.xz --pack data/train/train.npz \\
        --out data/train/ownership.npz --workers 2

The file is rewritten every ``--save-every`` labels, so an interrupted run keeps what it had done.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import sys
import time

import numpy as np

from goengine.cli import command_parser
from goengine.dataset import DataFilter, UniqueReader, main_line_key
from goengine.game import Game
from goengine.ownership import PLAYOUTS, TOLERANCE, OwnershipLabels, final_ownership, rejection

from .data import PackedGames


def _counted(game: Game) -> str | None:
    """UniqueReader filter: only counted games can be labelled."""
    return rejection(game)


def _label(job: tuple[int, Game, float, int]) -> tuple[int, np.ndarray | None, str | None]:
    key, game, tolerance, playouts = job
    owner, reason = final_ownership(game, tolerance, playouts)
    return key, owner, reason


def main(argv: list[str] | None = None) -> dict:
    parser = command_parser(__doc__, "python -m policy.ownership")
    parser.add_argument("paths", nargs="+", help="the archives, folders or SGF files the pack was made from")
    parser.add_argument("--pack", required=True, help="the pack (.npz) whose games to label")
    parser.add_argument("--out", required=True, help="the ownership file to write (.npz)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE,
                        help="points the estimated area score may differ from the recorded margin")
    parser.add_argument("--playouts", type=int, default=PLAYOUTS, help="random playouts per dead-stone estimate")
    parser.add_argument("--max-games", type=int, help="stop after labelling this many games")
    parser.add_argument("--workers", type=int, default=2, help="processes that estimate ownership")
    parser.add_argument("--save-every", type=int, default=1000, help="labels between two writes of --out")
    args = parser.parse_args(argv)
    if args.tolerance < 0 or args.playouts < 1 or args.workers < 1 or args.save_every < 1:
        parser.error("--tolerance must be >= 0 and --playouts, --workers, --save-every >= 1")
    try:
        pack = PackedGames.load(args.pack)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    wanted = set(pack.main_line_keys().tolist())
    reader = UniqueReader(args.paths, DataFilter(size=pack.size), accept=_counted, check_legal=True,
                          keep_comments=False)
    jobs = ((main_line_key(g), g, args.tolerance, args.playouts) for g in reader if main_line_key(g) in wanted)
    keys: list[int] = []
    maps: list[np.ndarray] = []
    rejected: dict[str, int] = {}
    t0 = time.time()

    def save() -> None:
        summary = {"pack": args.pack, "pack_games": len(pack), "labelled": len(keys), "rejected": rejected,
                   "tolerance": args.tolerance, "playouts": args.playouts, "skipped": dict(reader.stats.skipped)}
        n = pack.size * pack.size
        OwnershipLabels(pack.size, np.array(keys, dtype=np.uint64),
                        np.stack(maps) if maps else np.zeros((0, n), np.int8), summary).save(args.out)

    with mp.get_context("fork").Pool(args.workers) as pool:
        for key, owner, reason in pool.imap(_label, jobs, chunksize=8):
            if owner is None:
                rejected[reason] = rejected.get(reason, 0) + 1
                continue
            keys.append(key)
            maps.append(owner)
            if len(keys) % args.save_every == 0:
                save()
                print(f"{len(keys)} labelled, {sum(rejected.values())} rejected, {time.time() - t0:.0f} s",
                      file=sys.stderr)
            if args.max_games and len(keys) >= args.max_games:
                pool.terminate()
                break
    save()
    shown = {"labelled": len(keys), "rejected": rejected, "pack_games": len(pack), "seconds": round(time.time() - t0)}
    print(json.dumps(shown))
    return shown


if __name__ == "__main__":
    main()
