"""The tactical reader and the go-40 planes built on it, on hand-made positions."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from goengine import BLACK, WHITE, Board, from_gtp
from goengine.features import GO_27, GO_40
from goengine.sgf import parse_sgf
from goengine.symmetry import transform_move, transform_planes
from goengine.tactics import Ladders, move_effects

FIXTURES = Path(__file__).parent / "fixtures"
PLANE = {g.name: first for first, _, g in GO_40.layout()}


def board_from(diagram: str, to_move: int = BLACK) -> Board:
    """A board from rows of ``X`` (Black), ``O`` (White) and ``.``, the top row first."""
    rows = [line.split() for line in diagram.strip().splitlines()]
    size = len(rows)
    black, white = [], []
    for i, row in enumerate(rows):
        for j, ch in enumerate(row):
            point = (size - 1 - i) * size + j
            (black if ch == "X" else white if ch == "O" else []).append(point)
    board = Board(size)
    board.setup(black=black, white=white)
    board.to_move = to_move
    return board


def at(planes: np.ndarray, name: str, vertex: str, offset: int = 0) -> float:
    size = planes.shape[-1]
    return float(planes[PLANE[name] + offset].reshape(-1)[from_gtp(vertex, size)])


def long_ladder(breaker: str | None = None) -> Board:
    """A white stone at D4 that Black ladders from C4 across the whole 19x19 board to the upper right."""
    board = Board(19)
    board.setup(black=[from_gtp(v, 19) for v in ("E4", "D3", "C5")], white=[from_gtp("D4", 19)])
    if breaker:
        board.setup(white=[from_gtp(breaker, 19)])
    board.to_move = BLACK
    return board


def test_a_ladder_across_the_board_works_and_a_breaker_breaks_it() -> None:
    d4 = from_gtp("D4", 19)
    working = long_ladder()
    assert from_gtp("C4", 19) in Ladders(working).capture_moves(d4)
    assert Ladders(working).captured(d4)
    broken = long_ladder(breaker="Q16")
    assert from_gtp("C4", 19) not in Ladders(broken).capture_moves(d4)
    # the other atari drives the stone toward the lower left corner, where Q16 does not help
    assert Ladders(broken).capture_moves(d4) == [from_gtp("D5", 19)]
    both_broken = long_ladder(breaker="Q16")
    both_broken.setup(white=[from_gtp("B3", 19)])
    assert Ladders(both_broken).capture_moves(d4) == [] and not Ladders(both_broken).captured(d4)


def test_ladder_planes_for_both_sides() -> None:
    board = long_ladder()
    planes = GO_40.encode(board)  # Black to move: C4 starts the ladder, D4 is a white laddered stone
    assert at(planes, "ladder capture", "C4") == 1 and at(planes, "opponent laddered", "D4") == 1
    assert at(planes, "ladder capture", "A1") == 0 and at(planes, "own laddered", "E4") == 0
    for breaker, escapes in ((None, False), ("Q16", True)):
        board = long_ladder(breaker)
        board.play(from_gtp("C4", 19), BLACK)  # atari; White to move
        planes = GO_40.encode(board)
        assert at(planes, "ladder escape", "D5") == escapes
        assert at(planes, "own laddered", "D4") == (not escapes)


@pytest.mark.parametrize("k", range(8))
def test_tactical_planes_turn_with_the_board(k: int) -> None:
    board = long_ladder()
    turned = Board(19)
    turned.setup(black=[transform_move(p, 19, k) for p in range(361) if board.stones[p] == BLACK],
                 white=[transform_move(p, 19, k) for p in range(361) if board.stones[p] == WHITE])
    turned.to_move = BLACK
    assert (transform_planes(GO_40.encode(board), k) == GO_40.encode(turned)).all()


def test_capture_size_planes() -> None:
    board = board_from("""
        . . . . .
        X X X . .
        O O O X .
        X X . X .
        . . X . .""")
    planes = GO_40.encode(board)  # C2 takes three white stones
    assert [at(planes, "captures", "C2", k) for k in range(3)] == [1, 1, 0]
    assert at(planes, "captures", "E5", 0) == 0
    effect = move_effects(board, BLACK)[from_gtp("C2", 5)]
    assert effect.captures == 3 and effect.liberties >= 4


def test_self_atari_planes() -> None:
    board = board_from("""
        . . . . .
        . O O O .
        O X X X O
        . O O . O
        . . . . .""", to_move=BLACK)
    planes = GO_40.encode(board)  # D2 joins the three black stones with one liberty left (A3 is White)
    assert at(planes, "liberties after move", "D2", 0) == 1
    assert at(planes, "large self-atari", "D2") == 1
    assert at(planes, "large self-atari", "A1") == 0
    assert at(planes, "liberties after move", "A1", 1) == 1  # a corner stone has two liberties


def test_atari_escape_by_extension() -> None:
    board = board_from("""
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . X O X . .
        . . . X . . .
        . . . . . . .
        . . . . . . .""", to_move=WHITE)
    # the white stone in atari extends to D5 with three liberties: an escape, and no ladder
    planes = GO_40.encode(board)
    assert at(planes, "ladder escape", "D5") == 1 and at(planes, "own laddered", "D4") == 0
    assert at(planes, "liberties after move", "D5", 2) == 1  # three liberties after the move


@pytest.mark.parametrize("black_libs,captured", [(2, True), (1, False)])
def test_capturing_race_one_liberty_apart(black_libs: int, captured: bool) -> None:
    """Black to move against White's B2-B3 (two liberties), racing Black's A2-A3: with two liberties Black wins
    the race; with one (White's A4 takes the other), White captures Black first and lives."""
    board = board_from("""
        . . . . . .
        . . . . . .
        %s . . . . .
        X O X . . .
        X O X . . .
        . . . . . .""" % ("." if black_libs == 2 else "O"))
    white = from_gtp("B2", 6)
    assert len(board.group_liberties(white)) == 2
    assert len(board.group_liberties(from_gtp("A2", 6))) == black_libs
    assert Ladders(board).captured(white) == captured
    planes = GO_40.encode(board)
    assert at(planes, "opponent laddered", "B3") == captured


def test_own_eye_plane() -> None:
    board = board_from("""
        . X . . .
        X X . . .
        . . . . .
        . . . O .
        . . O . O""")
    planes = GO_40.encode(board)
    assert at(planes, "own eyes", "A5") == 1 and at(planes, "own eyes", "D1") == 0
    board.to_move = WHITE
    assert at(GO_40.encode(board), "own eyes", "D1") == 1


def test_move_effects_match_playing_the_move() -> None:
    """Liberties and captures predicted without playing agree with the board after the move, on random games."""
    rng = random.Random(5)
    checked = 0
    for game in range(6):
        board = Board(7)
        for _ in range(rng.randrange(10, 60)):
            legal = board.legal_moves()
            board.play(rng.choice(legal))
        color = board.to_move
        effects = move_effects(board, color)
        for p in range(board.n):
            legal = board.illegal_reason(p, color) is None and not board.stones[p]
            assert (p in effects) == legal, p
            if legal:
                after = board.copy()
                taken = after.play(p, color)
                assert effects[p].captures == len(taken)
                assert effects[p].liberties == after.liberties(p)
                assert effects[p].string_size == len(after.group_stones(p))
                checked += 1
    assert checked > 50


def test_superko_points_are_not_in_the_illegal_plane() -> None:
    """Plane 25 holds simple ko and suicide only, as training computes it: a superko point stays 0."""
    rng = random.Random(3)
    for _ in range(400):
        board = Board(3, superko=True)
        for _ in range(40):
            board.play(rng.choice(board.legal_moves()))
            hits = [p for p in range(board.n) if board.illegal_reason(p) == "superko"]
            if hits:
                planes = GO_27.encode(board).reshape(27, -1)
                assert not planes[25, hits].any()
                return
    pytest.fail("no superko position found")


@pytest.mark.parametrize("name", ["small_9x9.sgf", "small_13x13.sgf"])
def test_game_encoder_agrees_with_board_encoder_on_records(name: str) -> None:
    (game,), errors = parse_sgf((FIXTURES / name).read_bytes())
    assert not errors
    planes, labels, colors = GO_40.encode_game(game)
    board = game.new_board()
    for i, (color, point) in enumerate(game.moves):
        board.to_move = color
        assert (planes[i] == GO_40.encode(board)).all(), i
        board.play(point, color)
    assert len(planes) == len(game.moves) > 3
