"""Which moves are blunders, doubtful moves or better than the engine's choice, and which lost the most.

Thresholds are in winrate lost by the mover (fractions here, percentage points on the command line):
``BM`` when a move loses at least ``blunder``, ``DO`` when it loses at least ``doubtful``, ``TE`` when it differs
from the engine's preferred move and leaves the mover at least ``tesuji`` better off than the engine expected of
its own choice.
"""
from __future__ import annotations

from dataclasses import dataclass

from .analysis import MoveReview

MISTAKES_SHOWN = 5  # biggest losses labelled on the graph, drawn on the page and listed in the summary


@dataclass(frozen=True)
class Thresholds:
    blunder: float = 0.10
    doubtful: float = 0.05
    tesuji: float = 0.10

    def __post_init__(self) -> None:
        if not 0 < self.doubtful <= self.blunder <= 1:
            raise ValueError("thresholds must satisfy 0 < doubtful <= blunder <= 100 percentage points")
        if not 0 < self.tesuji <= 1:
            raise ValueError("the tesuji threshold must be above 0 and at most 100 percentage points")


def mark(move: MoveReview, thresholds: Thresholds) -> str | None:
    """The SGF move mark of ``move``: ``BM``, ``DO``, ``TE`` or None."""
    if move.loss >= thresholds.blunder:
        return "BM"
    if move.loss >= thresholds.doubtful:
        return "DO"
    if move.best is not None and move.best != move.point and -move.loss >= thresholds.tesuji:
        return "TE"
    return None


def biggest_losses(moves: list[MoveReview], count: int = MISTAKES_SHOWN) -> list[MoveReview]:
    """The ``count`` moves that lost the most winrate (only moves that lost some), biggest first."""
    losing = [m for m in moves if m.loss > 0]
    return sorted(losing, key=lambda m: (-m.loss, m.number))[:count]
