"""Ownership labels: who owns each point at the end of a game that was counted, for an auxiliary training target.

KataGo trains a head to predict the final owner of every point beside the winner: a game then teaches the network
hundreds of facts instead of one. Human records do not store the final ownership, so it is estimated here from the
last position (``deadstones.estimate``: Benson's algorithm plus random playouts) and kept only where it agrees
with the recorded result: the area score with the estimated dead stones removed must lie within ``tolerance``
points of the ``RE`` margin. Area and territory counting differ by at most about a point on a finished game, so a larger
gap means the estimate misread a group or the game stopped before its boundaries were closed.

``OwnershipLabels`` is the file format: the main-line keys of the labelled games and one map per game (+1 Black,
-1 White, 0 neutral), beside the pack whose games they label.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .board import BLACK, WHITE
from .deadstones import estimate
from .game import Game
from .scoring import area_score

TOLERANCE = 1.0  # points between the estimated area score and the recorded margin
PLAYOUTS = 32


def rejection(game: Game) -> str | None:
    """Why ``game`` cannot be labelled before any reading (None when it can): it must have been counted."""
    result = game.info.result
    if result.reason != "score" or result.winner is None or result.margin is None:
        return "not counted"
    if game.komi is None:
        return "no komi"
    return None


def final_ownership(game: Game, tolerance: float = TOLERANCE, playouts: int = PLAYOUTS,
                    seed: int = 0) -> tuple[np.ndarray | None, str | None]:
    """(ownership map, None) for a counted game whose estimate agrees with its result, else (None, reason).

    The map is int8 per point, +1 Black, -1 White, 0 neutral (dame or seki), read from the area score of the last
    position with the estimated dead stones removed."""
    reason = rejection(game)
    if reason:
        return None, reason
    board = game.new_board()
    try:
        for color, point in game.moves:
            board.play(point, color)
    except ValueError:
        return None, "illegal move"
    dead = estimate(board, playouts=playouts, seed=seed).dead
    counted = area_score(board, game.komi, dead=dead)
    result = game.info.result
    recorded = result.margin if result.winner == BLACK else -result.margin
    if abs(counted.margin - recorded) > tolerance:
        return None, "estimate disagrees with the result"
    owner = np.asarray(counted.owner, dtype=np.int8)
    return ((owner == BLACK).astype(np.int8) - (owner == WHITE).astype(np.int8)), None


@dataclass
class OwnershipLabels:
    """Ownership maps of games, found by main-line key (``goengine.dataset.main_line_key``)."""
    size: int
    keys: np.ndarray  # uint64 [K]
    maps: np.ndarray  # int8 [K, size * size]
    summary: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def rows_for(self, keys: np.ndarray) -> np.ndarray:
        """For each key of ``keys`` (a pack's games), the row of its map, or -1 where there is none."""
        index = {int(k): i for i, k in enumerate(self.keys.tolist())}
        return np.array([index.get(int(k), -1) for k in keys.tolist()], dtype=np.int64)

    def save(self, path: str | Path) -> None:
        arrays = {"size": np.int64(self.size), "keys": self.keys.astype(np.uint64), "maps": self.maps.astype(np.int8),
                  "summary": np.frombuffer(json.dumps(self.summary).encode(), dtype=np.uint8)}
        atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))

    @classmethod
    def load(cls, path: str | Path) -> "OwnershipLabels":
        try:
            with np.load(path) as z:
                labels = cls(int(z["size"]), z["keys"].astype(np.uint64), z["maps"].astype(np.int8),
                             json.loads(bytes(z["summary"]).decode()))
        except FileNotFoundError:
            raise
        except (ValueError, KeyError, OSError, EOFError) as exc:
            raise ValueError(f"{path} is not a readable ownership file: {exc}") from exc
        n = labels.size * labels.size
        if labels.maps.shape != (len(labels.keys), n) or labels.maps.size and np.abs(labels.maps).max() > 1:
            raise ValueError(f"{path} is not a valid ownership file: maps of shape {labels.maps.shape} for "
                             f"{len(labels.keys)} games of {labels.size}x{labels.size}")
        return labels
