"""The intervals and the baselines behind rnn_tools' published figures, on planted signals with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnn_tools import outcome, sentiment, tagging
from rnn_tools.encoding import TextVocab
from rnn_tools.metrics import accuracy, game_interval


def test_game_interval_resamples_whole_games():
    # Game 0: 10 right answers; game 1: 10 wrong ones. Resampling positions would give a narrow interval
    # around 0.5; resampling games gives 0, 0.5 or 1 only.
    hits = np.array([1] * 10 + [0] * 10)
    games = np.array([0] * 10 + [1] * 10)
    lo, hi = game_interval(lambda j: hits[j].mean(), games, resamples=400)
    assert lo == 0.0 and hi == 1.0
    same = game_interval(lambda j: hits[j].mean(), np.arange(20), resamples=400)  # one position per game
    assert 0.2 < same[0] < 0.5 < same[1] < 0.8
    assert game_interval(lambda j: 1.0, games) == [1.0, 1.0]  # a figure that never moves
    assert all(math.isnan(x) for x in game_interval(lambda j: math.nan, games))  # e.g. an AUC with one class


def test_game_interval_of_several_figures_uses_the_same_resamples():
    hits = np.array([1] * 10 + [0] * 10)
    games = np.array([0] * 10 + [1] * 10)
    both = game_interval(lambda j: np.array([hits[j].mean(), 1.0, math.nan, 1 - hits[j].mean()]), games,
                         resamples=400)
    assert both[0] == [0.0, 1.0] and both[1] == [1.0, 1.0] and all(math.isnan(x) for x in both[2])
    assert both[3] == [0.0, 1.0]


def test_term_auc_intervals_on_planted_signals():
    from rnn_tools.terms import aucs_ci95
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(400, 3))
    y[:, 2] = 0  # a term no test move has: no AUC, no interval
    p = np.stack([y[:, 0] + 0.1 * rng.random(400), rng.random(400), rng.random(400)], axis=1)
    games = np.repeat(np.arange(40), 10)
    out = aucs_ci95(y, p, games, ["sure", "noise", "absent"], resamples=200)
    assert out["auc_ci95"]["sure"] == [1.0, 1.0] and set(out["auc_ci95"]) == {"sure", "noise"}
    lo, hi = out["auc_ci95"]["noise"]
    assert lo < 0.5 < hi and hi - lo < 0.25
    assert out["mean_auc_ci95"][0] > 0.6  # the mean of 1 and about 0.5
    inverted = aucs_ci95(y[:, :1], -p[:, :1], games, ["sure"], resamples=50)
    assert inverted == {"mean_auc_ci95": [0.0, 0.0], "auc_ci95": {"sure": [0.0, 0.0]}}  # an AUC of 0 is a figure


def test_outcome_intervals_and_the_value_network_on_known_answers():
    labels = [1.0, 0.0] * 10
    examples = []
    for label in labels:
        features = np.zeros((120, len(outcome.FEATURES)), np.float32)
        features[:, 12] = 0.5 if label else -0.5  # the value head knows the winner
        examples.append({"tokens": list(range(120)), "features": features, "label": label, "moves": 120})
    wrong = [np.full(120, 1 - label) for label in labels]  # a model that is always wrong
    report = outcome.score_prefixes(examples, wrong, black_prior=0.5, intervals=True)
    ci = report["ci95"]
    assert report["accuracy_at"]["100"] == 0.0 and ci["accuracy_at"]["100"] == [0.0, 0.0]
    assert report["baselines"]["value_network"]["100"] == 1.0 and ci["value_network_accuracy_at"]["100"] == [1, 1]
    assert report["value_network_auc_at"]["100"] == 1.0 and ci["value_network_auc_at"]["100"] == [1.0, 1.0]
    assert ci["model_minus_value_network_at"]["100"] == [-1.0, -1.0]
    half = [np.full(120, label if i < 10 else 1 - label) for i, label in enumerate(labels)]  # right on 10 of 20
    ci = outcome.score_prefixes(examples, half, black_prior=0.5, intervals=True)["ci95"]["accuracy_at"]["100"]
    assert 0.2 < ci[0] < 0.5 < ci[1] < 0.8
    assert "ci95" not in outcome.score_prefixes(examples, wrong, black_prior=0.5)  # validation: no bootstrap


def _pairs(n: int, seed: int) -> list[dict]:
    """Sentences whose label only a word pair tells: "x y" is praise, "y x" criticism, each word once."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        label = int(rng.integers(0, 2))
        filler = [f"w{int(k)}" for k in rng.integers(0, 5, 3)]
        words = filler + (["x", "y"] if label else ["y", "x"])
        out.append({"text": " ".join(words), "masked": " ".join(words), "label": label, "lang": "en",
                    "game": f"g{i // 4}"})
    return out


