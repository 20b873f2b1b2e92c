"""Games for the tasks, through the project's one data layer (``goengine.dataset``), and batches of examples.

Every task reads its games with ``read_split``: filtered, de-duplicated by main line and split by game, 80% for
training, 10% for validation (choices: epochs, thresholds) and 10% for the test figures, by the stable hash of the
main line (``goengine.dataset.split_of``). A game and any copy of it filed under a second tournament land in the
same part whatever the order of reading.
"""
from __future__ import annotations

import random
from typing import Iterable, Iterator

from goengine.archive import ReadStats
from goengine.dataset import DataFilter, read_unique, split_games
from goengine.game import Game

FRACTIONS = (0.8, 0.1, 0.1)  # train, val, test


def read_split(paths: str | Iterable[str], filt: DataFilter | None = None,
               **options) -> tuple[dict[str, list[Game]], ReadStats]:
    """The games under ``paths`` by split ('train', 'val', 'test'), and the counts of what was read and skipped.
    ``options`` go to ``goengine.dataset.UniqueReader`` (``accept``, ``check_legal``, ``every``, ``limit``)."""
    games, stats = read_unique(paths, filt, **options)
    return split_games(games, FRACTIONS), stats


def iter_batches(items: list, batch_size: int, seed: int | None = None) -> Iterator[list]:
    """Batches of ``items``, shuffled with ``seed`` (in order when ``seed`` is None)."""
    order = list(range(len(items)))
    if seed is not None:
        random.Random(seed).shuffle(order)
    for i in range(0, len(order), batch_size):
        yield [items[j] for j in order[i:i + batch_size]]
