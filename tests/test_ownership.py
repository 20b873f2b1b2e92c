"""Ownership labels: estimated from counted games, checked against the result, and fed to training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from goengine.board import BLACK, WHITE
from goengine.coords import from_gtp
from goengine.features import GO_27
from goengine.game import Game, GameInfo, parse_result
from goengine.ownership import OwnershipLabels, final_ownership
from policy.data import BatchSampler, PackedGames
from policy.model import ModelConfig, PolicyValueNet
from policy.train import load_init, losses

SIZE = 5
# Black: a wall on column B with stones on A2 and A4, three eyes on column A; White the same on columns D and E.
# Both groups are alive by Benson's rule, column C is dame: 10 points each.
BLACK_STONES = ["B1", "B2", "B3", "B4", "B5", "A2", "A4"]
WHITE_STONES = ["D1", "D2", "D3", "D4", "D5", "E2", "E4"]


def walls_game(result: str, komi: float | None = 0.5) -> Game:
    game = Game(size=SIZE, komi=komi)
    for b, w in zip(BLACK_STONES, WHITE_STONES):
        game.moves += [(BLACK, from_gtp(b, SIZE)), (WHITE, from_gtp(w, SIZE))]
    game.info = GameInfo(black="b", white="w", result=parse_result(result))
    return game


def expected_map() -> np.ndarray:
    owner = np.zeros((SIZE, SIZE), dtype=np.int8)  # rows from the top, as points are numbered
    owner[:, :2], owner[:, 3:] = 1, -1
    return owner.reshape(-1)


def test_a_counted_game_whose_count_agrees_gets_its_map():
    owner, reason = final_ownership(walls_game("W+0.5"))
    assert reason is None
    assert np.array_equal(owner, expected_map())


@pytest.mark.parametrize("result, komi, reason", [("B+10.5", 0.5, "estimate disagrees with the result"),
                                                  ("W+R", 0.5, "not counted"), ("W+0.5", None, "no komi")])
def test_games_that_cannot_be_labelled_say_why(result, komi, reason):
    assert final_ownership(walls_game(result, komi)) == (None, reason)


def test_a_count_a_point_off_is_kept_and_three_points_off_is_not():
    assert final_ownership(walls_game("W+1.5"))[1] is None
    assert final_ownership(walls_game("W+3.5"))[1] == "estimate disagrees with the result"
    assert final_ownership(walls_game("W+3.5"), tolerance=3.0)[1] is None


def test_labels_round_trip_and_a_bad_file_is_refused(tmp_path):
    labels = OwnershipLabels(SIZE, np.array([7, 3], dtype=np.uint64), np.stack([expected_map(), -expected_map()]))
    labels.save(tmp_path / "own.npz")
    loaded = OwnershipLabels.load(tmp_path / "own.npz")
    assert np.array_equal(loaded.maps, labels.maps) and loaded.rows_for(np.array([3, 5, 7])).tolist() == [1, -1, 0]
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable ownership file"):
        OwnershipLabels.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "shape.npz", size=np.int64(SIZE), keys=np.zeros(1, np.uint64), maps=np.zeros((1, 9), np.int8),
             summary=np.frombuffer(b"{}", np.uint8))
    with pytest.raises(ValueError, match="not a valid ownership file"):
        OwnershipLabels.load(tmp_path / "shape.npz")


def labelled_sampler(augment: bool) -> BatchSampler:
    pack = PackedGames.from_games([walls_game("W+0.5"), walls_game("W+R")], SIZE)
    labels = OwnershipLabels(SIZE, pack.main_line_keys()[:1], expected_map()[None])
    return BatchSampler(pack, batch_size=8, seed=3, per_game=2, augment=augment, features=GO_27, ownership=labels)


@pytest.mark.parametrize("augment", [False, True])
def test_batches_hold_the_map_from_the_movers_view_under_the_same_symmetry_as_the_planes(augment):
    sampler = labelled_sampler(augment)
    seen_colors = set()
    for step in range(6):
        batch = sampler.batch(step)
        for i in np.flatnonzero(batch["ownership_mask"]):
            own = batch["ownership"][i].reshape(SIZE, SIZE)
            planes = batch["planes"][i]
            assert np.all(own[planes[0] == 1] == 1)  # every stone on the board lives: the mover's are its own
            assert np.all(own[planes[8] == 1] == -1)
            seen_colors.add(int(planes[16, 0, 0]))
        unlabelled = batch["ownership_mask"] == 0
        assert np.all(batch["ownership"][unlabelled] == 0)
    assert seen_colors == {0, 1}  # positions with either side to move


def test_the_ownership_loss_trains_the_head_and_an_init_without_a_head_loads():
    torch.manual_seed(0)
    plain = PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8, in_planes=GO_27.num_planes))
    model = PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8, in_planes=GO_27.num_planes,
                                       ownership=True))
    load_init(model, plain.state_dict())
    assert torch.equal(model.stem[0].weight, plain.stem[0].weight)
    with pytest.raises(ValueError, match="no ownership head"):
        plain(torch.zeros(1, GO_27.num_planes, SIZE, SIZE), ownership=True)
    batch = {k: torch.from_numpy(v) for k, v in labelled_sampler(augment=True).batch(0).items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(25):
        parts = losses(model, batch, torch.device("cpu"), 0.25, autocast=False, ownership_weight=1.0)
        first = first if first is not None else parts["ownership_loss"].item()
        optimizer.zero_grad()
        parts["loss"].backward()
        optimizer.step()
    assert parts["ownership_loss"].item() < first
    predicted = model(batch["planes"], ownership=True)[2].detach()
    target, labelled = batch["ownership"], batch["ownership_mask"] > 0
    decided = (target != 0) & labelled[:, None]
    assert ((predicted > 0) == (target > 0))[decided].float().mean() > 0.9
    back = PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8, in_planes=GO_27.num_planes))
    load_init(back, model.state_dict())  # a run without labels drops the head of its --init


def test_label_command_then_training_with_the_labels(tmp_path):
    from goengine.sgf import game_to_sgf
    from policy.data import DataFilter, build_packs
    from policy.ownership import main as label
    from policy.train import main as train
    sgf = tmp_path / "sgf"
    sgf.mkdir()
    for i, result in enumerate(["W+0.5", "W+R", "B+10.5"]):
        game = walls_game(result)
        game.moves = game.moves[:2 * len(BLACK_STONES) - i]  # three different main lines, each still counted right
        (sgf / f"g{i}.sgf").write_bytes(game_to_sgf(game))
    build_packs([str(sgf)], tmp_path / "packs", DataFilter(size=SIZE, min_moves=1), (1.0, 0.0, 0.0), workers=1,
                progress=False)
    pack = str(tmp_path / "packs" / "train.npz")
    shown = label([str(sgf), "--pack", pack, "--out", str(tmp_path / "own.npz"), "--workers", "1"])
    assert shown["labelled"] == 1 and shown["rejected"] == {"estimate disagrees with the result": 1}
    flags = ["--train", pack, "--blocks", "1", "--filters", "8", "--batch-size", "4", "--steps", "10",
             "--workers", "0", "--no-progress", "--precision", "fp32", "--features", "go-27", "--warmup", "1",
             "--checkpoint-every", "1"]
    train(flags + ["--out", str(tmp_path / "run"), "--ownership", str(tmp_path / "own.npz")])
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert max(float(r.split(",")[header.index("ownership_loss")]) for r in rows[1:]) > 0
    (tmp_path / "broken.npz").write_bytes(b"\x00" * 10)
    with pytest.raises(SystemExit) as stop:
        train(flags + ["--out", str(tmp_path / "run2"), "--ownership", str(tmp_path / "broken.npz")])
    assert stop.value.code == 2 and not (tmp_path / "run2").exists()


def test_a_share_of_each_batch_comes_from_the_labelled_games():
    pack = PackedGames.from_games([walls_game("W+0.5")] + [walls_game("W+R") for _ in range(3)], SIZE)
    pack.keys = np.arange(4, dtype=np.uint64)  # four games, one labelled
    labels = OwnershipLabels(SIZE, pack.keys[:1], expected_map()[None])
    sampler = BatchSampler(pack, batch_size=16, seed=0, per_game=2, features=GO_27, ownership=labels,
                           labelled_share=0.5)
    assert all(sampler.batch(step)["ownership_mask"].mean() >= 0.5 for step in range(5))
    with pytest.raises(ValueError, match="no game"):
        BatchSampler(pack, 16, ownership=OwnershipLabels(SIZE, np.array([99], np.uint64), expected_map()[None]),
                     labelled_share=0.5, features=GO_27)
