"""``python -m policy.evaluate [--weights W] PATH... [--json]``: how well a model predicts the moves of games.

Reports top-1 / top-5 accuracy, negative log-likelihood (of the masked policy), value-head accuracy on the game's
result, top-1 and value accuracy by game phase (moves 1-50, 51-150, 151+), each with a 95% interval bootstrapped
by game, and positions per second. PATH may be an SGF file, a folder or an archive
(read through ``goengine.dataset``: a game stored twice is scored once) or a pack; the shipped model is used when
``--weights`` is not given. ``--baseline W`` scores a second model on the same positions and gives the paired
differences. ``--train-pack`` counts the evaluated games whose main line is in a training pack
(``--refuse-overlap``: stop at the first one).
"""
from __future__ import annotations

import itertools
import json
import os
import sys
import time
from typing import Iterable, Iterator

import numpy as np
import torch

from goengine.cli import command_parser
from goengine.dataset import DataFilter, UniqueReader, main_line_key, year_range
from goengine.game import Game, positions
from goengine.stats import bootstrap_by_game

from .data import PackedGames, decisive_winner, value_target
from .inference import Policy

PHASES = (("1-50", 1, 50), ("51-150", 51, 150), ("151+", 151, 10 ** 9))


# the columns of a game's row in ``_Tally``
COLUMNS = ("positions", "top1", "top5", "nll", "decided", "value_right",
           *(f"{name}_{phase}" for phase, _, _ in PHASES for name in ("positions", "top1", "decided", "value_right")))
_COL = {name: i for i, name in enumerate(COLUMNS)}
# figure, numerator column, denominator column
_FIGURES = (("top1", "top1", "positions"), ("top5", "top5", "positions"), ("nll", "nll", "positions"),
            ("value_accuracy", "value_right", "decided"))


class _Tally:
    """Sums per game (``COLUMNS``), from which every figure and its interval resampled by game is made."""

    def __init__(self):
        self.rows: dict[int, np.ndarray] = {}
        self.n = 0  # positions scored

    def add(self, logits: np.ndarray, masks: np.ndarray, moves: np.ndarray, numbers: np.ndarray,
            values: np.ndarray, targets: np.ndarray, games: np.ndarray) -> None:
        z = np.where(masks, logits, -np.inf)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(len(moves))
        order = np.argsort(-z, axis=1)[:, :5]
        hit1 = order[:, 0] == moves
        decided = targets != 0
        right = ((values > 0) == (targets > 0)) & decided
        parts = [np.ones(len(moves)), hit1, (order == moves[:, None]).any(axis=1),
                 -np.clip(logp[rows, moves], -50, None), decided, right]
        for _, lo, hi in PHASES:
            sel = (numbers >= lo) & (numbers <= hi)
            parts += [sel, hit1 & sel, decided & sel, right & sel]
        self.n += len(moves)
        contrib = np.stack(parts, axis=1).astype(np.float64)
        ids, where = np.unique(games, return_inverse=True)
        sums = np.zeros((len(ids), len(COLUMNS)))
        np.add.at(sums, where, contrib)
        for g, row in zip(ids.tolist(), sums):
            self.rows[g] = self.rows.get(g, 0) + row

    def table(self) -> np.ndarray:
        """One row per game, one column per name of ``COLUMNS``."""
        return np.array(list(self.rows.values())).reshape(-1, len(COLUMNS))

    def result(self, seconds: float, games: int) -> dict:
        t = self.table()
        out = {"games": games, "positions": self.n}
        for name, num, den in _FIGURES:
            out[name], out[f"{name}_ci95"] = _ratio(t, num, den)
        for prefix, num, den in (("top1", "top1", "positions"), ("value_accuracy", "value_right", "decided")):
            by_phase = {phase: _ratio(t, f"{num}_{phase}", f"{den}_{phase}") for phase, _, _ in PHASES}
            out[f"{prefix}_by_phase"] = {phase: r for phase, (r, _) in by_phase.items()}
            out[f"{prefix}_by_phase_ci95"] = {phase: ci for phase, (_, ci) in by_phase.items()}
        out["positions_per_s"] = self.n / seconds if seconds > 0 else None
        return out

    def difference(self, other: "_Tally") -> dict:
        """This model minus ``other``, scored on the same positions, with paired intervals resampled by game."""
        a, b = self.table(), other.table()
        out = {}
        for name, num, den in _FIGURES:
            out[name], out[f"{name}_ci95"] = _ratio(a, num, den, minus=b)
        return out


