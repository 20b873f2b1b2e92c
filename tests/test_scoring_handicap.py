"""Scoring (area and territory, seki, jigo, prisoners, dead stones) and GTP fixed handicap placement."""
from __future__ import annotations

import pytest

from goengine import BLACK, EMPTY, WHITE, Board, area_score, from_gtp, result_string, score, territory_score, to_gtp
from goengine.handicap import fixed_handicap, free_handicap, max_fixed_handicap


def board_from_rows(rows: list[str]) -> Board:
    """A board from text rows, top row first: X black, O white, . empty."""
    size = len(rows)
    board = Board(size)
    black, white = [], []
    for i, row in enumerate(rows):
        r = size - 1 - i
        for c, ch in enumerate(row.replace(" ", "")):
            (black if ch == "X" else white if ch == "O" else []).append(r * size + c)
    board.setup(black=black, white=white)
    return board


SEKI = ["...O.",
        "OOOO.",
        "XXXO.",
        "O.XO.",
        ".XXO."]


def test_seki_shared_liberties_count_for_nobody() -> None:
    board = board_from_rows(SEKI)
    # it is a seki: whoever plays a shared liberty puts their own group in atari and loses it
    for p in ("A1", "B2"):
        for color in (BLACK, WHITE):
            trial = board.copy()
            trial.play(from_gtp(p, 5), color)
            other = from_gtp("B2" if p == "A1" else "A1", 5)
            assert trial.illegal_reason(other, 3 - color) is None
            assert trial.play(other, 3 - color), "the reply captures"
    area = area_score(board, komi=0)
    assert area.black == 6 and area.white == 17
    assert area.owner[from_gtp("A1", 5)] == EMPTY and area.owner[from_gtp("B2", 5)] == EMPTY
    terr = territory_score(board, komi=0)
    assert terr.black == 0 and terr.white == 8
    assert terr.owner[from_gtp("A1", 5)] == EMPTY and terr.owner[from_gtp("A5", 5)] == WHITE


SPLIT = [".XO.",
         ".XO.",
         ".XO.",
         "OXO."]


def test_jigo_and_prisoners() -> None:
    board = board_from_rows(SPLIT)
    assert board.play(from_gtp("A2", 4), BLACK) == [from_gtp("A1", 4)]
    assert board.captures[BLACK] == 1
    area = area_score(board, komi=0)
    assert (area.black, area.white) == (8, 8) and area.margin == 0 and area.result == "0"
    terr = territory_score(board, komi=0)
    # black: A1 A3 A4 territory + 1 prisoner; white: column D
    assert (terr.black, terr.white) == (4, 4) and terr.result == "0"
    assert territory_score(board, komi=0.5).result == "W+0.5"
    assert score(board, 7.5, "chinese").margin == -7.5
    assert score(board, 6.5, "japanese").margin == -6.5
    with pytest.raises(ValueError):
        score(board, 7.5, "ing-ish")


def test_dead_stones_given_by_caller() -> None:
    board = board_from_rows([".XO.",
                             "OXO.",
                             ".XO.",
                             ".XOX"])
    dead_white, dead_black = from_gtp("A3", 4), from_gtp("D1", 4)
    plain = area_score(board, komi=0)
    # without dead stones: A4, A2, A1 touch the white A3 and D4-D2 touch black D1, so only stones count
    assert plain.black == 5 and plain.white == 5
    cleaned = area_score(board, komi=0, dead=[dead_white, dead_black])
    assert cleaned.black == 8 and cleaned.white == 8
    assert cleaned.owner[dead_white] == BLACK and cleaned.owner[dead_black] == WHITE
    terr = territory_score(board, komi=0, dead=[dead_white, dead_black])
    # territory: 4 points + 1 dead prisoner each
    assert (terr.black, terr.white) == (5, 5)
    assert board.stones[dead_white] == WHITE  # scoring does not change the board


def test_area_versus_territory() -> None:
    board = board_from_rows([".X.O.",
                             ".X.O.",
                             "XX.OO",
                             ".....",
                             "....."])
    area = area_score(board, komi=0)
    terr = territory_score(board, komi=0)
    # black stones B5 B4 A3 B3 = 4, territory A5 A4 = 2
    assert area.black == 6 and terr.black == 2
    # white stones D5 D4 D3 E3 = 4, territory E5 E4 = 2; the rest is shared
    assert area.white == 6 and terr.white == 2
    assert area.owner[from_gtp("C5", 5)] == EMPTY


def test_result_string() -> None:
    assert result_string(0) == "0" and result_string(0.0) == "0"
    assert result_string(3.5) == "B+3.5" and result_string(-0.5) == "W+0.5" and result_string(-12) == "W+12"


GTP_19 = ["D4", "Q16", "D16", "Q4", "D10", "Q10", "K4", "K16", "K10"]


@pytest.mark.parametrize("stones", range(2, 10))
def test_fixed_handicap_19(stones: int) -> None:
    names = [to_gtp(p, 19) for p in fixed_handicap(19, stones)]
    expected = {2: GTP_19[:2], 3: GTP_19[:3], 4: GTP_19[:4], 5: GTP_19[:4] + ["K10"], 6: GTP_19[:6],
                7: GTP_19[:6] + ["K10"], 8: GTP_19[:8], 9: GTP_19}[stones]
    assert names == expected


def test_fixed_handicap_other_sizes() -> None:
    assert [to_gtp(p, 9) for p in fixed_handicap(9, 9)] == ["C3", "G7", "C7", "G3", "C5", "G5", "E3", "E7", "E5"]
    assert [to_gtp(p, 13) for p in fixed_handicap(13, 5)] == ["D4", "K10", "D10", "K4", "G7"]
    assert [to_gtp(p, 7) for p in fixed_handicap(7, 4)] == ["C3", "E5", "C5", "E3"]
    assert max_fixed_handicap(7) == 4 and max_fixed_handicap(9) == 9 and max_fixed_handicap(25) == 9
    for even in (8, 10, 12, 14, 16, 18, 20, 24):
        assert max_fixed_handicap(even) == 4
        assert len(fixed_handicap(even, 4)) == 4
        with pytest.raises(ValueError):
            fixed_handicap(even, 5)
    assert [to_gtp(p, 10) for p in fixed_handicap(10, 4)] == ["C3", "H8", "C8", "H3"]
    for small in range(2, 7):
        assert max_fixed_handicap(small) == 0
        with pytest.raises(ValueError):
            fixed_handicap(small, 2)
    with pytest.raises(ValueError):
        fixed_handicap(7, 5)
    with pytest.raises(ValueError):
        fixed_handicap(19, 1)
    with pytest.raises(ValueError):
        fixed_handicap(19, 10)


def test_free_handicap() -> None:
    assert free_handicap(19, 4) == fixed_handicap(19, 4)
    points = free_handicap(19, 13)
    assert len(points) == len(set(points)) == 13 and points[:9] == fixed_handicap(19, 9)
    small = free_handicap(5, 3)
    assert len(set(small)) == 3 and all(0 <= p < 25 for p in small)