def test_bigram_baseline_finds_a_signal_the_bag_of_words_cannot():
    torch.manual_seed(0)
    train, valid, test = _pairs(3000, 1), _pairs(100, 2), _pairs(100, 3)
    y = np.array([e["label"] for e in test])
    words, _ = sentiment.bow_logistic(train, valid, n=1, max_epochs=4)
    bigrams, kept = sentiment.bow_logistic(train, valid, n=2, max_epochs=4)
    assert accuracy(y, bigrams(test) > 0.5) == 1.0 and 1 <= kept <= 4
    assert accuracy(y, words(test) > 0.5) < 0.7  # the same words in both classes
    parts = {"train": train, "val": valid, "test": test}
    report = sentiment.score_with_baselines(parts, train, y.astype(float))  # a model that knows the answer
    assert report["all"]["rnn"]["macro_f1"] == 1.0 and report["all"]["rnn"]["macro_f1_ci95"] == [1.0, 1.0]
    assert report["all"]["bag_of_bigrams"]["accuracy"] == 1.0
    lo, hi = report["all"]["bag_of_words"]["accuracy_ci95"]
    assert lo <= report["all"]["bag_of_words"]["accuracy"] <= hi < 1.0


def test_board_stones_input_leaves_out_the_removed_stones():
    from synthetic import random_game
    examples = tagging.prepare([random_game(9, 80, seed=5)])
    (full, _, _), _ = tagging.collate(examples, "board")
    (stones, _, _), _ = tagging.collate(examples, "board-stones")
    assert full.shape[2] == 4 and stones.shape[2] == 3 and torch.equal(full[:, :, :3], stones)
    assert full[:, :, 3].sum() > 0  # the game has captures, so the plane left out was not empty
    model = tagging.make_model("board-stones", "gru", True, 4, 9)
    assert model(*tagging.collate(examples, "board-stones")[0]).shape[:2] == (1, 80)


def test_perplexity_report_leaves_out_unknown_targets_and_speakers_marks():
    from rnn_tools import review_comments as comments
    vocab = TextVocab.build([["kk", ":", "good"]], min_freq=1)
    examples = [{"target": ["kk", ":", "good"], "game": 0}, {"target": ["zzz", "good"], "game": 1}]
    # token costs: kk, :, good, <eos> / zzz (unknown), good, <eos>
    base = [np.array([2.0, 2.0, 1.0, 1.0]), np.array([3.0, 1.0, 1.0])]
    model = [np.array([0.0, 0.0, 1.0, 1.0]), np.array([3.0, 1.0, 1.0])]  # saves only on the speaker's mark
    report = comments.perplexity_report({"text_only": base, "seq2seq": model}, "text_only", examples, vocab, 19)
    assert report["all"]["tokens"] == 7 and report["no_unk"]["tokens"] == 6
    assert report["no_speaker"]["tokens"] == 5 and report["no_unk_no_speaker"]["tokens"] == 4
    assert report["no_unk"]["text_only"]["perplexity"] == pytest.approx(math.exp(8 / 6))
    assert report["all"]["seq2seq"]["reduction"] == pytest.approx(1 - math.exp(-4 / 7))
    assert report["no_speaker"]["seq2seq"]["reduction"] == pytest.approx(0.0)  # the whole saving was the mark
    lo, hi = report["all"]["seq2seq"]["ci95"]
    assert lo <= report["all"]["seq2seq"]["perplexity"] <= hi
