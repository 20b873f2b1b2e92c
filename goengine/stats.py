"""Confidence intervals for figures measured on games: bootstrap by game, and Wilson for match results.

Positions of one game are not independent, so an accuracy over positions is resampled by whole games.
"""
from __future__ import annotations

import math

import numpy as np


def bootstrap_by_game(hits: np.ndarray, counts: np.ndarray, resamples: int = 2000, seed: int = 0,
                      level: float = 0.95) -> tuple[float, float]:
    """Interval for ``sum(hits) / sum(counts)`` with games (one entry of each array) drawn with replacement."""
    hits, counts = np.asarray(hits, dtype=np.float64), np.asarray(counts, dtype=np.float64)
    if hits.shape != counts.shape or hits.ndim != 1:
        raise ValueError("hits and counts must be 1-D arrays of one entry per game")
    if not len(hits) or counts.sum() <= 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(hits), size=(resamples, len(hits)))
    num, den = hits[picks].sum(axis=1), counts[picks].sum(axis=1)
    ratios = num[den > 0] / den[den > 0]
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(ratios, [tail, 100 - tail])
    return (float(lo), float(hi))


def wilson_interval(wins: float, games: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a win rate (a draw counts as half a win)."""
    if games <= 0:
        return (math.nan, math.nan)
    z = {0.95: 1.959964, 0.99: 2.575829}.get(level)
    if z is None:
        raise ValueError("level must be 0.95 or 0.99")
    p = wins / games
    centre = (p + z * z / (2 * games)) / (1 + z * z / games)
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / (1 + z * z / games)
    return (max(0.0, centre - half), min(1.0, centre + half))
