"""Scoring: area (Tromp-Taylor) and territory (Japanese), with komi and caller-supplied dead stones.

The score is a margin from Black's view: positive means Black wins, negative White, zero a draw (jigo).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .board import BLACK, EMPTY, WHITE, Board, neighbor_table

MAX_KOMI = 1000.0


def check_komi(komi: float) -> float:
    """Return ``komi`` if it is a finite number of points from -``MAX_KOMI`` to ``MAX_KOMI``, else ``ValueError``."""
    if not isinstance(komi, (int, float)) or not math.isfinite(komi) or abs(komi) > MAX_KOMI:
        raise ValueError(f"komi must be a finite number from {-MAX_KOMI:g} to {MAX_KOMI:g}, got {komi!r}")
    return float(komi)


@dataclass(frozen=True)
class Score:
    black: float  # Black's points (stones + territory for area; territory + prisoners for territory)
    white: float  # White's points, komi included
    owner: tuple[int, ...]  # per point: BLACK, WHITE or EMPTY (neutral / dame)

    @property
    def margin(self) -> float:
        return self.black - self.white

    @property
    def result(self) -> str:
        return result_string(self.margin)


def result_string(margin: float) -> str:
    """``B+3.5``, ``W+0.5`` or ``0`` for a draw (a tie is never a win for White)."""
    if margin == 0:
        return "0"
    return f"{'B' if margin > 0 else 'W'}+{abs(margin):g}"


def _regions(stones, size: int):
    """Yield (points, colours_reached) for every connected empty region."""
    nbrs = neighbor_table(size)
    seen = bytearray(size * size)
    for p in range(size * size):
        if stones[p] != EMPTY or seen[p]:
            continue
        region, reach, frontier = [p], set(), [p]
        seen[p] = 1
        while frontier:
            s = frontier.pop()
            for q in nbrs[s]:
                c = stones[q]
                if c == EMPTY:
                    if not seen[q]:
                        seen[q] = 1
                        region.append(q)
                        frontier.append(q)
                else:
                    reach.add(c)
        yield region, reach


def _without_dead(board: Board, dead) -> tuple[bytearray, list[int]]:
    stones = bytearray(board.stones)
    removed = [0, 0, 0]
    for p in dead or ():
        c = stones[p]
        if c:
            removed[c] += 1
            stones[p] = EMPTY
    return stones, removed


def area_score(board: Board, komi: float = 7.5, dead=()) -> Score:
    """Tromp-Taylor area score: stones plus empty regions reaching only one colour, minus komi for White."""
    stones, _ = _without_dead(board, dead)
    owner = list(stones)
    for region, reach in _regions(stones, board.size):
        if len(reach) == 1:
            (c,) = reach
            for p in region:
                owner[p] = c
    black = sum(1 for c in owner if c == BLACK)
    white = sum(1 for c in owner if c == WHITE)
    return Score(float(black), float(white + komi), tuple(owner))


def territory_score(board: Board, komi: float = 6.5, dead=()) -> Score:
    """Japanese-style score: empty points surrounded by one colour plus prisoners (captures and dead stones).

    Simplification: points inside a seki count as territory when they touch only one colour.
    """
    stones, removed = _without_dead(board, dead)
    owner = [EMPTY] * len(stones)
    territory = [0, 0, 0]
    for region, reach in _regions(stones, board.size):
        if len(reach) == 1:
            (c,) = reach
            territory[c] += len(region)
            for p in region:
                owner[p] = c
    for p, c in enumerate(stones):
        if c:
            owner[p] = c
    black = territory[BLACK] + board.captures[BLACK] + removed[WHITE]
    white = territory[WHITE] + board.captures[WHITE] + removed[BLACK] + komi
    return Score(float(black), float(white), tuple(owner))


def score(board: Board, komi: float, rules: str = "area", dead=()) -> Score:
    """Score under ``rules``: ``area`` (Chinese / Tromp-Taylor) or ``territory`` (Japanese)."""
    if rules in ("area", "chinese", "tromp-taylor", "aga", "nz"):
        return area_score(board, komi, dead)
    if rules in ("territory", "japanese", "korean"):
        return territory_score(board, komi, dead)
    raise ValueError(f"unknown rules {rules!r}: use 'area' or 'territory'")
