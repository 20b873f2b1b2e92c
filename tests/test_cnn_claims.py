"""The pieces of ``scripts/cnn_claims.py``: dense baselines, parameter and multiply-add counts on small known cases,
width matching, the scorer on known answers, the shared training budget and the command line."""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest
import torch
from torch import nn

from policy.data import PackedGames
from policy.model import ModelConfig, PolicyValueNet, count_parameters
from tests.synthetic import random_game

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def claims():
    spec = importlib.util.spec_from_file_location("cnn_claims", os.path.join(ROOT, "scripts", "cnn_claims.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["cnn_claims"] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    yield module
    del sys.modules["cnn_claims"]


@pytest.fixture(scope="module")
def pack_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("packs") / "games.npz"
    PackedGames.from_games([random_game(9, 30, seed) for seed in range(6)], 9).save(path)
    return str(path)


def test_dense_network_counts_on_a_known_case(claims):
    # 2 planes of 3x3 -> 4 hidden units -> 10 logits: (18*4 + 4) + (4*10 + 10) parameters, 18*4 + 4*10 multiply-adds
    model = claims.DensePolicy(3, (4,), in_planes=2)
    assert count_parameters(model) == 126
    assert claims.multiply_adds(model, size=3, in_planes=2) == 112
    assert model(torch.zeros(5, 2, 3, 3)).shape == (5, 10)
    two = claims.DensePolicy(3, (4, 6), in_planes=2)
    assert count_parameters(two) == 76 + 30 + 70 and claims.multiply_adds(two, 3, 2) == 72 + 24 + 60
    with pytest.raises(ValueError):
        claims.DensePolicy(3, ())


def test_convolution_multiply_adds_count_each_weight_once_per_output_point(claims):
    conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 1, 1))
    assert claims.multiply_adds(conv, size=5, in_planes=2) == 25 * (2 * 3 * 9) + 25 * 3
    strided = nn.Sequential(nn.Conv2d(2, 3, 3, stride=2))  # 5x5 -> 2x2
    assert claims.multiply_adds(strided, size=5, in_planes=2) == 4 * 54
    assert conv[0].weight.device.type == "cpu"  # counted on a copy: the model itself stays usable


def test_policy_value_net_multiply_adds_on_a_known_case(claims):
    model = PolicyValueNet(ModelConfig(blocks=1, filters=2, in_planes=27, value_hidden=4))
    points = 9  # a 3x3 board
    convs = 27 * 2 * 9 + 2 * (2 * 2 * 9) + 2 * 2 + 2 * 1  # stem, two body convolutions, policy and value 1x1
    linears = 2 * 1 + (1 + 2) * 4 + 4 * 1  # pass logit, value hidden layer, value output
    assert claims.multiply_adds(model, size=3) == points * convs + linears
    params, macs = claims.cost(lambda: PolicyValueNet(ModelConfig(blocks=1, filters=2, in_planes=27,
                                                                  value_hidden=4)), size=3)
    assert params == count_parameters(model) and macs == points * convs + linears


def test_matched_filters_finds_the_width_of_a_known_cost(claims):
    params, macs = claims.cost(lambda: PolicyValueNet(claims.cnn_config(3, 32)))
    assert claims.matched_filters(3, params, 0) == 32
    assert claims.matched_filters(3, macs, 1) == 32
    assert claims.matched_filters(3, macs + 1, 1) == 32  # nearest, not the first one above
    _, at_20 = claims.cost(lambda: PolicyValueNet(claims.cnn_config(2, 20)), size=9)
    assert claims.matched_filters(2, at_20, 1, size=9) == 20


class _Constant(nn.Module):
    """Always the same logits: all weight on ``point``."""

    def __init__(self, point: int, n: int = 5):
        super().__init__()
        self.point, self.n = point, n

    def forward(self, planes):
        logits = torch.full((planes.shape[0], self.n), -20.0)
        logits[:, self.point] = 20.0
        return logits, torch.zeros(planes.shape[0])  # a value output too, which the scorer leaves aside


def test_score_on_known_answers(claims):
    examples = {"planes": np.zeros((6, 1, 2, 2), dtype=np.uint8), "moves": np.full(6, 3, dtype=np.int64),
                "games": np.array([0, 0, 1, 1, 1, 2])}
    right = claims.score(_Constant(3), examples)
    assert right["top1"] == 1.0 and right["top1_ci95"] == (1.0, 1.0) and right["nll"] < 1e-6
    wrong = claims.score(_Constant(0), examples)
    assert wrong["top1"] == 0.0 and wrong["nll"] == pytest.approx(40.0, abs=1e-3)
    examples["moves"][:2] = 0  # game 0 is predicted, games 1 and 2 are not: the interval spans whole games
    mixed = claims.score(_Constant(0), examples)
    assert mixed["top1"] == pytest.approx(2 / 6) and mixed["top1_ci95"][0] == 0.0 and mixed["top1_ci95"][1] == 1.0


def test_game_examples_are_the_recorded_moves_of_the_sampled_games(claims, pack_path):
    pack = PackedGames.load(pack_path)
    examples = claims.game_examples(pack, games=4, per_game=5, seed=3)
    assert examples["planes"].shape == (20, claims.NUM_PLANES, 9, 9) and examples["planes"].dtype == np.uint8
    assert len(np.unique(examples["games"])) == 4
    for game in np.unique(examples["games"]):
        recorded = [p for _, p in pack.game_moves(int(game))]
        assert all(m in recorded for m in examples["moves"][examples["games"] == game])
    again = claims.game_examples(pack, games=4, per_game=5, seed=3)
    assert all(np.array_equal(examples[k], again[k]) for k in examples)


def test_budget_is_shared_and_its_schedule_decays_to_zero(claims, pack_path):
    pack = PackedGames.load(pack_path)
    budget = claims.Budget.sample(pack, steps=8, batch_size=4, seed=1)
    same = claims.Budget.sample(pack, steps=8, batch_size=4, seed=1)
    assert len(budget.batches) == 8 and all(np.array_equal(a["planes"], b["planes"])
                                            for a, b in zip(budget.batches, same.batches))
    assert [budget.learning_rate(1.0, s) for s in (0, 5, 6, 7)] == [1.0, 1.0, 1.0, 0.5]
    torch.manual_seed(0)
    model = claims.DensePolicy(9, (8,))
    before = [p.detach().clone() for p in model.parameters()]
    claims.train(model, budget, 1e-3)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_params_of_names_a_dense_baseline(claims):
    parse = claims.build_parser().parse_args
    packs = ["--train", "t.npz", "--val", "v.npz", "--test", "x.npz"]
    assert parse(packs).params_of == "best"
    assert parse(packs + ["--params-of", "none"]).params_of is None
    assert parse(packs + ["--params-of", "2x1024"]).params_of == (1024, 1024)


@pytest.mark.parametrize("options", [["--batch-size", "3"], ["--steps", "0"], ["--lr", "0"],
                                     ["--params-of", "3x7"], ["--params-only"],
                                     ["--params-only", "--params-of", "best"]])
def test_bad_options_exit_with_status_2(claims, options, pack_path):
    with pytest.raises(SystemExit) as exc:
        claims.main(["--train", pack_path, "--val", pack_path, "--test", pack_path] + options)
    assert exc.value.code == 2


def test_a_missing_pack_is_a_clear_error(claims, pack_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        claims.main(["--train", str(tmp_path / "none.npz"), "--val", pack_path, "--test", pack_path])
    assert exc.value.code == 2 and "pack not found" in capsys.readouterr().err
