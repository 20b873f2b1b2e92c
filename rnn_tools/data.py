"""Games for the tasks: read through ``goengine.archive.GameReader``, de-duplicated, sampled and split by game.

The split is a stable hash of the main line, so a game (and any copy of it filed under a second tournament)
always lands in the same part whatever the order of reading.
"""
from __future__ import annotations

import hashlib
import os
from typing import Callable, Iterable, Iterator

from goengine.archive import ReadStats, iter_sgf_files
from goengine.game import Game, replay
from goengine.sgf import parse_sgf

SPLITS = ("train", "valid", "test")


def game_hash(game: Game) -> int:
    """A stable 64-bit hash of board size, setup and moves."""
    text = f"{game.size}|{sorted(game.setup_black)}|{sorted(game.setup_white)}|{game.moves}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def split_of(game: Game, valid: float = 0.1, test: float = 0.1) -> str:
    """'train', 'valid' or 'test' for ``game``, fixed by its hash (held out by game)."""
    u = (game_hash(game) >> 8) % 10_000 / 10_000
    return "test" if u < test else "valid" if u < test + valid else "train"


def read_unique(paths: str | Iterable[str], *, every: int = 1, limit: int | None = None,
                accept: Callable[[Game], str | None] | None = None, size: int | None = 19,
                check_legal: bool = True) -> tuple[list[Game], ReadStats]:
    """Read games, dropping repeats of a main line; return (games, counts of what was read and skipped).

    With ``every > 1`` about one *file* in ``every`` is parsed, chosen by a hash of its name, so a sample of a
    large archive costs little more than decompressing it. Games are checked as ``GameReader`` does (board size,
    no moves, ``accept``, legality).
    """
    stats = ReadStats()
    seen: set[int] = set()
    games: list[Game] = []
    for path in [paths] if isinstance(paths, str) else list(paths):
        if not os.path.exists(path):
            stats.error(f"{path}: no such file or directory", "unreadable file")
            continue
        for name, data in iter_sgf_files(path):
            if isinstance(data, Exception):
                stats.error(f"{name}: cannot read: {data}", getattr(data, "reason", "unreadable file"))
                continue
            if every > 1 and _name_hash(name) % every:
                continue
            stats.files += 1
            parsed, errors = parse_sgf(data, name)
            for message in errors:
                stats.games_read += 1
                stats.error(message, getattr(message, "reason", "unparsable game"))
            for game in parsed:
                stats.games_read += 1
                reason = _reason_to_skip(game, size, accept, check_legal)
                key = game_hash(game)
                if reason is None and key in seen:
                    reason = "duplicate main line"
                if reason:
                    stats.skipped[reason] += 1
                    continue
                seen.add(key)
                stats.games_kept += 1
                games.append(game)
                if limit is not None and len(games) >= limit:
                    return games, stats
    return games, stats


def _name_hash(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


def _reason_to_skip(game: Game, size: int | None, accept, check_legal: bool) -> str | None:
    if size is not None and game.size != size:
        return f"board size {game.size}"
    if not game.moves:
        return "no moves"
    reason = accept(game) if accept is not None else None
    if reason:
        return reason
    if check_legal:
        try:
            replay(game)
        except ValueError:
            return "illegal move"
    return None


def by_split(games: Iterable[Game]) -> dict[str, list[Game]]:
    out: dict[str, list[Game]] = {s: [] for s in SPLITS}
    for game in games:
        out[split_of(game)].append(game)
    return out


def iter_batches(items: list, batch_size: int, seed: int | None = None) -> Iterator[list]:
    """Batches of ``items``, shuffled with ``seed`` (in order when ``seed`` is None)."""
    import random
    order = list(range(len(items)))
    if seed is not None:
        random.Random(seed).shuffle(order)
    for i in range(0, len(order), batch_size):
        yield [items[j] for j in order[i:i + batch_size]]
