"""The 8 symmetries of the square (dihedral group D4), applied consistently to planes and move labels.

Symmetry ``k`` in 0..7: rotate by ``k % 4`` quarter turns, then transpose when ``k >= 4``. Moves are flat
points (pass, ``size*size``, maps to itself). ``INVERSE[k]`` undoes ``k``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

NUM_SYMMETRIES = 8
INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)


def transform_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to the last two axes of ``planes`` (works on numpy arrays of any leading shape)."""
    out = np.rot90(planes, k % 4, axes=(-2, -1))
    if k >= 4:
        out = np.swapaxes(out, -2, -1)
    return out


@lru_cache(maxsize=None)
def move_permutation(size: int, k: int) -> np.ndarray:
    """``perm[p]`` is where point ``p`` goes under symmetry ``k``; length ``size*size + 1`` (pass fixed)."""
    index = np.arange(size * size).reshape(size, size)
    moved = transform_planes(index, k)
    perm = np.empty(size * size + 1, dtype=np.int64)
    perm[moved.reshape(-1)] = np.arange(size * size)
    perm[size * size] = size * size
    perm.setflags(write=False)
    return perm


def transform_move(point: int, size: int, k: int) -> int:
    return int(move_permutation(size, k)[point])


def transform_policy(policy: np.ndarray, size: int, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to a vector over ``size*size + 1`` moves (last axis)."""
    perm = move_permutation(size, k)
    out = np.empty_like(policy)
    out[..., perm] = policy
    return out
