"""Input planes for the policy network, computed with numpy from the board's incremental state.

Plane set ``FEATURE_SET`` (version ``FEATURE_VERSION``), all from the view of the side to move, ``(27, N, N)``:

====== =====================================================================
0-7    the mover's stones now, 1, 2 ... 7 positions ago (zeros before the start)
8-15   the opponent's stones at the same eight times
16     side to move is Black (all ones) or White (all zeros)
17-20  the mover's stones whose group has 1, 2, 3, 4+ liberties
21-24  the opponent's stones whose group has 1, 2, 3, 4+ liberties
25     empty points where the mover may not play (the ko point, suicide, superko)
26     all ones (lets the zero-padded convolutions see the edge)
====== =====================================================================

A model file stores the plane-set name and version; ``check_feature_set`` refuses a mismatch.
"""
from __future__ import annotations

import numpy as np

from .board import BLACK, Board

FEATURE_SET = "go-27"
FEATURE_VERSION = 1
HISTORY = 8
NUM_PLANES = 27
_LIB_COUNTS = np.arange(1, 5, dtype=np.int8)[:, None]


def check_feature_set(name: str, version: int) -> None:
    """Raise ``ValueError`` unless (name, version) is the plane set this library computes."""
    if (name, int(version)) != (FEATURE_SET, FEATURE_VERSION):
        raise ValueError(f"model was trained on feature set {name!r} v{version}, but this library computes "
                         f"{FEATURE_SET!r} v{FEATURE_VERSION}")


def illegal_points(board: Board, color: int) -> list[int]:
    """Empty points where ``color`` may not play. Only points with no empty neighbour can be illegal."""
    size = board.size
    empty = np.frombuffer(bytes(board.stones), dtype=np.uint8).reshape(size, size) == 0
    padded = np.zeros((size + 2, size + 2), dtype=bool)
    padded[1:-1, 1:-1] = empty
    boxed = empty & ~(padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:])
    reason = board.illegal_reason
    return [p for p in np.flatnonzero(boxed).tolist() if reason(p, color) is not None]


def board_features(board: Board, out: np.ndarray | None = None) -> np.ndarray:
    """The ``(NUM_PLANES, size, size)`` float32 planes for ``board`` from the side to move's view."""
    size, n = board.size, board.n
    if out is None:
        out = np.zeros((NUM_PLANES, size, size), dtype=np.float32)
    else:
        out.fill(0.0)
    flat = out.reshape(NUM_PLANES, n)
    me = board.to_move
    opp = 3 - me
    history = board.history(HISTORY)
    stacked = np.frombuffer(b"".join(history), dtype=np.uint8).reshape(len(history), n)
    depth = len(history)
    flat[0:depth] = stacked == me
    flat[8:8 + depth] = stacked == opp
    if me == BLACK:
        flat[16] = 1.0
    libs = np.minimum(np.asarray(board.liberty_counts(), dtype=np.int8), 4)
    now = stacked[0]
    by_count = libs[None, :] == _LIB_COUNTS
    flat[17:21] = by_count & (now == me)
    flat[21:25] = by_count & (now == opp)
    bad = illegal_points(board, me)
    if bad:
        flat[25, bad] = 1.0
    flat[26] = 1.0
    return out


def game_features(game, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planes, move labels and movers for every position of a game (for evaluation and small data sets).

    Returns ``(planes[T, C, N, N] float32, moves[T] int64, colors[T] int8)``. Raises ``ReplayError``.
    """
    from .game import positions
    moves = game.moves[:limit] if limit else game.moves
    size = game.size
    planes = np.zeros((len(moves), NUM_PLANES, size, size), dtype=np.float32)
    labels = np.zeros(len(moves), dtype=np.int64)
    colors = np.zeros(len(moves), dtype=np.int8)
    for i, (board, color, point) in enumerate(positions(game)):
        if i >= len(moves):
            break
        board.to_move = color
        board_features(board, planes[i])
        labels[i], colors[i] = point, color
    return planes, labels, colors
