"""Reading real-world SGF oddities (``tests/fixtures``, hand-written) and streaming them with ``GameReader``."""
from __future__ import annotations

import io
import os
import shutil
import tarfile
import zipfile

import pytest

from goengine import BLACK, WHITE, from_gtp, replay
from goengine.archive import GameReader
from goengine.sgf import SgfError, parse_sgf, read_game

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def fixture(name: str) -> str:
    return os.path.join(FIXTURES, name)


def test_handicap_stones_in_node_2() -> None:
    game = read_game(fixture("fox_handicap_node2.sgf"))
    assert game.size == 19 and game.handicap == 2
    assert sorted(game.setup_black) == sorted([from_gtp("D4", 19), from_gtp("Q16", 19)])
    assert game.first_player == WHITE and game.moves[0] == (WHITE, from_gtp("D16", 19))
    assert "setup stones in node 2" in game.notes
    assert game.komi == 0
    board = replay(game)
    assert board.stones[from_gtp("D4", 19)] == BLACK and board.move_number == 6


def test_missing_handicap_stones_placed() -> None:
    game = read_game(fixture("fox_handicap_missing.sgf"))
    assert game.handicap == 4 and sorted(game.setup_black) == sorted(from_gtp(v, 19) for v in ("D4", "Q16", "D16", "Q4"))
    assert any(note.startswith("handicap stones missing") for note in game.notes)
    assert game.new_board().to_move == WHITE


def test_fox_komi_650_is_6_5() -> None:
    game = read_game(fixture("komi_650.sgf"))
    assert game.komi == 6.5
    assert any(note.startswith("komi 650") for note in game.notes)
    assert game.info.result.winner == BLACK and game.info.result.margin == 3.5


@pytest.mark.parametrize("name", ["pass_tt.sgf", "pass_empty.sgf"])
def test_passes(name: str) -> None:
    game = read_game(fixture(name))
    assert [p for _, p in game.moves[-2:]] == [361, 361]
    assert [c for c, _ in game.moves[-2:]] == [BLACK, WHITE]
    assert ("pass written as tt" in game.notes) == (name == "pass_tt.sgf")
    assert replay(game).passes == 2


def test_jigo_result_read() -> None:
    result = read_game(fixture("pass_empty.sgf")).info.result
    assert result.winner is None and result.reason == "draw" and result.margin == 0


def test_truncated_file_is_an_error_naming_it() -> None:
    with pytest.raises(SgfError, match="truncated.sgf"):
        read_game(fixture("truncated.sgf"))
    games, errors = parse_sgf(open(fixture("truncated.sgf"), "rb").read(), "truncated.sgf")
    assert games == [] and len(errors) == 1 and errors[0].startswith("truncated.sgf")


def test_double_utf8_name_repaired() -> None:
    game = read_game(fixture("double_utf8_name.sgf"))
    assert game.info.black == "柯洁" and game.info.white == "Lee"


def test_rank_with_chinese_pro_unit() -> None:
    from goengine.game import parse_rank
    game = read_game(fixture("fox_handicap_node2.sgf"))
    assert game.info.white_rank == "P3段" and parse_rank(game.info.white_rank) == 12.0
    assert parse_rank(game.info.black_rank) == 5.0


@pytest.mark.parametrize("name,size", [("small_9x9.sgf", 9), ("small_13x13.sgf", 13)])
def test_small_boards(name: str, size: int) -> None:
    game = read_game(fixture(name))
    assert game.size == size
    assert all(0 <= p < size * size for _, p in game.moves)
    assert replay(game).move_number == len(game.moves)


def test_handicap_with_pl_white() -> None:
    game = read_game(fixture("handicap_pl_white.sgf"))
    assert game.handicap == 3 and len(game.setup_black) == 3 and game.first_player == WHITE
    board = game.new_board()
    assert board.to_move == WHITE
    assert replay(game).captures == [0, 0, 0]


def test_illegal_move_reported_with_index() -> None:
    from goengine import ReplayError
    game = read_game(fixture("illegal_move.sgf"))
    with pytest.raises(ReplayError) as info:
        replay(game)
    assert info.value.move_index == 2 and "occupied" in str(info.value) and "illegal_move.sgf" in str(info.value)


def test_collection_with_one_broken_game() -> None:
    games, errors = parse_sgf(open(fixture("collection.sgf"), "rb").read(), "collection.sgf")
    assert [g.info.black for g in games] == ["first", "third"]
    assert len(errors) == 1 and errors[0].startswith("collection.sgf#2")


EXPECTED_ALL_SIZES = {"games_read": 14, "games_kept": 11, "unparsable game": 2, "illegal move": 1}


def check_counts(reader: GameReader, games: list, files: int) -> None:
    stats = reader.stats
    assert stats.files == files
    assert stats.games_read == EXPECTED_ALL_SIZES["games_read"]
    assert stats.games_kept == len(games) == EXPECTED_ALL_SIZES["games_kept"]
    assert stats.skipped == {"unparsable game": 2, "illegal move": 1}
    assert any("truncated.sgf" in e for e in stats.errors)
    assert any("collection.sgf#2" in e for e in stats.errors)
    assert len(reader.illegal) == 1 and "illegal_move.sgf" in reader.illegal[0]
    assert stats.notes["komi"] == 1 and stats.notes["setup stones in node 2"] == 1
    assert stats.notes["pass written"] == 1 and stats.notes["handicap stones missing"] == 1
    assert "skipped" in stats.summary()


