"""Stream games from SGF files, collection files, directory trees and .tar.xz / .tar.gz / .zip archives.

Nothing is unpacked to disk. ``GameReader`` counts what it read and what it skipped, and why; a broken or
truncated file becomes an error entry naming the file, never an exception in the caller.
"""
from __future__ import annotations

import os
import tarfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .board import IllegalMove
from .game import Game, replay
from .sgf import MAX_FILE_BYTES, SgfError, parse_sgf, read_file

SGF_SUFFIXES = (".sgf", ".sgfs")
ARCHIVE_SUFFIXES = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tar", ".zip")


def _is_sgf(name: str) -> bool:
    return name.lower().endswith(SGF_SUFFIXES)


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _too_large(size: int) -> SgfError:
    """An archive member over ``MAX_FILE_BYTES``: skipped unread, so that a small archive holding a huge file cannot
    take the memory (``read_file`` holds single files to the same limit)."""
    return SgfError(f"{size:,} bytes, over the limit of {MAX_FILE_BYTES:,}", "file too large")


def iter_sgf_files(path: str) -> Iterator[tuple[str, bytes | Exception]]:
    """Yield (name, bytes) for every SGF file under ``path``; (name, exception) for one that can't be read or is
    over ``MAX_FILE_BYTES``."""
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                if _is_sgf(name) or _is_archive(name):
                    yield from iter_sgf_files(full)
        return
    if _is_archive(path):
        yield from _iter_archive(path)
        return
    try:
        data: bytes | Exception = read_file(path, MAX_FILE_BYTES)
    except SgfError as exc:  # unreadable, not a regular file, or too large
        data = exc
    yield path, data


def _iter_archive(path: str) -> Iterator[tuple[str, bytes | Exception]]:
    try:
        if path.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir() and _is_sgf(info.filename):
                        name = f"{path}:{info.filename}"
                        if info.file_size > MAX_FILE_BYTES:
                            yield name, _too_large(info.file_size)
                        else:
                            yield name, zf.read(info)
            return
        with tarfile.open(path, "r|*") as tf:  # streaming: one pass, nothing on disk
            for member in tf:
                if member.isfile() and _is_sgf(member.name):
                    name = f"{path}:{member.name}"
                    if member.size > MAX_FILE_BYTES:
                        yield name, _too_large(member.size)
                    else:
                        yield name, tf.extractfile(member).read()
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as exc:
        yield path, exc


@dataclass
class ReadStats:
    files: int = 0
    games_read: int = 0  # games parsed from the files
    games_kept: int = 0  # games handed to the caller
    skipped: Counter = field(default_factory=Counter)  # reason -> games
    notes: Counter = field(default_factory=Counter)  # repairs made -> games
    errors: list[str] = field(default_factory=list)  # first errors, naming files (capped)

    def error(self, message: str, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.errors) < 200:
            self.errors.append(message)

    def summary(self) -> str:
        lines = [f"files {self.files}, games read {self.games_read}, kept {self.games_kept}, "
                 f"skipped {sum(self.skipped.values())}"]
        for reason, count in self.skipped.most_common():
            lines.append(f"  skipped {count:>7}  {reason}")
        for note, count in self.notes.most_common():
            lines.append(f"  repaired {count:>6}  {note}")
        return "\n".join(lines)


def _note_key(note: str) -> str:
    """Group notes like 'komi 650 read as 6.5' and 'setup stones in node 2' by their first words."""
    for prefix in ("komi", "setup stones in node", "pass written", "no komi", "no result",
                   "handicap stones missing", "handicap stones"):
        if note.startswith(prefix):
            return note if prefix == "setup stones in node" else prefix
    return note


class GameReader:
    """Iterate over the games under one or more paths, counting reads and skips in ``stats``.

    ``size``: keep only games of this board size (None keeps all). ``check_legal``: replay each game and skip it
    (reason ``illegal move``) at the first illegal move, or with ``on_illegal='truncate'`` keep the moves before it.
    ``accept``: an extra filter, returning None to keep a game or a reason string to skip it. ``select``: parse
    only the files whose name it accepts (a sample of a large archive; the others are not counted).
    """

    def __init__(self, paths: str | Iterable[str], *, size: int | None = 19, check_legal: bool = False,
                 on_illegal: str = "skip", accept: Callable[[Game], str | None] | None = None,
                 select: Callable[[str], bool] | None = None):
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.size = size
        self.check_legal = check_legal
        if on_illegal not in ("skip", "truncate"):
            raise ValueError("on_illegal must be 'skip' or 'truncate'")
        self.on_illegal = on_illegal
        self.accept = accept
        self.select = select
        self.stats = ReadStats()
        self.illegal: list[str] = []  # "source: move N: reason" for games with an illegal move (capped)

    def __iter__(self) -> Iterator[Game]:
        for path in self.paths:
            if not os.path.exists(path):
                self.stats.error(f"{path}: no such file or directory", "unreadable file")
                continue
            for name, data in iter_sgf_files(path):
                if self.select is not None and not self.select(name):
                    continue
                self.stats.files += 1
                if isinstance(data, Exception):
                    self.stats.error(f"{name}: cannot read: {data}", getattr(data, "reason", "unreadable file"))
                    continue
                games, errors = parse_sgf(data, name)
                for message in errors:
                    self.stats.games_read += 1
                    self.stats.error(message, getattr(message, "reason", "unparsable game"))
                for game in games:
                    self.stats.games_read += 1
                    kept = self._filter(game)
                    if kept is not None:
                        self.stats.games_kept += 1
                        yield kept

    def _filter(self, game: Game) -> Game | None:
        stats = self.stats
        if self.size is not None and game.size != self.size:
            stats.skipped[f"board size {game.size}"] += 1
            return None
        if not game.moves:
            stats.skipped["no moves"] += 1
            return None
        if self.accept is not None:
            reason = self.accept(game)
            if reason:
                stats.skipped[reason] += 1
                return None
        if self.check_legal:
            try:
                replay(game)
            except ValueError as exc:
                index = getattr(exc, "move_index", None)
                if len(self.illegal) < 1000:
                    self.illegal.append(str(exc))
                if self.on_illegal == "skip" or index is None or not isinstance(exc.__cause__, IllegalMove):
                    stats.skipped["illegal move"] += 1
                    return None
                game.moves = game.moves[:index]
                game.notes.append(f"truncated at illegal move {index + 1}")
        for note in game.notes:
            stats.notes[_note_key(note)] += 1
        return game


def read_games(paths: str | Iterable[str], **options) -> Iterator[Game]:
    """Shorthand for ``iter(GameReader(paths, **options))`` when the counts are not needed."""
    return iter(GameReader(paths, **options))