def _ratio(table: np.ndarray, num: str, den: str, minus: np.ndarray | None = None
           ) -> tuple[float | None, tuple[float, float] | None]:
    """``sum(num) / sum(den)`` over the games of ``table`` (less ``minus``'s numerator: a paired difference) and
    its 95% interval resampled by game; (None, None) where the denominator is 0."""
    hits, counts = table[:, _COL[num]], table[:, _COL[den]]
    if counts.sum() <= 0:
        return None, None
    other = None if minus is None else minus[:, _COL[num]]
    value = float((hits.sum() - (0 if other is None else other.sum())) / counts.sum())
    return value, bootstrap_by_game(hits, counts, minus=other)


def evaluate_games(policy: Policy, games: Iterable[Game], batch_size: int = 256,
                   max_positions: int | None = None, baseline: Policy | None = None) -> dict:
    """Score ``policy`` on every position of ``games`` (each game replayed once, batched forward passes).

    With ``baseline`` that model is scored on the same positions too: its figures go under ``"baseline"`` and
    ``policy`` minus ``baseline`` under ``"difference"``, with intervals that resample both by the same games."""
    models = [policy] if baseline is None else [policy, baseline]
    tallies = [_Tally() for _ in models]
    # a baseline of the same feature set reads the planes encoded for ``policy``
    encoders = [None if m and (model.features.name, model.features.version) == (policy.features.name,
                                                                                policy.features.version)
                else model.features for m, model in enumerate(models)]
    tally = tallies[0]
    buf: dict[str, list] = {k: [] for k in ("masks", "moves", "numbers", "targets", "games")}
    planes: list[list[np.ndarray]] = [[] for _ in models]
    t0 = time.time()
    count = 0

    def flush():
        if not buf["moves"]:
            return
        masks, moves, numbers = np.stack(buf["masks"]), np.array(buf["moves"]), np.array(buf["numbers"])
        targets, game_numbers = np.array(buf["targets"]), np.array(buf["games"])
        for model, model_planes, model_tally in zip(models, planes, tallies):
            logits, values = model.run(np.stack(model_planes))
            model_tally.add(logits, masks, moves, numbers, values, targets, game_numbers)
            model_planes.clear()
        for v in buf.values():
            v.clear()

    for game in games:
        count += 1
        winner = decisive_winner(game.info.result)
        try:
            for i, (board, color, point) in enumerate(positions(game)):
                for model_planes, encoder in zip(planes, encoders):
                    model_planes.append(planes[0][-1] if encoder is None else encoder.encode(board))
                buf["masks"].append(board.legal_mask(color))
                buf["moves"].append(point)
                buf["numbers"].append(i + 1)
                buf["targets"].append(value_target(winner, color))
                buf["games"].append(count)
                if len(buf["moves"]) >= batch_size:
                    flush()
                if max_positions and tally.n + len(buf["moves"]) >= max_positions:
                    break
        except ValueError as exc:  # an illegal move: the positions before it still count
            print(f"warning: {exc}", file=sys.stderr)
        if max_positions and tally.n + len(buf["moves"]) >= max_positions:
            break
    flush()
    seconds = time.time() - t0
    result = tally.result(seconds, count)
    if baseline is not None:
        result["baseline"] = tallies[1].result(seconds, count)
        result["difference"] = tally.difference(tallies[1])
    return result


def _pack_games(path: str, sample: int | None) -> Iterator[tuple[int, Game]]:
    """(main-line key, game) for the games of a pack, or a fixed random sample of ``sample`` of them."""
    pack = PackedGames.load(path)
    keys = pack.main_line_keys()
    order = np.arange(len(pack))
    if sample and sample < len(pack):
        order = np.sort(np.random.default_rng(0).choice(len(pack), size=sample, replace=False))
    return ((int(keys[i]), pack.game(int(i))) for i in order)


class TrainOverlap:
    """Counts the evaluated games whose main line is in a training pack; with ``refuse``, stops at the first."""

    def __init__(self, path: str, refuse: bool = False):
        self.path, self.refuse = path, refuse
        self.keys = set(PackedGames.load(path).main_line_keys().tolist())
        self.games = 0

    def check(self, keyed: Iterable[tuple[int, Game]]) -> Iterator[Game]:
        """The games of ``keyed`` ((key, game) pairs), counting those in the training pack."""
        for key, game in keyed:
            if key in self.keys:
                if self.refuse:
                    raise OverlapError(f"{game.source or 'a packed game'} is in the training pack {self.path}")
                self.games += 1
            yield game


