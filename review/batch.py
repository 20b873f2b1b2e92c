"""Review a batch of games into a folder: find the games, name their outputs, write them atomically, keep a summary.

``summary.json`` in the folder records every reviewed game under its output name: where it came from, the settings
used, its marks and its biggest mistakes. A game whose entry has the same source and settings, and whose three
files exist, is done and skipped, so a run that was interrupted continues where it stopped. Each file is written
to a temporary name and renamed into place, and the summary entry is written last.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Iterable

from tqdm import tqdm

from goengine.archive import iter_sgf_files
from goengine.atomic import atomic_write
from goengine.board import BLACK
from goengine.coords import to_gtp
from goengine.game import Game, ReplayError
from goengine.sgf import parse_sgf
from policy.mcts import Evaluator

from .analysis import Budget, GameReview, analyse_game
from .annotate import annotated_sgf
from .graph import winrate_png
from .marks import Thresholds, biggest_losses, mark
from .page import review_page
from .text import describe_moves, points

SUMMARY = "summary.json"
OUTPUTS = ("sgf", "png", "html")


class SummaryError(ValueError):
    """An existing summary file that cannot be read or is not a review summary."""


@dataclass(frozen=True)
class Settings:
    budget: Budget = Budget()
    thresholds: Thresholds = Thresholds()
    weights: str = "shipped model"

    def line(self) -> str:
        """The search budget in words, for comments and the page."""
        if self.budget.seconds is not None:
            return f"tree search of {self.budget.seconds:g} s a position ({self.weights})"
        return f"tree search of {self.budget.playouts} playouts a position ({self.weights})"

    def as_json(self) -> dict:
        t = self.thresholds
        return {"playouts": self.budget.playouts, "seconds": self.budget.seconds, "weights": self.weights,
                "blunder": points(t.blunder), "doubtful": points(t.doubtful), "tesuji": points(t.tesuji)}


@dataclass
class Problem:
    source: str
    reason: str


@dataclass
class BatchResult:
    reviewed: list[str] = field(default_factory=list)  # output names
    skipped: list[str] = field(default_factory=list)  # already done
    problems: list[Problem] = field(default_factory=list)
    playouts: int = 0
    seconds: float = 0.0


def find_games(paths: Iterable[str]) -> tuple[list[Game], list[Problem]]:
    """The games in SGF files, folders (searched recursively) and archives, each once, and what could not be
    read."""
    games, problems, seen = [], [], set()
    for path in paths:
        if not os.path.exists(path):
            problems.append(Problem(path, "no such file or directory"))
            continue
        for name, data in iter_sgf_files(path):
            if isinstance(data, Exception):
                problems.append(Problem(name, str(data)))
                continue
            found, errors = parse_sgf(data, name)
            problems.extend(Problem(name, _without_source(str(e), name)) for e in errors)
            for game in found:
                if game.source in seen:
                    continue
                seen.add(game.source)
                if game.moves:
                    games.append(game)
                else:
                    problems.append(Problem(game.source, "the game has no moves"))
    return games, problems


def base_name(source: str) -> str:
    """An output name from a game's source: the file name without its suffix, ``-N`` for game N of a
    collection, characters other than letters, digits, ``.``, ``-`` and ``_`` replaced."""
    member, _, index = source.rpartition("#") if re.search(r"#\d+$", source) else (source, "", "")
    stem = os.path.basename(member.rsplit(":", 1)[-1].replace("\\", "/"))
    stem = re.sub(r"\.sgfs?$", "", stem, flags=re.I)
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "game"
    return f"{stem}-{index}" if index else stem


def read_summary(out_dir: str) -> dict:
    path = os.path.join(out_dir, SUMMARY)
    if not os.path.exists(path):
        return {"games": {}, "problems": []}
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SummaryError(f"{path}: cannot read the review summary: {exc}") from exc
    if not isinstance(summary, dict) or not isinstance(summary.get("games"), dict):
        raise SummaryError(f"{path}: not a review summary (no \"games\" object)")
    summary.setdefault("problems", [])
    return summary


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    atomic_write(path, lambda fh: fh.write(data))


def assign_names(games: list[Game], summary: dict) -> list[str]:
    """One output name per game: the name a summary entry of the same source has, else a free ``base_name``."""
    by_source = {entry.get("source"): name for name, entry in summary["games"].items()}
    taken = set(summary["games"])
    names = []
    for game in games:
        name = by_source.get(game.source)
        if name is None:
            base = name = base_name(game.source)
            n = 1
            while name in taken or name in names:
                n += 1
                name = f"{base}-{n}"
        names.append(name)
    return names


def is_done(out_dir: str, name: str, entry: dict | None, source: str, settings: Settings) -> bool:
    return (entry is not None and entry.get("source") == source and entry.get("settings") == settings.as_json()
            and all(os.path.exists(os.path.join(out_dir, f"{name}.{ext}")) for ext in OUTPUTS))


def review_batch(paths: Iterable[str], out_dir: str, evaluator: Evaluator, settings: Settings,
                 progress: bool | None = None) -> BatchResult:
    """Review every game found under ``paths`` into ``out_dir``, skipping games already done.

    ``progress``: show progress bars (None: only on a terminal). ``SummaryError`` before any work when an existing
    summary cannot be read.
    """
    os.makedirs(out_dir, exist_ok=True)
    summary = read_summary(out_dir)
    games, problems = find_games(paths)
    result = BatchResult(problems=problems)
    names = assign_names(games, summary)
    with tqdm(total=len(games), desc="games", unit="game", disable=_disabled(progress)) as bar:
        for game, name in zip(games, names):
            if is_done(out_dir, name, summary["games"].get(name), game.source, settings):
                result.skipped.append(name)
                bar.update()
                continue
            with tqdm(total=len(game.moves) + 1, desc=name[:30], unit="pos", leave=False,
                      disable=_disabled(progress)) as moves_bar:
                try:
                    review = analyse_game(game, evaluator, settings.budget, on_position=moves_bar.update)
                except ReplayError as exc:  # an illegal move in the record
                    result.problems.append(Problem(game.source, _without_source(str(exc), game.source)))
                    bar.update()
                    continue
            summary["games"][name] = write_review(out_dir, name, review, settings)
            summary["problems"] = [vars(p) for p in result.problems]
            write_atomic(os.path.join(out_dir, SUMMARY), _json(summary))
            result.reviewed.append(name)
            result.playouts += review.playouts
            result.seconds += review.seconds
            bar.update()
    summary["problems"] = [vars(p) for p in result.problems]
    write_atomic(os.path.join(out_dir, SUMMARY), _json(summary))
    return result


def write_review(out_dir: str, name: str, review: GameReview, settings: Settings) -> dict:
    """Write NAME.sgf, NAME.png and NAME.html; return the game's summary entry."""
    game, size, thresholds = review.game, review.game.size, settings.thresholds
    descriptions = describe_moves(game)
    mistakes = biggest_losses(review.moves)
    black = [review.moves[0].black_before] + [m.black_after for m in review.moves]
    title = f"{game.info.black or 'Black'} vs {game.info.white or 'White'}"
    graph = winrate_png(black, [m.number for m in mistakes], title)
    write_atomic(os.path.join(out_dir, f"{name}.sgf"),
                 annotated_sgf(review, descriptions, thresholds, settings.line()))
    write_atomic(os.path.join(out_dir, f"{name}.png"), graph)
    page = review_page(review, graph, mistakes, descriptions, thresholds, settings.line())
    write_atomic(os.path.join(out_dir, f"{name}.html"), page.encode("utf-8"))
    marks: dict[str, list[int]] = {"BM": [], "DO": [], "TE": []}
    for move in review.moves:
        if (key := mark(move, thresholds)) is not None:
            marks[key].append(move.number)
    info = game.info
    return {
        "source": game.source, "black": info.black, "white": info.white, "result": info.result.raw,
        "komi": game.komi, "size": size, "moves": len(game.moves),
        "final_black_winrate": points(review.final_black), "marks": marks,
        "mistakes": [{"move": m.number, "color": "B" if m.color == BLACK else "W", "played": to_gtp(m.point, size),
                      "preferred": None if m.best is None else to_gtp(m.best, size), "loss": points(m.loss),
                      "black_before": points(m.black_before), "black_after": points(m.black_after),
                      "mark": mark(m, thresholds)} for m in mistakes],
        "files": {ext: f"{name}.{ext}" for ext in OUTPUTS},
        "settings": settings.as_json(),
        "search": {"playouts": review.playouts, "seconds": round(review.seconds, 2)},
    }


def _json(summary: dict) -> bytes:
    return (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _disabled(progress: bool | None) -> bool | None:
    return None if progress is None else not progress


def _without_source(message: str, source: str) -> str:
    """A reader's message without the source name it starts with (the problem list names the source)."""
    return message[len(source):].lstrip(": ") if message.startswith(source) else message
