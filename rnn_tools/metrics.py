"""Scores used by the tasks: accuracy, ROC AUC, precision/recall/F1, macro-F1, and their 95% intervals by game."""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from goengine.stats import bootstrap_by_game


def accuracy(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float((y_true == y_pred).mean()) if len(y_true) else float("nan")


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve by the rank-sum formula (ties get mean ranks); NaN with one class only."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # ties share their mean rank (from 1)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def binary_f1(y_true, y_pred) -> tuple[float, float, float]:
    """(precision, recall, F1) of the positive class."""
    y, p = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    tp = float((y & p).sum())
    precision = tp / p.sum() if p.sum() else 0.0
    recall = tp / y.sum() if y.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(y_true, y_pred, classes=(0, 1)) -> float:
    y, p = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean([binary_f1(y == c, p == c)[2] for c in classes]))


def game_interval(score: Callable[[np.ndarray], float | np.ndarray], games: Sequence, resamples: int = 1000,
                  seed: int = 0, level: float = 0.95) -> list:
    """Bootstrap interval of a figure measured on examples grouped by game: ``games`` holds each example's game,
    and ``score`` takes an array of example indices (those of the games drawn with replacement, a game drawn twice
    counted twice) and returns the figure. Positions or sentences of one game are not independent, so whole
    games are resampled. For a ratio of sums ``goengine.stats.bootstrap_by_game`` does the same faster.
    Resamples whose figure is undefined (NaN, e.g. an AUC with one class) are left out.

    ``score`` may return an array of several figures (the AUC of every term, say), all measured on the same
    resamples: the result is then one [low, high] pair for each."""
    _, inverse = np.unique(np.asarray(games), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)] if len(inverse) else []
    if not members:
        return [math.nan, math.nan]
    rng = np.random.default_rng(seed)
    values = np.array([score(np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))]))
                       for _ in range(resamples)], dtype=np.float64)
    tail = (1 - level) / 2 * 100
    columns = values.reshape(resamples, -1).T
    pairs = [[float(v) for v in np.percentile(c[~np.isnan(c)], [tail, 100 - tail])] if (~np.isnan(c)).any()
             else [math.nan, math.nan] for c in columns]
    return pairs[0] if values.ndim == 1 else pairs


def perplexity_interval(nll: Sequence[float], counts: Sequence[float], resamples: int = 2000,
                        seed: int = 0) -> list[float]:
    """95% interval of a perplexity ``exp(sum(nll) / sum(counts))`` from per-game sums, resampled by game."""
    lo, hi = bootstrap_by_game(np.asarray(nll, float), np.asarray(counts, float), resamples=resamples, seed=seed)
    return [math.exp(lo), math.exp(hi)]
