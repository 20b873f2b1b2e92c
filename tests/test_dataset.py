"""The one data layer (goengine.dataset): stable keys and splits, filters, de-duplication, counts and overlap."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from goengine.atomic import atomic_write
from goengine.board import BLACK, WHITE
from goengine.dataset import (DataFilter, UniqueReader, encode_moves, key_of_codes, main_line_key, read_unique,
                              split_fractions, split_games, split_of, year_range)
from goengine.game import Game, GameInfo
from goengine.sgf import game_to_sgf
from policy.data import PackedGames, build_packs, overlap
from synthetic import random_game

ROOT = Path(__file__).resolve().parents[1]


def game(seed: int, moves: int = 30, size: int = 9, date: str = "2015-01-01") -> Game:
    """A random legal game dated ``date`` ("" for none)."""
    made = random_game(size, moves, seed)
    made.info.date = date
    return made


def write(folder: Path, games: list[Game], prefix: str = "g") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, game in enumerate(games):
        (folder / f"{prefix}{i:03d}.sgf").write_bytes(game_to_sgf(game))
    return folder


KEY_AND_SPLIT = ("from goengine.game import Game; from goengine.dataset import main_line_key, split_of; "
                 "g = Game(size=9, moves=[(1, 40), (2, 30), (1, 81)], setup_black=[3]); "
                 "k = main_line_key(g); print(k, split_of(k), split_of(k, (0.5, 0.25, 0.25)))")


def test_keys_and_splits_are_the_same_in_processes_with_other_hash_seeds():
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-c", KEY_AND_SPLIT], capture_output=True, text=True, cwd=ROOT,
                             env=env, timeout=60)
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
    here = Game(size=9, moves=[(BLACK, 40), (WHITE, 30), (BLACK, 81)], setup_black=[3])
    key = main_line_key(here)
    assert outputs.pop().split()[0] == str(key)
    # pinned (the key the rnn_tools splits were made with): a change would move games between splits silently
    assert key == key_of_codes(9, np.array([40, 30 | 1 << 15, 81], np.uint16), [3]) == 0xE85F7D5B61D119F3


def test_the_key_tells_games_apart_and_a_pack_gives_the_same_key():
    original = game(1)
    assert main_line_key(original) == key_of_codes(original.size, encode_moves(original.moves))
    other_colour = Game(size=9, moves=[(WHITE if c == BLACK else BLACK, p) for c, p in original.moves])
    other_size = Game(size=13, moves=list(original.moves))
    with_setup = Game(size=9, moves=list(original.moves), setup_black=[0])
    shorter = Game(size=9, moves=original.moves[:-1])
    keys = {main_line_key(g) for g in (original, other_colour, other_size, with_setup, shorter)}
    assert len(keys) == 5
    renamed = Game(size=9, moves=list(original.moves), info=GameInfo(black="x", date="1999"), source="elsewhere")
    assert main_line_key(renamed) == main_line_key(original)


def test_split_fractions_hold_and_copies_share_a_split():
    games = [game(i, moves=12) for i in range(400)]
    parts = split_games(games, (0.5, 0.3, 0.2))
    assert [len(parts[s]) for s in ("train", "val", "test")] == pytest.approx([200, 120, 80], abs=30)
    assert split_games(games, (0, 1, 0))["val"] == games
    small = split_games(games, (0.98, 0.01, 0.01))
    assert {id(g) for g in small["test"] + small["val"]} <= {id(g) for g in parts["test"] + parts["val"]}
    for one in games[:20]:
        copy = Game(size=9, moves=list(one.moves), source="another tournament")
        assert split_of(main_line_key(copy)) == split_of(main_line_key(one))


def test_year_ranges_and_fractions_from_the_command_line():
    assert year_range("2020-2022") == (2020, 2022) and year_range("2020-") == (2020, None)
    assert year_range("-2019") == (None, 2019) and year_range("2021") == (2021, 2021)
    for bad in ("", "-", "20x0", "2022-2020", "2020-21-22"):
        with pytest.raises(ValueError, match="year range"):
            year_range(bad)
    assert split_fractions("0.98,0.01,0.01") == (0.98, 0.01, 0.01)
    for bad in ("1,0", "0.5,0.5,0.5", "a,b,c", "1.5,-0.5,0"):
        with pytest.raises(ValueError, match="fractions"):
            split_fractions(bad)


def test_undated_games_do_not_slip_past_an_excluded_range():
    keep_out = DataFilter(exclude_years=(2020, None))
    assert keep_out.reason_to_skip(game(0, date="2021-05-01")) == "in excluded date range"
    assert keep_out.reason_to_skip(game(0, date="")) == "no date"
    assert keep_out.reason_to_skip(game(0, date="2019-12-31")) is None
    assert DataFilter().reason_to_skip(game(0, date="")) is None  # no range set: dates do not matter
    only = DataFilter(years=(2020, 2022))
    assert only.reason_to_skip(game(0, date="")) == "no date"
    assert only.reason_to_skip(game(0, date="2023")) == "outside date range"
    handicap = game(0)
    handicap.setup_black = [20, 60]
    assert DataFilter(allow_handicap=False).reason_to_skip(handicap) == "handicap or setup stones"
    assert DataFilter(min_moves=40).reason_to_skip(game(0, moves=30)) == "fewer than 40 moves"


def test_reader_counts_every_skip_and_drops_repeats(tmp_path):
    games = [game(i, date="2015") for i in range(6)]
    repeat = Game(size=9, moves=list(games[2].moves), info=GameInfo(date="2016"))  # filed twice
    undated = game(50, date="")
    short = game(51, moves=5)
    folder = write(tmp_path / "a", games + [repeat, undated, short])
    (folder / "broken.sgf").write_bytes(b"(;GM[1]SZ[9];B[ee];W[")
    (folder / "small.sgf").write_bytes(game_to_sgf(game(52, size=7)))
    reader = UniqueReader(str(folder), DataFilter(size=9, min_moves=10, exclude_years=(2020, None)))
    kept = list(reader)
    assert [main_line_key(g) for g in kept] == [main_line_key(g) for g in games]
    skipped = reader.stats.skipped
    assert skipped == {"duplicate main line": 1, "no date": 1, "fewer than 10 moves": 1, "unparsable game": 1,
                       "board size 7": 1}
    assert reader.stats.games_kept == 6 and reader.stats.files == 11
    assert reader.sources[str(folder)]["kept"] == 6
    excluded = UniqueReader(str(folder), DataFilter(size=9, min_moves=10), exclude=[main_line_key(games[0])],
                            exclude_reason="in the training pack")
    assert len(list(excluded)) == 6 and excluded.stats.skipped["in the training pack"] == 1  # undated is kept
    assert len(read_unique(str(folder), DataFilter(size=9), limit=3)[0]) == 3


def test_sampling_every_nth_file_and_reading_in_parallel(tmp_path):
    a = write(tmp_path / "a", [game(i) for i in range(30)])
    b = write(tmp_path / "b", [game(i) for i in range(20, 40)], prefix="h")  # 10 repeats of a
    sample, stats = read_unique(str(a), DataFilter(size=9), every=3)
    assert 0 < len(sample) < 30 and stats.files == len(sample)
    one, _ = read_unique([str(a), str(b)], DataFilter(size=9))
    parallel = UniqueReader([str(a), str(b)], DataFilter(size=9), workers=2, keep_comments=False)
    assert [main_line_key(g) for g in parallel] == [main_line_key(g) for g in one] and len(one) == 40
    assert parallel.stats.skipped["duplicate main line"] == 10 and parallel.sources[str(b)]["kept"] == 10


def test_packs_store_keys_and_their_overlap_is_found(tmp_path):
    train_games = [game(i) for i in range(30)]
    other = [game(i) for i in range(25, 45)]  # 5 games of the training set
    build_packs([str(write(tmp_path / "train", train_games))], tmp_path / "t", DataFilter(size=9), (1, 0, 0),
                workers=1, progress=False)
    build_packs([str(write(tmp_path / "other", other))], tmp_path / "o", DataFilter(size=9), (0, 1, 0),
                workers=1, progress=False)
    train, val = PackedGames.load(tmp_path / "t" / "train.npz"), PackedGames.load(tmp_path / "o" / "val.npz")
    assert train.keys is not None and len(train) == 30 and len(val) == 20
    assert overlap(val, train) == 5 and overlap(train, val) == 5
    old = PackedGames(val.size, val.moves, val.offsets, val.winner, val.komi)  # a pack written before keys
    assert (old.main_line_keys() == val.keys).all() and overlap(old, train) == 5
    assert (val.subset(np.array([3, 1])).keys == val.keys[[3, 1]]).all()


def run_main(main, args: list[str], capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a command's ``main`` run in this process."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_pack_and_evaluate_report_or_refuse_overlap(tmp_path, capsys):
    from policy import evaluate, pack
    train_dir = write(tmp_path / "train", [game(i) for i in range(12)])
    other_dir = write(tmp_path / "other", [game(i) for i in range(9, 15)])  # 3 in training
    common = ["--size", "9", "--min-moves", "10", "--workers", "1"]
    code, _, err = run_main(pack.main, [str(train_dir), "--out", str(tmp_path / "t"), "--split", "1,0,0", *common],
                            capsys)
    assert code == 0, err
    train_pack = str(tmp_path / "t" / "train.npz")
    code, out, err = run_main(pack.main, [str(other_dir), "--out", str(tmp_path / "v"), "--split", "0,1,0",
                                          "--train-pack", train_pack, *common], capsys)
    assert code == 0 and json.loads(out)["in_train_pack"] == {"train": 0, "val": 3, "test": 0}
    assert "3 packed games are also in" in err
    code, out, _ = run_main(pack.main, [str(other_dir), "--out", str(tmp_path / "v2"), "--split", "0,1,0",
                                        "--train-pack", train_pack, "--drop-overlap", *common], capsys)
    report = json.loads(out)
    assert report["games"]["val"] == 3 and report["skipped"]["in the training pack"] == 3
    assert sum(report["in_train_pack"].values()) == 0
    code, _, err = run_main(pack.main, [str(other_dir), "--out", str(tmp_path / "x"), "--years", "20-19-18"], capsys)
    assert code == 2 and "not a year range" in err

    val_pack = str(tmp_path / "v" / "val.npz")
    code, out, err = run_main(evaluate.main, [val_pack, "--train-pack", train_pack, "--json"], capsys)
    assert code == 0 and json.loads(out)["in_train_pack"] == 3, err
    (other_dir / "copy.sgf").write_bytes((other_dir / "g000.sgf").read_bytes())  # one game filed twice
    code, out, _ = run_main(evaluate.main, [str(other_dir), "--size", "9", "--train-pack", train_pack, "--json"],
                            capsys)
    result = json.loads(out)
    assert result["in_train_pack"] == 3  # an archive is checked game by game
    assert result["games"] == 6 and result["skipped"] == {"duplicate main line": 1}
    code, out, err = run_main(evaluate.main, [val_pack, "--train-pack", train_pack, "--refuse-overlap"], capsys)
    assert code == 1 and "is in the training pack" in err and not out
    code, out, _ = run_main(evaluate.main, [str(tmp_path / "v2" / "val.npz"), "--train-pack", train_pack,
                                            "--refuse-overlap", "--json"], capsys)
    assert code == 0 and json.loads(out)["in_train_pack"] == 0


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "sub" / "file.bin"
    atomic_write(path, lambda fh: fh.write(b"first"))
    assert path.read_bytes() == b"first" and oct(path.stat().st_mode & 0o777) == "0o644"

    def failing(fh):
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, failing)
    assert path.read_bytes() == b"first" and os.listdir(path.parent) == ["file.bin"]
