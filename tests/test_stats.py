"""Intervals on known answers: by-game bootstrap and Wilson."""
import math

import numpy as np
import pytest

from goengine.stats import bootstrap_by_game, wilson_interval


def test_bootstrap_on_known_answers():
    counts = np.full(200, 50)
    assert bootstrap_by_game(counts, counts) == (1.0, 1.0)  # every position right
    assert bootstrap_by_game(np.zeros(200), counts) == (0.0, 0.0)
    rng = np.random.default_rng(3)
    hits = rng.binomial(50, 0.4, size=200)
    lo, hi = bootstrap_by_game(hits, counts)
    assert lo < hits.sum() / counts.sum() < hi and 0.37 < lo and hi < 0.43
    # whole games that are all right or all wrong: the interval is far wider than for independent positions
    lumpy = np.where(rng.random(200) < 0.4, 50, 0)
    lo2, hi2 = bootstrap_by_game(lumpy, counts)
    assert hi2 - lo2 > 3 * (hi - lo)
    assert all(math.isnan(x) for x in bootstrap_by_game(np.zeros(0), np.zeros(0)))
    with pytest.raises(ValueError):
        bootstrap_by_game(np.zeros(3), np.zeros(4))


def test_paired_difference_sees_through_hard_and_easy_games():
    rng = np.random.default_rng(5)
    counts = np.full(300, 50)
    ease = rng.uniform(0.1, 0.9, size=300)  # the games differ far more than the two models do
    base = rng.binomial(50, ease)
    better = base + rng.binomial(50 - base, 0.04)  # planted: about 2 points more right, on every kind of game
    lo, hi = bootstrap_by_game(better, counts, minus=base)
    assert 0 < lo < (better - base).sum() / counts.sum() < hi
    assert bootstrap_by_game(better, counts)[0] < bootstrap_by_game(base, counts)[1]  # unpaired, they overlap
    assert bootstrap_by_game(base, counts, minus=base) == (0.0, 0.0)
    with pytest.raises(ValueError, match="minus"):
        bootstrap_by_game(base, counts, minus=base[:-1])


def test_wilson_interval():
    lo, hi = wilson_interval(10, 20)
    assert lo == pytest.approx(0.2993, abs=1e-3) and hi == pytest.approx(0.7007, abs=1e-3)
    assert wilson_interval(20, 20)[1] == 1.0 and wilson_interval(0, 20)[0] == 0.0
    assert wilson_interval(18, 20)[0] > 0.68


def test_elo_fit_recovers_the_difference_of_a_known_score():
    from goengine.stats import elo_difference, fit_elo
    games = [("a", "b", 1.0)] * 30 + [("a", "b", 0.0)] * 10 + [("c", "b", 0.5)] * 8
    ratings = fit_elo(games, anchor="b", prior_games=0)
    assert ratings["b"] == 0 and abs(ratings["a"] - elo_difference(0.75)) < 0.5 and abs(ratings["c"]) < 0.5
    assert abs(elo_difference(0.75) - 190.85) < 0.01


def test_a_clean_sweep_is_bounded_on_one_side_only_and_finite_under_the_prior():
    from goengine.stats import elo_interval, fit_elo
    lo, hi = elo_interval(10, 10)
    assert 150 < lo < 180 and hi == float("inf")
    assert elo_interval(0, 10)[0] == float("-inf")
    swept = fit_elo([("a", "b", 1.0)] * 10, anchor="b")  # one virtual draw: as if 10.5 of 11
    assert abs(swept["a"] - 400 * np.log10(10.5 / 0.5)) < 0.5
    with pytest.raises(ValueError, match="anchor"):
        fit_elo([("a", "b", 1.0)], anchor="z")