def test_reader_on_directory_counts_by_reason() -> None:
    reader = GameReader(FIXTURES, size=None, check_legal=True)
    games = list(reader)
    check_counts(reader, games, files=12)


def test_reader_size_filter_and_truncate() -> None:
    reader = GameReader(FIXTURES, size=19, check_legal=True, on_illegal="truncate")
    games = list(reader)
    assert reader.stats.skipped["board size 9"] == 1 and reader.stats.skipped["board size 13"] == 1
    assert reader.stats.skipped["illegal move"] == 0
    cut = [g for g in games if g.source.endswith("illegal_move.sgf")]
    assert len(cut) == 1 and len(cut[0].moves) == 2 and "truncated at illegal move 3" in cut[0].notes


def test_reader_never_raises_on_bad_paths(tmp_path) -> None:
    bad = tmp_path / "broken.tar.gz"
    bad.write_bytes(b"this is not a gzip file")
    empty = tmp_path / "nothing.sgf"
    empty.write_bytes(b"")
    reader = GameReader([str(tmp_path / "missing"), str(bad), str(empty)], size=None)
    assert list(reader) == []
    assert reader.stats.skipped["unreadable file"] == 2
    assert any("missing" in e for e in reader.stats.errors)
    assert any("broken.tar.gz" in e for e in reader.stats.errors)
    assert any("nothing.sgf" in e for e in reader.stats.errors)


def _fixture_files() -> list[str]:
    return sorted(n for n in os.listdir(FIXTURES) if n.endswith(".sgf"))


@pytest.mark.parametrize("kind", ["tar.xz", "tar.gz", "zip", "directory"])
def test_reader_on_archives(tmp_path, kind: str) -> None:
    names = _fixture_files()
    if kind == "directory":
        target = tmp_path / "tree" / "sub"
        target.mkdir(parents=True)
        for n in names:
            shutil.copy(fixture(n), target / n)
        path = str(tmp_path / "tree")
    elif kind == "zip":
        path = str(tmp_path / "games.zip")
        with zipfile.ZipFile(path, "w") as zf:
            for n in names:
                zf.write(fixture(n), f"games/{n}")
            zf.writestr("games/readme.txt", "not a game")
    else:
        path = str(tmp_path / f"games.{kind}")
        with tarfile.open(path, "w:" + kind.split(".")[1]) as tf:
            for n in names:
                tf.add(fixture(n), f"games/{n}")
            data = b"not a game"
            info = tarfile.TarInfo("games/readme.txt")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    reader = GameReader(path, size=None, check_legal=True)
    games = list(reader)
    check_counts(reader, games, files=len(names))
    assert all(g.source.startswith(path) for g in games)


def test_rectangular_boards_and_setup_conflicts_have_reasons_of_their_own(tmp_path):
    from goengine.archive import GameReader
    games, errors = parse_sgf("(;GM[1]SZ[19:13];B[aa])", "rect.sgf")
    assert not games and errors[0].startswith("rect.sgf") and errors[0].reason == "rectangular board"
    assert parse_sgf("(;GM[1]SZ[9:9];B[aa])")[0][0].size == 9  # a square written as N:N is fine
    games, errors = parse_sgf("(;GM[1]SZ[9]AB[cc][dd]AW[dd];B[ee])", "both.sgf")
    assert not games and "both black and white" in errors[0] and errors[0].startswith("both.sgf")
    (tmp_path / "rect.sgf").write_text("(;GM[1]SZ[19:13];B[aa])")
    (tmp_path / "both.sgf").write_text("(;GM[1]SZ[9]AB[dd]AW[dd];B[ee])")
    (tmp_path / "good.sgf").write_text("(;GM[1]SZ[9];B[ee])")
    reader = GameReader(str(tmp_path), size=None)
    assert len(list(reader)) == 1
    assert reader.stats.skipped == {"rectangular board": 1, "setup stones of both colours on a point": 1}


def test_archive_members_over_the_size_limit_are_skipped_unread(tmp_path, monkeypatch):
    import goengine.archive as archive
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 1000)
    big = b"(;GM[1]SZ[19]" + b";B[pd];W[dp]" * 200 + b")"
    small = b"(;GM[1]SZ[9];B[ee])"
    path = tmp_path / "games.tar.xz"
    with tarfile.open(path, "w:xz") as tf:
        for name, data in (("big.sgf", big), ("small.sgf", small)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(tmp_path / "games.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.sgf", big)
    (tmp_path / "alone.sgf").write_bytes(big)
    reader = GameReader(str(tmp_path), size=None)
    assert [g.size for g in reader] == [9]
    assert reader.stats.skipped == {"file too large": 3}
