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

from functools import lru_cache

import numpy as np

from .board import BLACK, Board, neighbor_table

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


@lru_cache(maxsize=None)
def _neighbor_index(size: int) -> np.ndarray:
    """``(n, 4)`` neighbour indices per point, ``n`` (an off-board sentinel column) where there is none."""
    n = size * size
    table = np.full((n, 4), n, dtype=np.intp)
    for p, nbrs in enumerate(neighbor_table(size)):
        table[p, :len(nbrs)] = nbrs
    return table


def game_features(game, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planes, move labels and movers for every position of a game (for evaluation and small data sets).

    Returns ``(planes[T, C, N, N] uint8, moves[T] int64, colors[T] int8)``: the planes are 0/1 bytes, a quarter
    of the memory of floats (``torch.from_numpy(planes).float()`` feeds them to a network). Raises ``ReplayError``.

    Equal, position by position, to ``board_features`` on the replayed board with the mover to play, but computed
    for the whole game at once: the replay records only stones, liberty counts and the ko point, and numpy builds
    every plane over all positions together.
    """
    from .game import Game, ReplayError
    from .board import IllegalMove
    game: Game
    moves = game.moves[:limit] if limit else game.moves
    size = game.size
    n = size * size
    count = len(moves)
    planes = np.zeros((count, NUM_PLANES, size, size), dtype=np.uint8)
    labels = np.fromiter((p for _, p in moves), dtype=np.int64, count=count)
    colors = np.fromiter((c for c, _ in moves), dtype=np.int8, count=count)
    if not count:
        return planes, labels, colors
    board = game.new_board()
    snaps: list[bytes] = []
    lib_snaps: list[bytes] = []
    kos: list[tuple[int, int]] = []
    # liberty counts capped at 4, kept up to date by rewriting only the groups each move touches: the group of
    # the new stone, the groups next to it, and the groups next to the stones it captured
    libs = bytearray(min(c, 4) for c in board.liberty_counts())
    group, nbrs = board._group, neighbor_table(size)
    for i, (color, point) in enumerate(moves):
        snaps.append(bytes(board.stones))
        lib_snaps.append(bytes(libs))
        if board.ko is not None and board.ko_color == color:
            kos.append((i, board.ko))
        try:
            captured = board.play(point, color)
        except IllegalMove as exc:
            raise ReplayError(game, i, exc) from exc
        if point == n:
            continue
        group = board._group
        touched = {group[point]}
        for q in nbrs[point]:
            touched.add(group[q])
        for s in captured:
            libs[s] = 0
            for q in nbrs[s]:
                touched.add(group[q])
        touched.discard(None)
        for g in touched:
            k = len(g.libs)
            if k > 4:
                k = 4
            for s in g.stones:
                libs[s] = k

    flat = planes.reshape(count, NUM_PLANES, n)
    stones = np.frombuffer(b"".join(snaps), dtype=np.uint8).reshape(count, n)
    me = colors.astype(np.uint8)[:, None]
    opp = 3 - me
    # history: position i - k for k = 0..7, zeros before the start (as Board.history pads)
    padded = np.concatenate([np.zeros((HISTORY - 1, n), dtype=np.uint8), stones])
    back = np.arange(count)[:, None] + (HISTORY - 1) - np.arange(HISTORY)[None, :]
    history = padded[back]  # (T, 8, n)
    flat[:, 0:HISTORY] = history == me[:, :, None]
    flat[:, HISTORY:2 * HISTORY] = history == opp[:, :, None]
    flat[:, 16] = (colors == BLACK)[:, None]
    counts = np.frombuffer(b"".join(lib_snaps), dtype=np.uint8).reshape(count, n)
    mine, theirs = stones == me, stones == opp
    for k in range(4):
        band = counts == k + 1
        flat[:, 17 + k] = band & mine
        flat[:, 21 + k] = band & theirs
    # plane 25: empty points with no empty neighbour where the mover would commit suicide, and the ko point
    nbr = _neighbor_index(size)
    edge = np.full((count, 1), 3, dtype=np.uint8)  # off-board: neither empty nor a colour
    around = np.concatenate([stones, edge], axis=1)[:, nbr]  # (T, n, 4)
    boxed = (stones == 0) & (around != 0).all(axis=2)
    t_idx, p_idx = np.nonzero(boxed)
    if len(t_idx):
        near = around[t_idx, p_idx]  # (K, 4)
        near_libs = np.concatenate([counts, np.zeros((count, 1), dtype=np.uint8)], axis=1)[t_idx[:, None],
                                                                                          nbr[p_idx]]
        mover = me[t_idx]
        alive = ((near == mover) & (near_libs > 1)).any(axis=1)
        captures = ((near == 3 - mover) & (near_libs == 1)).any(axis=1)
        suicide = ~alive & ~captures
        flat[t_idx[suicide], 25, p_idx[suicide]] = 1
    for i, ko in kos:
        flat[i, 25, ko] = 1
    flat[:, 26] = 1
    return planes, labels, colors
