"""``scripts/shipped_model_splits.py``: the shipped model's old split, rebuilt with the packs' filter and dates."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from goengine.sgf import game_to_sgf
from policy.data import PackedGames
from tests.synthetic import random_game

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("shipped_model_splits",
                                              os.path.join(ROOT, "scripts", "shipped_model_splits.py"))
splits = importlib.util.module_from_spec(spec)
spec.loader.exec_module(splits)


def part_of(game) -> str:
    return splits.legacy_split(splits.legacy_key(game.size, game.setup_black, game.setup_white, game.moves))


def test_the_old_key_is_independent_of_the_hash_seed():
    splits.check_python()  # the keys of known games under this Python are those the packs were made with
    code = ("import sys; sys.path.insert(0, 'scripts'); from shipped_model_splits import legacy_key; "
            "print(legacy_key(19, [3, 1], [], [(1, 72), (2, 288)]))")
    keys = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2")}
    assert keys == {f"{splits.legacy_key(19, [1, 3], [], [(1, 72), (2, 288)])}\n"}


def test_rebuilt_splits_hold_the_games_the_old_key_files_there(tmp_path):
    wanted = {"val": [], "test": []}
    seed = 0
    while min(len(v) for v in wanted.values()) < 2:  # about 1 game in 100 lands in each
        game = random_game(19, 45, seed)
        seed += 1
        wanted.get(part_of(game), []).append(game)
    undated, late = wanted["test"][0], wanted["val"][0]
    undated.info.date = ""  # kept: the packs left out dated games only
    late.info.date = "2021-03-01"  # left out
    trained = [g for g in (random_game(19, 45, s) for s in range(seed, seed + 25)) if part_of(g) == "train"]
    folder = tmp_path / "games"
    folder.mkdir()
    for i, game in enumerate(wanted["val"] + wanted["test"] + trained[:20]):
        (folder / f"g{i:03d}.sgf").write_bytes(game_to_sgf(game))
    (folder / "copy.sgf").write_bytes(game_to_sgf(wanted["test"][1]))  # filed twice: counted once
    summary = splits.main([str(folder), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert summary["games"] == {"train": 20, "val": 1, "test": 2}
    assert summary["skipped"]["in excluded date range"] == 1 and summary["skipped"]["duplicate main line"] == 1
    for part, games in (("val", wanted["val"][1:]), ("test", wanted["test"])):
        pack = PackedGames.load(tmp_path / "out" / f"{part}.npz")
        assert sorted(pack.game_moves(i) for i in range(len(pack))) == sorted(g.moves for g in games)