class OverlapError(Exception):
    """An evaluated game is in the training pack and ``--refuse-overlap`` was given."""


_LABELS = {"top1": "top-1", "top5": "top-5", "nll": "NLL", "value_accuracy": "value head accuracy on results"}


def _figure(value: float | None, ci: tuple[float, float] | None, sign: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:{sign}.4f} ({ci[0]:{sign}.4f} to {ci[1]:{sign}.4f})"


def _report(metrics: dict, baseline: str | None) -> str:
    """The text report of ``main``: each figure with its interval, by phase, and the paired differences."""
    lines = [f"{label}: {_figure(metrics[name], metrics[f'{name}_ci95'])}" for name, label in _LABELS.items()]
    for prefix, label in (("top1", "top-1"), ("value_accuracy", "value")):
        for phase, value in metrics[f"{prefix}_by_phase"].items():
            lines.append(f"  {label}, moves {phase:>6}: {_figure(value, metrics[f'{prefix}_by_phase_ci95'][phase])}")
    if baseline is not None:
        diff, base = metrics["difference"], metrics["baseline"]
        lines.append(f"baseline {baseline}:")
        for name, label in _LABELS.items():
            lines.append(f"  {label}: {_figure(base[name], base[f'{name}_ci95'])}; this model minus the baseline "
                         f"{_figure(diff[name], diff[f'{name}_ci95'], '+')} (paired by game)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = command_parser(__doc__, "python -m policy.evaluate")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="SGF file, folder or archive, or a game pack (.npz) from python -m policy.pack")
    parser.add_argument("--weights", help="model file (default: the shipped model)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--size", type=int, default=19, help="evaluate games of this board size")
    parser.add_argument("--years", type=year_range,
                        help="only games dated in this range, e.g. 2020-2022 (undated games are left out)")
    parser.add_argument("--max-games", type=int, help="stop after this many games (from a pack: a random sample)")
    parser.add_argument("--max-positions", type=int, help="stop after this many positions")
    parser.add_argument("--baseline", metavar="WEIGHTS",
                        help="also score this model file on the same positions, with paired intervals of the "
                             "differences")
    parser.add_argument("--train-pack", help="a training pack (.npz): count the evaluated games it holds")
    parser.add_argument("--refuse-overlap", action="store_true",
                        help="with --train-pack: stop with an error at the first evaluated game it holds")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if args.refuse_overlap and not args.train_pack:
        parser.error("--refuse-overlap needs --train-pack")
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        parser.error(f"no such file or directory: {', '.join(missing)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        policy = Policy.load(args.weights, args.device)
        baseline = Policy.load(args.baseline, args.device) if args.baseline else None
        overlap = TrainOverlap(args.train_pack, args.refuse_overlap) if args.train_pack else None
    except (ValueError, OSError) as exc:
        parser.exit(2, f"error: {exc}\n")
    pack_paths = [p for p in args.paths if p.endswith(".npz")]
    reader = UniqueReader([p for p in args.paths if not p.endswith(".npz")],  # each main line scored once
                          DataFilter(size=args.size, years=args.years), check_legal=False)
    keyed = itertools.chain(((main_line_key(g), g) for g in reader), *(_pack_games(p, args.max_games)
                                                                        for p in pack_paths))
    games = overlap.check(keyed) if overlap else (game for _, game in keyed)
    if args.max_games:
        games = itertools.islice(games, args.max_games)
    try:
        metrics = evaluate_games(policy, games, max_positions=args.max_positions, baseline=baseline)
    except OverlapError as exc:
        parser.exit(1, f"error: {exc}; nothing was scored (--refuse-overlap)\n")
    metrics["skipped"] = dict(reader.stats.skipped)
    if overlap:
        metrics["in_train_pack"] = overlap.games
    if not metrics["positions"]:
        parser.exit(1, f"error: no positions to evaluate in {' '.join(args.paths)}\n{reader.stats.summary()}\n")
    if args.json:
        print(json.dumps(metrics))
    else:
        print(f"games {metrics['games']}, positions {metrics['positions']} (95% intervals resampled by game)")
        print(_report(metrics, args.baseline))
        print(f"{metrics['positions_per_s']:.0f} positions/s")
        if overlap:
            print(f"{overlap.games} of the {metrics['games']} games are in the training pack {args.train_pack}")
        if reader.stats.skipped:
            print(reader.stats.summary(), file=sys.stderr)
    return metrics


if __name__ == "__main__":
    main()
