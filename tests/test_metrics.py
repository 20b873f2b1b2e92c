"""Every published metric checked on known answers: models that know the answer score perfectly, models that
always get it wrong score zero, through the same code that makes the figures."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from goengine.features import GO_27
from goengine.game import parse_result, positions
from policy.data import decisive_winner, value_target
from policy.evaluate import evaluate_games
from rnn_tools import movelm, outcome, sentiment, tagging, terms
from rnn_tools.data import iter_batches
from rnn_tools.metrics import accuracy, binary_f1, macro_f1, roc_auc
from synthetic import random_game


class Scripted:
    """A stand-in model that returns, call after call, the outputs it was given: one that knows the answers (or
    their opposite), for the metric code to score."""

    def __init__(self, outputs: list):
        self.outputs = iter(outputs)

    def __call__(self, *inputs):
        return next(self.outputs)

    def eval(self) -> "Scripted":
        return self


def games(count: int = 6, moves: int = 40, seed: int = 0):
    made = [random_game(9, moves, seed + i) for i in range(count)]
    for i, game in enumerate(made):
        game.info.result = parse_result("B+R" if i % 2 else "W+R")
    return made


def test_rank_metrics_on_known_answers():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    scores = np.array([0.1, 0.8, 0.7, 0.3, 0.9, 0.2, 0.4, 0.6])
    assert roc_auc(y, scores) == 1.0 and roc_auc(y, -scores) == 0.0 and roc_auc(y, np.ones(8)) == 0.5
    assert np.isnan(roc_auc(np.ones(4), scores[:4]))
    assert accuracy(y, y) == 1.0 and accuracy(y, 1 - y) == 0.0
    assert binary_f1(y, y) == (1.0, 1.0, 1.0) and binary_f1(y, 1 - y) == (0.0, 0.0, 0.0)
    assert binary_f1([1, 0, 1], [1, 1, 0])[2] == pytest.approx(0.5)
    assert macro_f1(y, y) == 1.0 and macro_f1(y, 1 - y) == 0.0


class PolicyStub:
    """A policy that puts its highest (``right``) or lowest logit on the recorded move and gives the value of the
    recorded result (or its opposite), position after position in the order ``evaluate_games`` asks."""

    def __init__(self, games, right: bool):
        self.rows = [(p, value_target(decisive_winner(g.info.result), c)) for g in games for c, p in g.moves]
        self.size, self.sign, self.done = games[0].size, 1.0 if right else -1.0, 0
        self.features = GO_27  # the planes are computed, then ignored

    def run(self, planes: np.ndarray):
        rows = self.rows[self.done:self.done + len(planes)]
        self.done += len(planes)
        logits = np.zeros((len(rows), self.size ** 2 + 1), np.float32)
        logits[np.arange(len(rows)), [p for p, _ in rows]] = 10 * self.sign
        return logits, self.sign * np.array([t for _, t in rows], np.float32)


def test_move_prediction_scores_a_perfect_and_a_hopeless_policy():
    played = games()
    perfect = evaluate_games(PolicyStub(played, True), played, batch_size=32)
    assert perfect["positions"] == 6 * 40
    assert perfect["top1"] == perfect["top5"] == perfect["value_accuracy"] == 1.0
    assert perfect["top1_ci95"] == (1.0, 1.0) and perfect["nll"] < 0.01
    assert all(v == 1.0 for v in perfect["top1_by_phase"].values() if v is not None)
    hopeless = evaluate_games(PolicyStub(played, False), played, batch_size=32)
    assert hopeless["top1"] == hopeless["top5"] == hopeless["value_accuracy"] == 0.0


class UniformStub(PolicyStub):
    """Equal logits everywhere: every legal move is as likely, so the NLL of a position is log(legal moves)."""

    def run(self, planes: np.ndarray):
        logits, values = super().run(planes)
        return np.zeros_like(logits), values


def test_nll_top5_and_every_interval_on_known_answers():
    played = games()
    legal = [int(board.legal_mask(color).sum()) for g in played for board, color, _ in positions(g)]
    uniform = evaluate_games(UniformStub(played, True), played, batch_size=32)
    assert uniform["nll"] == pytest.approx(np.mean(np.log(legal)), rel=1e-5)
    lo, hi = uniform["nll_ci95"]
    assert lo < uniform["nll"] < hi and lo > np.log(min(legal)) - 1e-6 and hi < np.log(max(legal)) + 1e-6
    perfect = evaluate_games(PolicyStub(played, True), played, batch_size=32)
    hopeless = evaluate_games(PolicyStub(played, False), played, batch_size=32)
    assert perfect["top5_ci95"] == (1.0, 1.0) and hopeless["top5_ci95"] == (0.0, 0.0)
    assert perfect["top1_by_phase_ci95"]["1-50"] == (1.0, 1.0) and perfect["top1_by_phase_ci95"]["151+"] is None
    assert hopeless["value_accuracy_by_phase_ci95"]["1-50"] == (0.0, 0.0)
    paired = evaluate_games(PolicyStub(played, True), played, batch_size=32, baseline=UniformStub(played, True))
    assert paired["difference"]["nll"] == pytest.approx(perfect["nll"] - uniform["nll"], abs=1e-6)
    assert paired["difference"]["top5"] > 0 and paired["difference"]["nll_ci95"][1] < 0


def test_a_baseline_is_scored_on_the_same_positions_with_paired_differences():
    played = games()
    both = evaluate_games(PolicyStub(played, True), played, batch_size=32, baseline=PolicyStub(played, False))
    assert both["top1"] == 1.0 and both["baseline"]["top1"] == 0.0 and both["baseline"]["positions"] == 6 * 40
    assert both["difference"]["top1"] == 1.0 and both["difference"]["top1_ci95"] == (1.0, 1.0)
    assert both["difference"]["value_accuracy"] == 1.0
    same = evaluate_games(PolicyStub(played, True), played, batch_size=32, baseline=PolicyStub(played, True))
    assert same["difference"]["top1"] == 0.0 and same["difference"]["value_accuracy_ci95"] == (0.0, 0.0)
    long = games(count=3, moves=70)  # two phases: moves 1-50 and 51-70, counted alike with and without a baseline
    alone = evaluate_games(PolicyStub(long, True), long, batch_size=32)
    paired = evaluate_games(PolicyStub(long, True), long, batch_size=32, baseline=PolicyStub(long, False))
    assert alone["top1_by_phase"] == paired["top1_by_phase"] == {"1-50": 1.0, "51-150": 1.0, "151+": None}
    assert paired["baseline"]["value_accuracy_by_phase"] == {"1-50": 0.0, "51-150": 0.0, "151+": None}


def test_move_language_model_top1_on_known_answers():
    seqs = movelm.sequences(games())
    vocab = len(movelm.MoveVocab(9))

    def scripted(sign: float) -> Scripted:
        batches = [movelm.collate(b)[2] for b in iter_batches(seqs, 64)]
        return Scripted([sign * 10 * torch.nn.functional.one_hot(t, vocab).float() for t in batches])

    right, wrong = movelm.score(scripted(1.0), seqs), movelm.score(scripted(-1.0), seqs)
    assert right["top1"] == right["top5"] == 1.0 and right["moves"] == 6 * 40
    assert wrong["top1"] == wrong["top5"] == 0.0 and wrong["perplexity"] > right["perplexity"]
    unigram = movelm.unigram(seqs, seqs, vocab)  # the commonest training move, scored on the same moves
    common = np.bincount(np.concatenate([s[1:] for s in seqs])).argmax()
    assert unigram["top1"] == pytest.approx(np.mean(np.concatenate([s[1:] for s in seqs]) == common))


def test_outcome_accuracy_and_auc_on_known_answers():
    labels = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    examples = []
    for label in labels:
        features = np.zeros((120, len(outcome.FEATURES)), np.float32)
        features[:, 12] = 0.5 if label else -0.5  # the value head knows the winner
        features[:, 3 if label else 4] = 0.2  # the winner has taken more stones
        examples.append({"tokens": list(range(120)), "features": features, "label": label, "moves": 120})
    knows = [np.full(120, label) for label in labels]
    report = outcome.score_prefixes(examples, knows, black_prior=0.2)
    assert report["accuracy_at"] == {"50": 1.0, "100": 1.0} and report["auc_at"] == {"50": 1.0, "100": 1.0}
    assert report["baselines"]["value_network"]["50"] == 1.0
    assert report["baselines"]["captures"]["50"] == 1.0
    assert report["baselines"]["majority"]["50"] == 0.5  # White, the training majority: right on 3 of 6
    inverted = outcome.score_prefixes(examples, [1 - p for p in knows], black_prior=0.2)
    assert inverted["accuracy_at"]["100"] == 0.0 and inverted["auc_at"]["100"] == 0.0


def test_capture_tagging_f1_on_known_answers():
    examples = tagging.prepare(games(8, 60, seed=10))
    assert sum(int((e["tags"] == 1).sum()) for e in examples) > 0  # some stones are captured

    def scripted(sign: float) -> Scripted:
        tags = [tagging.collate(b, "flat")[1] for b in iter_batches(examples, 32)]
        return Scripted([sign * torch.where(t > 0, 10.0, -10.0)[..., None] for t in tags])

    y, p = tagging.predictions(scripted(1.0), examples, "flat")
    assert binary_f1(y, p > tagging.best_threshold(y, p))[2] == 1.0
    y, p = tagging.predictions(scripted(-1.0), examples, "flat")
    assert binary_f1(y, p > tagging.best_threshold(y, p))[2] == 0.0


def test_term_auc_on_known_answers():
    made = games(6, 30, seed=20)
    for i, game in enumerate(made):
        game.comments = {j: ("a hane" if (i + j) % 3 else "tenuki here") for j in range(1, 30, 2)}
    patterns = [terms.term_pattern(["hane"]), terms.term_pattern(["tenuki"])]
    examples = terms.prepare(made, patterns)

    def scripted(sign: float) -> Scripted:
        targets = [terms.collate(b)[3] for b in iter_batches(examples, 64)]
        return Scripted([sign * (20 * t - 10) for t in targets])

    right = terms.term_aucs(*terms.predictions(scripted(1.0), examples), ["hane", "tenuki"])
    wrong = terms.term_aucs(*terms.predictions(scripted(-1.0), examples), ["hane", "tenuki"])
    assert right == {"mean_auc": 1.0, "auc": {"hane": 1.0, "tenuki": 1.0}}
    assert wrong == {"mean_auc": 0.0, "auc": {"hane": 0.0, "tenuki": 0.0}}


def test_sentiment_scores_and_a_majority_class_from_the_training_labels():
    test = [{"text": t, "masked": t, "label": y, "lang": lang} for t, y, lang in
            [("good", 1, "en"), ("bad", 0, "en"), ("slow", 0, "en"), ("好", 1, "zh"), ("壞", 0, "zh")]]
    y = np.array([e["label"] for e in test], float)
    train = [{"label": 1, "lang": "en"}] * 3 + [{"label": 0, "lang": "en"}] + [{"label": 0, "lang": "zh"}] * 2
    shares = sentiment.praise_shares(train)
    assert shares == {"all": 0.5, "en": 0.75, "zh": 0.0}
    report = sentiment.report(test, {"rnn": y, "bag_of_words": 1 - y}, None, None, shares)
    assert report["all"]["rnn"] == {"accuracy": 1.0, "macro_f1": 1.0, "n": 5}
    assert report["all"]["bag_of_words"]["accuracy"] == 0.0 and report["all"]["bag_of_words"]["macro_f1"] == 0.0
    assert report["en"]["majority"]["accuracy"] == pytest.approx(1 / 3)  # praise, the training majority in English
    assert report["zh"]["majority"]["accuracy"] == 0.5


def test_bleu_is_100_for_the_reference_and_0_for_unrelated_text():
    pytest.importorskip("sacrebleu")
    from rnn_tools import review_comments as comments, rule_commentary_seq2seq as commentary
    events = [{"refs": ["black d4 captures 2 stones of move 17 .", "with d4 black takes 2 stones ( move 17 ) off ."]},
              {"refs": ["white passes .", "white passes the turn ."]}]
    assert commentary.bleu([e["refs"][1] for e in events], events) == pytest.approx(100.0)
    assert commentary.bleu(["zz yy xx ww vv uu", "qq rr ss tt"], events) == pytest.approx(0.0)
    said = [{"target": re.findall(r"\S+", "this is a slow move , play the hane at r 9"), "lang": "en"},
            {"target": list("黑棋這手是好棋"), "lang": "zh"}]
    assert comments.bleu([said[0]["target"]], said[:1]) == pytest.approx(100.0)
    assert comments.bleu([said[1]["target"]], said[1:]) == pytest.approx(100.0)
    assert comments.bleu([["zz", "yy", "xx", "ww", "vv"]], said[:1]) == pytest.approx(0.0)
