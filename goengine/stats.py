"""Confidence intervals for figures measured on games: bootstrap by game, and Wilson for match results.

Positions of one game are not independent, so an accuracy over positions is resampled by whole games.
"""
from __future__ import annotations

import math

import numpy as np


def bootstrap_by_game(hits: np.ndarray, counts: np.ndarray, resamples: int = 2000, seed: int = 0,
                      level: float = 0.95, minus: np.ndarray | None = None) -> tuple[float, float]:
    """Interval for ``sum(hits) / sum(counts)`` with games (one entry of each array) drawn with replacement.

    With ``minus`` (another model's hits on the same games) it is the paired interval of the difference
    ``(sum(hits) - sum(minus)) / sum(counts)``: both models are resampled with the same games."""
    hits, counts = np.asarray(hits, dtype=np.float64), np.asarray(counts, dtype=np.float64)
    if minus is not None:
        minus = np.asarray(minus, dtype=np.float64)
        if minus.shape != hits.shape:
            raise ValueError("minus must have one entry per game, like hits")
        hits = hits - minus
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


def elo_difference(score: float) -> float:
    """The Elo difference at which the stronger side expects ``score`` (its share of the points, 0 < score < 1)."""
    if not 0 < score < 1:
        return math.copysign(math.inf, score - 0.5)
    return 400 * math.log10(score / (1 - score))


def fit_elo(results: list[tuple[str, str, float]], anchor: str, prior_games: float = 1.0,
            iterations: int = 2000) -> dict[str, float]:
    """Elo ratings from game results ``(player, opponent, score)`` (1 win, 0.5 draw, 0 loss), ``anchor`` at 0.

    A maximum-likelihood Bradley-Terry fit with ``prior_games`` virtual draws between every two players who met
    (the prior of BayesElo), so that a pairing won 10 of 10 gets a finite rating difference instead of an
    infinite one; ``elo_interval`` gives what the games alone can bound."""
    players = sorted({p for a, b, _ in results for p in (a, b)})
    if anchor not in players:
        raise ValueError(f"the anchor {anchor!r} played no game")
    index = {p: i for i, p in enumerate(players)}
    wins = np.zeros((len(players), len(players)))  # wins[i, j]: points i took from j
    for a, b, score in results:
        if a == b or not 0 <= score <= 1:
            raise ValueError(f"bad result {(a, b, score)}")
        wins[index[a], index[b]] += score
        wins[index[b], index[a]] += 1 - score
    met = (wins + wins.T) > 0
    wins = wins + prior_games / 2 * met
    games = wins + wins.T
    strength = np.ones(len(players))
    for _ in range(iterations):  # the minorisation-maximisation update of Hunter (2004)
        denom = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        strength = np.where(denom > 0, wins.sum(axis=1) / np.maximum(denom, 1e-300), strength)
        strength /= strength[index[anchor]]
    return {p: 400 * math.log10(strength[index[p]]) for p in players}


def elo_interval(wins: float, games: int, level: float = 0.95) -> tuple[float, float]:
    """The Elo differences at the ends of the Wilson interval of a win rate: what ``games`` alone can bound."""
    lo, hi = wilson_interval(wins, games, level)
    edge = 1e-9  # Wilson's bounds of a clean sweep are 0 or 1 up to rounding: no finite difference
    return (elo_difference(lo) if lo > edge else -math.inf, elo_difference(hi) if hi < 1 - edge else math.inf)
