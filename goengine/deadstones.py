"""Which stones are dead at the end of a game: Benson's unconditional life plus random playouts.

``estimate(board)`` returns an ``Estimate``: per-point ownership in [-1, 1] (Black positive), the dead stones and the
stones in seki. Groups that Benson's algorithm proves alive, and opponent stones inside their vital regions, are
decided exactly; every other point is judged by the average result of light random playouts (no filling of own
eye-like points, no self-atari of groups of two or more stones). Pure Python, no network.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from .board import BLACK, EMPTY, WHITE, Board, neighbor_table
from .scoring import Score, score


@dataclass(frozen=True)
class Estimate:
    ownership: np.ndarray  # float per point, +1 Black's, -1 White's
    dead: tuple[int, ...]  # stones judged dead
    seki: tuple[int, ...]  # stones judged alive in seki

    def owner(self, point: int, threshold: float = 0.5) -> int:
        """BLACK, WHITE or EMPTY (undecided) for ``point``."""
        v = self.ownership[point]
        return BLACK if v >= threshold else WHITE if v <= -threshold else EMPTY


def benson_alive(board: Board, color: int) -> tuple[set[int], set[int]]:
    """Benson's algorithm for ``color``: (stones of unconditionally alive groups, points of their vital regions)."""
    size, n = board.size, board.n
    nbrs, stones = neighbor_table(size), board.stones
    region_of = [-1] * n
    regions: list[list[int]] = []
    for p in range(n):
        if stones[p] != color and region_of[p] < 0:
            rid, todo, pts = len(regions), [p], [p]
            region_of[p] = rid
            while todo:
                s = todo.pop()
                for q in nbrs[s]:
                    if stones[q] != color and region_of[q] < 0:
                        region_of[q] = rid
                        todo.append(q)
                        pts.append(q)
            regions.append(pts)
    blocks = [(g_stones, libs) for c, g_stones, libs in board.groups() if c == color]
    block_of = {}
    for b, (g_stones, _) in enumerate(blocks):
        for s in g_stones:
            block_of[s] = b
    borders = [set() for _ in regions]  # blocks next to each region
    for rid, pts in enumerate(regions):
        for s in pts:
            for q in nbrs[s]:
                if stones[q] == color:
                    borders[rid].add(block_of[q])
    vital = [set() for _ in blocks]  # regions whose every empty point is a liberty of the block
    for rid, pts in enumerate(regions):
        empties = [s for s in pts if stones[s] == EMPTY]
        for b in borders[rid]:
            if all(s in blocks[b][1] for s in empties):
                vital[b].add(rid)
    alive, live_regions = set(range(len(blocks))), set(range(len(regions)))
    changed = True
    while changed:
        changed = False
        for b in list(alive):
            if len(vital[b] & live_regions) < 2:
                alive.discard(b)
                changed = True
        for rid in list(live_regions):
            if not borders[rid] <= alive:
                live_regions.discard(rid)
                changed = True
    alive_stones = {s for b in alive for s in blocks[b][0]}
    safe = {s for b in alive for rid in vital[b] & live_regions for s in regions[rid]}
    return alive_stones, safe


def self_atari(board: Board, point: int, color: int) -> bool:
    """True if ``color`` at ``point`` leaves a group of two or more stones in atari without capturing."""
    stones = board.stones
    libs: set[int] = set()
    friends = 0
    for q in neighbor_table(board.size)[point]:
        s = stones[q]
        if s == EMPTY:
            libs.add(q)
        elif s == color:
            libs |= board.group_liberties(q)
            friends += 1
        elif board.liberties(q) == 1:
            return False
    libs.discard(point)
    return friends > 0 and len(libs) <= 1


def playout(board: Board, rng: random.Random, max_moves: int | None = None) -> list[int]:
    """Play random moves on a copy of ``board`` to the end; return each point's final owner (area rules)."""
    b = board.copy()
    b.superko = False
    empties = [p for p in range(b.n) if not b.stones[p]]
    passes = 0
    limit = max_moves if max_moves is not None else 3 * b.n
    for _ in range(limit):
        color = b.to_move
        count = len(empties)
        start = rng.randrange(count) if count else 0
        chosen = -1
        for k in range(count):
            i = (start + k) % count
            p = empties[i]
            if (b.is_eyeish(p, color) or b.illegal_reason(p, color) is not None
                    or self_atari(b, p, color)):
                continue
            chosen = i
            break
        if chosen < 0:
            b.play(b.n, color)
            passes += 1
            if passes >= 2:
                break
            continue
        passes = 0
        p = empties[chosen]
        empties[chosen] = empties[-1]
        empties.pop()
        empties.extend(b.play(p, color))
    return list(score(b, 0.0).owner)


def estimate(board: Board, playouts: int = 64, seed: int | None = 0) -> Estimate:
    """Ownership, dead stones and seki for ``board`` (meant for finished or nearly finished games)."""
    n = board.n
    rng = random.Random(seed)
    fixed = np.zeros(n, dtype=np.float64)
    decided = np.zeros(n, dtype=bool)
    for color, sign in ((BLACK, 1.0), (WHITE, -1.0)):
        alive, safe = benson_alive(board, color)
        for s in alive | safe:
            fixed[s], decided[s] = sign, True
    total = np.zeros(n, dtype=np.float64)
    runs = playouts if not decided.all() else 0
    for _ in range(runs):
        owner = np.asarray(playout(board, rng), dtype=np.int8)
        total += (owner == BLACK).astype(np.float64) - (owner == WHITE)
    ownership = np.where(decided, fixed, total / runs if runs else 0.0)
    dead, seki = [], []
    for _, g_stones, libs in board.groups():
        color = board.stones[g_stones[0]]
        sign = 1.0 if color == BLACK else -1.0
        mean = sign * float(ownership[g_stones].mean())
        if mean < 0:
            dead.extend(g_stones)
        elif mean < 0.5 and any(abs(ownership[q]) < 0.5 for q in libs):
            seki.extend(g_stones)
    return Estimate(ownership.astype(np.float32), tuple(sorted(dead)), tuple(sorted(seki)))


def final_score(board: Board, komi: float, rules: str = "area", playouts: int = 64, seed: int | None = 0) -> Score:
    """The score of a finished game with the estimated dead stones removed."""
    return score(board, komi, rules, dead=estimate(board, playouts, seed).dead)
