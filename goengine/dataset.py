"""One data layer for game records: read, filter, de-duplicate by main line and split by a stable hash.

Everything that trains or scores on game records (``policy.pack``, ``policy.evaluate``, the ``rnn_tools`` tasks)
reads through here, so a game is filtered, recognised as a repeat and given its split the same way everywhere:

- ``DataFilter`` says which games to keep (board size, moves, handicap, rank, years, sources) and why one is not.
- ``main_line_key`` is a 64-bit BLAKE2b hash of the board size, the setup stones and the moves, written out as
  text. It is the same in every process and Python version (unlike ``hash()``), and ``key_of_codes`` gives it
  from a pack's move codes.
- ``split_of`` gives a game's split from its key, so that every copy of a game lands in the same split whatever
  the order of reading. A split with a smaller test fraction is a part of one with a larger fraction.
- ``UniqueReader`` reads games through ``goengine.archive.GameReader``, filters them, drops repeated main lines
  and counts every skip by reason.
"""
from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .archive import GameReader, ReadStats
from .board import BLACK, WHITE
from .game import Game, parse_rank

SPLITS = ("train", "val", "test")
WHITE_FLAG = 1 << 15  # high bit of a move code: played by White
YearRange = tuple[int | None, int | None]
Accept = Callable[[Game], str | None]


# ------------------------------------------------------------------ command-line values
class ValueTextError(argparse.ArgumentTypeError, ValueError):
    """Text that is not a value of its kind: a ``ValueError``, and as an argparse ``type`` a usage error that
    shows this message."""


def year_range(text: str) -> YearRange:
    """``2020-2022``, ``2020-`` (from 2020 on), ``-2019`` (up to 2019) or ``2021`` -> (first, last) year, inclusive;
    ``ValueError`` for anything else."""
    error = ValueTextError(f"not a year range: {text!r} (examples: 2020-2022, 2020-, -2019)")
    first, dash, last = text.strip().partition("-")
    try:
        lo = int(first) if first.strip() else None
        hi = int(last) if last.strip() else None
    except ValueError:
        raise error from None
    if not dash:
        hi = lo
    if (lo is None and hi is None) or (lo is not None and hi is not None and lo > hi):
        raise error
    return lo, hi


def split_fractions(text: str) -> tuple[float, float, float]:
    """``0.98,0.01,0.01`` -> the train, validation and test fractions; ``ValueError`` unless three non-negative
    numbers add up to 1."""
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6:
        raise ValueTextError(f"not three split fractions adding up to 1: {text!r} (example: 0.98,0.01,0.01)")
    return parts


# ------------------------------------------------------------------ main lines: codes, keys, splits
def encode_moves(moves: Sequence[tuple[int, int]]) -> np.ndarray:
    """Moves as uint16 codes: the point (pass = size²), with ``WHITE_FLAG`` set for White's moves."""
    return np.fromiter((p | (WHITE_FLAG if c == WHITE else 0) for c, p in moves), dtype=np.uint16,
                       count=len(moves))


def decode_moves(codes: np.ndarray) -> list[tuple[int, int]]:
    """``encode_moves`` reversed: a list of (colour, point)."""
    return [(WHITE if m & WHITE_FLAG else BLACK, m & ~WHITE_FLAG & 0xFFFF) for m in np.asarray(codes).tolist()]


def _key(size: int, setup_black: Iterable[int], setup_white: Iterable[int],
         moves: Iterable[tuple[int, int]]) -> int:
    """BLAKE2b-64 (big-endian) of ``size|sorted black setup|sorted white setup|moves`` with Python's list and tuple
    notation, e.g. ``19|[]|[]|[(1, 72), (2, 288)]``: plain ints, so the text is the same everywhere."""
    black, white = sorted(int(p) for p in setup_black), sorted(int(p) for p in setup_white)
    text = f"{int(size)}|{black}|{white}|{[(int(c), int(p)) for c, p in moves]}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def main_line_key(game: Game) -> int:
    """A hash of the board size, the setup stones and the moves: two records of one game share it."""
    return _key(game.size, game.setup_black, game.setup_white, game.moves)


