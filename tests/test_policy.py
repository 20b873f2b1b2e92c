"""Policy network, data pipeline, training and evaluation on tiny synthetic games written by the tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from goengine.board import BLACK, WHITE, Board
from goengine.coords import from_gtp
from goengine.features import DEFAULT_FEATURES, GO_27, GO_40
from goengine.game import Game, GameInfo, parse_result
from goengine.sgf import game_to_sgf
from goengine.symmetry import transform_planes, transform_policy
from policy.checkpoint import (ModelFileError, load_model, model_from_record, model_record, read_record, save_model,
                               widen_inputs)
from policy.data import BatchSampler, DataFilter, PackedGames, build_packs
from policy.inference import Policy, masked_softmax
from policy.model import ModelConfig, PolicyValueNet
from synthetic import random_game

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("games")
    sgf_dir = root / "sgf"
    sgf_dir.mkdir()
    for i in range(24):
        (sgf_dir / f"g{i}.sgf").write_bytes(game_to_sgf(random_game(9, 50, i)))
    build_packs([str(sgf_dir)], root / "packs", DataFilter(size=9, min_moves=10), (0.75, 0.25, 0.0),
                workers=1, progress=False)
    return root


def tiny_model() -> PolicyValueNet:
    torch.manual_seed(0)
    return PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8))


def test_shapes_on_several_sizes():
    model = tiny_model().eval()
    for size in (9, 13, 19):
        logits, value = model(torch.zeros(3, DEFAULT_FEATURES.num_planes, size, size))
        assert logits.shape == (3, size * size + 1) and value.shape == (3,)
        assert torch.all(value.abs() <= 1)


def test_plain_and_pooling_bodies():
    for config in (ModelConfig(body="plain", blocks=2, filters=8), ModelConfig(blocks=1, filters=8, pooling=True)):
        logits, _ = PolicyValueNet(config)(torch.zeros(2, DEFAULT_FEATURES.num_planes, 19, 19))
        assert logits.shape == (2, 362)


def test_wrong_input_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="input planes"):
        tiny_model()(torch.zeros(1, 5, 9, 9))
    with pytest.raises(ValueError, match="shape"):
        tiny_model()(torch.zeros(DEFAULT_FEATURES.num_planes, 9, 9))


def test_illegal_moves_are_masked():
    board = Board(9)
    board.play(40)
    board.play(41)
    policy = Policy(tiny_model())
    probs, value = policy.predict(board)
    assert probs[40] == 0 and probs[41] == 0
    assert abs(probs.sum() - 1) < 1e-5 and -1 <= value <= 1
    with pytest.raises(ValueError):
        masked_softmax(np.zeros(3), np.ones(3, bool), temperature=0)


def test_symmetry_consistency_for_an_equivariant_model():
    """A model averaged over the 8 symmetries is equivariant: the rotated board gives the rotated policy."""
    model = tiny_model().eval()
    game = random_game(9, 30, 7)
    board = Board(9)
    for c, p in game.moves:
        board.play(p, c)
    planes = DEFAULT_FEATURES.encode(board)

    def symmetric_policy(x: np.ndarray) -> np.ndarray:
        out = np.zeros(82)
        for k in range(8):
            with torch.no_grad():
                logits, _ = model(torch.from_numpy(np.ascontiguousarray(transform_planes(x, k)))[None])
            out += transform_policy(logits[0].numpy(), 9, [0, 3, 2, 1, 4, 5, 6, 7][k])
        return out / 8

    base = symmetric_policy(planes)
    for k in range(8):
        rotated = symmetric_policy(np.ascontiguousarray(transform_planes(planes, k)))
        assert np.allclose(rotated, transform_policy(base, 9, k), atol=1e-4)


def test_batches_are_deterministic_and_augmented_consistently(packs):
    pack = PackedGames.load(packs / "packs" / "train.npz")
    plain = BatchSampler(pack, 8, seed=3, per_game=2, augment=False)
    aug = BatchSampler(pack, 8, seed=3, per_game=2, augment=True)
    a, b = aug.batch(5), aug.batch(5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    base = plain.batch(5)
    for i in range(8):  # the label is the stone that appears at the labelled point in the next position
        assert a["planes"][i].sum() == base["planes"][i].sum()
        point = a["moves"][i]
        if point < 81:
            assert a["planes"][i][:16].reshape(16, 81)[:, point].sum() == 0  # the move's point is empty now


def test_sampler_replays_each_game_once_for_the_same_examples(packs):
    """The sampler replays a sampled game once for all of its positions; the examples equal those of replaying the
    game from the first move for each position on its own (the straightforward sampler), for the same (seed, step).
    """
    from goengine.symmetry import move_permutation
    from policy.data import value_target
    pack = PackedGames.load(packs / "packs" / "train.npz")
    for per_game, augment in ((4, False), (2, True)):
        sampler = BatchSampler(pack, 8, seed=5, per_game=per_game, augment=augment)
        for step in (0, 3):
            batch = sampler.batch(step)
            rng = np.random.default_rng([5, step])  # the sampler's draws, in its order
            games = rng.choice(len(pack), size=8 // per_game, p=sampler.weights)
            row = 0
            picks_of = [sorted(rng.integers(0, len(pack.game_moves(g)), size=per_game).tolist())
                        for g in games.tolist()]
            syms = rng.integers(0, 8, size=8) if augment else np.zeros(8, dtype=int)
            for g, picks in zip(games.tolist(), picks_of):
                moves = pack.game_moves(g)
                for target in picks:
                    board = pack.game(g).new_board()
                    for color, point in moves[:target]:
                        board.play(point, color)
                    color, point = moves[target]
                    board.to_move = color
                    planes = DEFAULT_FEATURES.encode(board)
                    k = int(syms[row])
                    if k:
                        planes = transform_planes(planes, k)
                        point = move_permutation(9, k)[point]
                    assert (batch["planes"][row] == planes).all() and batch["moves"][row] == point
                    assert batch["values"][row] == value_target(int(pack.winner[g]), color)
                    row += 1
            assert row == 8


def test_pack_split_by_game_and_roundtrip(packs):
    train = PackedGames.load(packs / "packs" / "train.npz")
    val = PackedGames.load(packs / "packs" / "val.npz")
    assert len(train) + len(val) == 24 and len(val) > 0
    train_lines = {tuple(train.game_moves(i)) for i in range(len(train))}
    assert not any(tuple(val.game_moves(i)) in train_lines for i in range(len(val)))
    assert train.summary["games"]["train"] == len(train)


def _train(packs: Path, out: Path, steps: int, extra: list[str] = ()) -> dict:
    from policy.train import main
    return main(["--train", str(packs / "packs" / "train.npz"), "--val", str(packs / "packs" / "val.npz"),
                 "--out", str(out), "--blocks", "1", "--filters", "8", "--batch-size", "16", "--steps", str(steps),
                 "--lr", "0.01", "--warmup", "1", "--workers", "0", "--eval-every", "10", "--eval-positions", "32",
                 "--checkpoint-every", "5", "--no-progress", "--seed", "1", "--precision", "fp32", *extra])


def test_training_lowers_the_loss_and_writes_outputs(packs, tmp_path):
    _train(packs, tmp_path / "run", 40, ["--export", str(tmp_path / "model.pt"), "--schedule", "constant"])
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    losses = [float(r.split(",")[2]) for r in rows[1:]]
    assert np.mean(losses[-2:]) < losses[0]
    assert (tmp_path / "run" / "curves.png").stat().st_size > 1000
    model, record = load_model(tmp_path / "model.pt")
    assert record["config"]["filters"] == 8 and record["features"]["name"] == DEFAULT_FEATURES.name
    assert record["data"]["games"] > 0


def test_resume_matches_an_uninterrupted_run(packs, tmp_path):
    _train(packs, tmp_path / "full", 10)
    _train(packs, tmp_path / "part", 10, ["--stop-at", "5"])  # interrupted after step 5
    _train(packs, tmp_path / "part", 10, ["--resume"])
    full = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=True)["state_dict"]
    resumed = torch.load(tmp_path / "part" / "checkpoint.pt", weights_only=True)["state_dict"]
    for key in full:
        assert torch.equal(full[key], resumed[key]), key


def test_save_load_roundtrip_and_clear_errors(tmp_path):
    model = tiny_model()
    path = tmp_path / "m.pt"
    save_model(model, path, board_size=9, metrics={"top1": 0.5})
    loaded, record = load_model(path)
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    assert record["metrics"]["top1"] == 0.5
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "missing.pt")
    (tmp_path / "trunc.pt").write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(tmp_path / "trunc.pt")
    features = {"name": DEFAULT_FEATURES.name, "version": DEFAULT_FEATURES.version}
    torch.save({"format": "goengine-policy", "format_version": 1, "config": {"blocks": 2, "filters": 8},
                "features": features, "state_dict": model.state_dict()}, tmp_path / "mis.pt")
    with pytest.raises(ModelFileError, match="do not match"):
        load_model(tmp_path / "mis.pt")
    torch.save({"format": "goengine-policy", "format_version": 1, "config": {},
                "features": {"name": "other", "version": 3}, "state_dict": {}}, tmp_path / "feat.pt")
    with pytest.raises(ModelFileError, match="feature set"):
        load_model(tmp_path / "feat.pt")


def test_evaluate_json(packs, tmp_path):
    path = tmp_path / "m.pt"
    save_model(tiny_model(), path, board_size=9)
    out = subprocess.run([sys.executable, "-m", "policy.evaluate", "--weights", str(path), "--size", "9", "--json",
                          str(packs / "sgf")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["positions"] == 24 * 50
    assert result["top1"] <= result["top5"] and result["nll"] > 0  # known answers: test_metrics
    bad = subprocess.run([sys.executable, "-m", "policy.evaluate", "--weights", str(tmp_path / "nope.pt"),
                          str(packs / "sgf")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and "not found" in bad.stderr


def test_distributed_training_two_cpu_processes(packs, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29533",
           "-m", "policy.train", "--train", str(packs / "packs" / "train.npz"), "--out", str(tmp_path / "ddp"),
           "--blocks", "1", "--filters", "8", "--batch-size", "8", "--steps", "3", "--workers", "0",
           "--device", "cpu", "--no-progress", "--checkpoint-every", "3"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    state = torch.load(tmp_path / "ddp" / "checkpoint.pt", weights_only=True)
    assert state["step"] == 3


def test_heatmap_png(tmp_path):
    from policy.heatmap import policy_heatmap
    board = Board(9)
    board.play(40, BLACK)
    board.play(30, WHITE)
    probs, value = Policy(tiny_model()).predict(board)
    policy_heatmap(board, probs, str(tmp_path / "h.png"), value)
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_time_budget_fixes_the_steps_after_warm_up(packs, tmp_path):
    from policy.train import fit_steps_to_budget, parse_args
    args = parse_args(["--train", "x", "--steps", "10000", "--time-budget", "100"])
    # 100 steps took 10 s of the 100 s budget (0.1 s a step): 100 + (100 - 10 - 13) / 0.1 steps fit
    assert fit_steps_to_budget(args, done=100, timed_steps=100, timed_seconds=10.0, spent=10.0, stop=10000) == 870
    assert args.steps == 870
    args = parse_args(["--train", "x", "--steps", "500", "--time-budget", "100"])
    assert fit_steps_to_budget(args, 100, 100, 10.0, 10.0, 500) == 500  # never raised above --steps
    last = _train(packs, tmp_path / "run", 10_000, ["--time-budget", "12", "--warmup", "5"])
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert state["step"] == last["step"] == state["args"]["steps"] < 10_000
    with pytest.raises(SystemExit):
        parse_args(["--train", "x", "--time-budget", "nan"])


def test_a_diverged_run_stops_and_keeps_its_last_good_files(packs, tmp_path, monkeypatch):
    import policy.train as train
    _train(packs, tmp_path / "run", 5, ["--export", str(tmp_path / "model.pt")])
    before = (tmp_path / "run" / "checkpoint.pt").read_bytes(), (tmp_path / "model.pt").read_bytes()
    real = train.losses

    def diverging(*a, **k):
        parts = real(*a, **k)
        return dict(parts, loss=parts["loss"] * float("nan"))

    monkeypatch.setattr(train, "losses", diverging)
    with pytest.raises(SystemExit, match="not finite|nan"):
        _train(packs, tmp_path / "run", 10, ["--resume", "--export", str(tmp_path / "model.pt")])
    assert ((tmp_path / "run" / "checkpoint.pt").read_bytes(), (tmp_path / "model.pt").read_bytes()) == before


def test_non_finite_weights_are_never_written_or_loaded(tmp_path):
    model = tiny_model()
    with torch.no_grad():
        model.stem[0].weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="not finite"):
        save_model(model, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()
    record = {"format": "goengine-policy", "format_version": 1, "config": model.config.to_dict(),
              "features": {"name": DEFAULT_FEATURES.name, "version": DEFAULT_FEATURES.version}, "state_dict": model.state_dict()}
    torch.save(record, tmp_path / "nan.pt")
    with pytest.raises(ModelFileError, match="NaN"):
        load_model(tmp_path / "nan.pt")


def test_evaluate_intervals_bracket_the_figures(packs, tmp_path):
    from policy.evaluate import evaluate_games
    from policy.data import PackedGames
    pack = PackedGames.load(packs / "packs" / "train.npz")
    result = evaluate_games(Policy(tiny_model().eval()), [pack.game(i) for i in range(len(pack))])
    lo, hi = result["top1_ci95"]
    assert lo <= result["top1"] <= hi
    lo, hi = result["value_accuracy_ci95"]
    assert lo <= result["value_accuracy"] <= hi
    assert set(result["value_accuracy_by_phase"]) == {"1-50", "51-150", "151+"}


def test_a_model_file_with_flipped_bytes_is_refused(tmp_path):
    path = tmp_path / "m.pt"
    save_model(PolicyValueNet(ModelConfig(blocks=2, filters=32)), path, board_size=9)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 2000] = bytes(b ^ 0x5A for b in data[middle:middle + 2000])  # inside the tensors
    (tmp_path / "flipped.pt").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(tmp_path / "flipped.pt")
    record = torch.load(path, weights_only=True)
    del record["weights_sha256"]  # a file from before checksums still loads
    torch.save(record, tmp_path / "old.pt")
    load_model(tmp_path / "old.pt")


def test_widened_model_computes_what_the_old_one_did(tmp_path):
    """``train --init`` from a go-27 model to go-40: the new planes get zero weights, so the outputs are equal."""
    torch.manual_seed(3)
    old = PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8, in_planes=GO_27.num_planes)).eval()
    record = model_record(old, features=GO_27)
    assert record["features"] == {"name": "go-27", "version": 1}
    new = PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8, in_planes=GO_40.num_planes)).eval()
    new.load_state_dict(widen_inputs(record, GO_40))
    board = Board(9)
    for v in ("E5", "C3", "G7", "D4"):
        board.play(from_gtp(v, 9))
    with torch.no_grad():
        a = old(torch.from_numpy(GO_27.encode(board))[None])
        b = new(torch.from_numpy(GO_40.encode(board))[None])
    assert torch.allclose(a[0], b[0], atol=1e-5) and torch.allclose(a[1], b[1], atol=1e-5)
    assert GO_40.encode(board)[27:].any()  # the new planes are not empty, their weights are zero


def test_model_files_name_their_feature_set(tmp_path):
    shipped = Policy.load()
    assert shipped.features.num_planes == shipped.model.config.in_planes
    assert shipped.features is GO_27 or shipped.features is GO_40
    path = tmp_path / "m.pt"
    save_model(tiny_model(), path, board_size=9)
    record = read_record(path)
    assert record["features"]["name"] == DEFAULT_FEATURES.name
    record["features"] = {"name": "go-27", "version": 1}  # a record whose planes do not fit its network
    with pytest.raises(ModelFileError, match="reads 40 planes"):
        model_from_record(record, str(path))