def key_of_codes(size: int, codes: np.ndarray, setup_black: Iterable[int] = (),
                 setup_white: Iterable[int] = ()) -> int:
    """The main-line key (an unsigned 64-bit integer) of a game given as move codes (``encode_moves``)."""
    return _key(size, setup_black, setup_white, decode_moves(codes))


def split_of(key: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> str:
    """'train', 'val' or 'test' for the game whose main-line key is ``key``, in the ``(train, val, test)``
    ``fractions`` given (to 1/10,000). The test games come first along the hash, then the validation games."""
    u = (key >> 8) % 10_000 / 10_000
    if u < fractions[2]:
        return "test"
    return "val" if u < fractions[2] + fractions[1] else "train"


def split_games(games: Iterable[Game], fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, list[Game]]:
    """``games`` by split (``split_of`` their main-line keys), in reading order within each."""
    out: dict[str, list[Game]] = {s: [] for s in SPLITS}
    for game in games:
        out[split_of(main_line_key(game), fractions)].append(game)
    return out


def count_in(keys: np.ndarray, reference: np.ndarray) -> int:
    """How many of ``keys`` are in ``reference`` (two arrays of main-line keys): the overlap of two game sets."""
    return int(np.isin(np.asarray(keys, dtype=np.uint64), np.asarray(reference, dtype=np.uint64)).sum())


# ------------------------------------------------------------------ which games to keep
def _in(year: int, span: YearRange) -> bool:
    lo, hi = span
    return (lo is None or year >= lo) and (hi is None or year <= hi)


@dataclass
class DataFilter:
    """Which games to keep; the defaults keep every game of ``size`` (None: every size) with a move.

    ``years`` keeps games dated in that range, ``exclude_years`` leaves out games dated in it; with either set an
    undated game is left out (``no date``), since it may belong to the range. ``sources`` keeps games whose
    source path contains one of the strings, ``exclude_sources`` leaves them out. ``min_rank``: both players
    at least this (9 = 9d, 10 = 1p) where their rank is recorded.
    """
    size: int | None = 19
    min_moves: int = 1
    min_rank: float | None = None
    allow_handicap: bool = True
    years: YearRange | None = None
    exclude_years: YearRange | None = None
    sources: tuple[str, ...] = ()
    exclude_sources: tuple[str, ...] = ()

    def reason_to_skip(self, game: Game) -> str | None:
        """None to keep ``game``, or why it is left out."""
        if len(game.moves) < self.min_moves:
            return f"fewer than {self.min_moves} moves"
        if not self.allow_handicap and (game.handicap > 1 or game.setup_black or game.setup_white):
            return "handicap or setup stones"
        if self.min_rank is not None:
            for rank in (parse_rank(game.info.black_rank), parse_rank(game.info.white_rank)):
                if rank is not None and rank < self.min_rank:
                    return "rank below minimum"
        if self.years is not None or self.exclude_years is not None:
            year = game.info.year
            if year is None:
                return "no date"
            if self.years is not None and not _in(year, self.years):
                return "outside date range"
            if self.exclude_years is not None and _in(year, self.exclude_years):
                return "in excluded date range"
        if self.sources and not any(s in game.source for s in self.sources):
            return "source not selected"
        if any(s in game.source for s in self.exclude_sources):
            return "source excluded"
        return None


# ------------------------------------------------------------------ reading
def _name_hash(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


def _game_reader(path: str, filt: DataFilter, accept: Accept | None, check_legal: bool, every: int) -> GameReader:
    def reason(game: Game) -> str | None:
        return filt.reason_to_skip(game) or (accept(game) if accept is not None else None)

    select = (lambda name: _name_hash(name) % every == 0) if every > 1 else None
    return GameReader(path, size=filt.size, check_legal=check_legal, accept=reason, select=select)


def _read_all(job: tuple) -> tuple[str, list[Game], ReadStats]:
    """One path read to the end in a worker process (comments dropped unless kept: they are large to send)."""
    path, keep_comments, *options = job
    reader = _game_reader(path, *options)
    games = list(reader)
    if not keep_comments:
        for game in games:
            game.comments = {}
    return path, games, reader.stats


class UniqueReader:
    """The games under ``paths`` that pass ``filt`` and ``accept``, each main line once, in reading order.

    Games are read by ``GameReader`` (``check_legal``: a game with an illegal move is skipped); ``accept`` is a
    task's own filter after ``filt`` (None to keep a game, else a reason). ``every > 1`` parses about one file in
    ``every``, chosen by a hash of its name, so a sample of a large archive costs little more than decompressing
    it. ``exclude`` holds main-line keys to leave out, counted as ``exclude_reason`` (the games of a training
    pack, say). ``limit`` stops after that many games. ``workers > 1`` reads that many paths at once in forked
    processes (``accept`` must then be a module-level function). Without ``keep_comments`` the games come without
    their comments, which take most of a record's memory. ``stats`` counts what was read and every skip by reason,
    ``duplicate main line`` included; ``sources`` has the same counts for each path.
    """

    def __init__(self, paths: str | Iterable[str], filt: DataFilter | None = None, *, accept: Accept | None = None,
                 check_legal: bool = True, every: int = 1, exclude: Iterable[int] = (),
                 exclude_reason: str = "in the excluded games", limit: int | None = None, workers: int = 1,
                 keep_comments: bool = True):
        if every < 1:
            raise ValueError("every must be at least 1")
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.filt = filt or DataFilter()
        self.accept, self.check_legal, self.every = accept, check_legal, every
        self.exclude = {int(k) for k in exclude}
        self.exclude_reason, self.limit = exclude_reason, limit
        self.workers, self.keep_comments = workers, keep_comments
        self.stats = ReadStats()
        self.sources: dict[str, dict] = {}

    def _readers(self) -> Iterator[tuple[str, Iterable[Game], ReadStats]]:
        options = (self.filt, self.accept, self.check_legal, self.every)
        if self.workers <= 1 or len(self.paths) <= 1:
            for path in self.paths:
                reader = _game_reader(path, *options)
                yield path, reader, reader.stats  # the stats fill in as the games are read
            return
        jobs = [(path, self.keep_comments, *options) for path in self.paths]
        with mp.get_context("fork").Pool(min(self.workers, len(jobs))) as pool:
            yield from pool.imap(_read_all, jobs)  # in order of the paths: the same copy of a game is kept

    def __iter__(self) -> Iterator[Game]:
        seen: set[int] = set()
        kept = 0
        for path, games, stats in self._readers():
            source_kept = 0
            dropped = {"duplicate main line": 0, self.exclude_reason: 0}
            done = False
            for game in games:
                key = main_line_key(game)
                if key in seen or key in self.exclude:
                    dropped["duplicate main line" if key in seen else self.exclude_reason] += 1
                    seen.add(key)
                    continue
                seen.add(key)
                if not self.keep_comments:
                    game.comments = {}
                source_kept += 1
                kept += 1
                yield game
                if self.limit is not None and kept >= self.limit:
                    done = True
                    break
            self._count(path, stats, source_kept, dropped)
            if done:
                return

    def _count(self, path: str, stats: ReadStats, kept: int, dropped: dict[str, int]) -> None:
        skipped = stats.skipped + Counter(dropped)
        total = self.stats
        total.files += stats.files
        total.games_read += stats.games_read
        total.games_kept += kept
        total.skipped.update(skipped)
        total.notes.update(stats.notes)
        total.errors.extend(stats.errors[:max(0, 200 - len(total.errors))])
        self.sources[path] = {"files": stats.files, "read": stats.games_read, "kept": kept,
                              "skipped": dict(skipped)}


def read_unique(paths: str | Iterable[str], filt: DataFilter | None = None, **options) -> tuple[list[Game],
                                                                                                   ReadStats]:
    """The games of ``UniqueReader(paths, filt, **options)`` as a list, with the counts of what was read and
    skipped."""
    reader = UniqueReader(paths, filt, **options)
    return list(reader), reader.stats
