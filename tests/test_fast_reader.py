"""The compiled tactical reader gives exactly the go-40 planes of the pure-Python reader it replaced, and its board
facts for the go-27 planes agree with ``Board``.

``fixtures/go40_tactical_planes.npz`` holds planes 27-39 of every position of five random games (``synthetic``),
bit-packed, as the pure-Python reader of commit b17702c computed them; random play leaves many strings in atari,
so the games are full of ladders, escapes and captures.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from goengine import BLACK, WHITE, Board, tactics
from goengine.features import GO_40
from synthetic import random_game

FIXTURE = Path(__file__).parent / "fixtures" / "go40_tactical_planes.npz"
GAMES = {"19-250-1": (19, 250, 1), "19-250-2": (19, 250, 2), "19-300-3": (19, 300, 3), "13-150-4": (13, 150, 4),
         "9-80-5": (9, 80, 5)}
FIRST_TACTICAL = 27


@pytest.mark.parametrize("key", GAMES)
def test_tactical_planes_equal_the_pure_python_readers(key: str) -> None:
    size = GAMES[key][0]
    with np.load(FIXTURE) as stored:
        expected = np.unpackbits(stored[key], axis=1, count=(GO_40.num_planes - FIRST_TACTICAL) * size * size)
    expected = expected.reshape(-1, GO_40.num_planes - FIRST_TACTICAL, size, size)
    assert expected[:, 8:12].sum() > 100  # ladder captures, escapes and laddered stones of both sides are there
    planes = GO_40.encode_game(random_game(*GAMES[key]))[0][:, FIRST_TACTICAL:]
    assert planes.shape == expected.shape
    for i, (got, want) in enumerate(zip(planes, expected)):
        assert (got == want).all(), f"position {i}: planes {sorted(set(np.argwhere(got != want)[:, 0] + 27))}"


@pytest.mark.parametrize("allow_suicide", [False, True])
def test_board_facts_agree_with_the_board(allow_suicide: bool) -> None:
    """Liberty counts and ko/suicide points from the stones agree with ``Board``'s own groups and rules, on crowded
    random 5x5 games (many suicide points, ko fights)."""
    rng = random.Random(11)
    illegal_seen = 0
    for _ in range(40):
        board = Board(5, allow_suicide=allow_suicide)
        for _ in range(rng.randrange(5, 40)):
            board.play(rng.choice(board.legal_moves()))
            assert tactics.liberty_counts(board).tolist() == board.liberty_counts()
            for color in (BLACK, WHITE):
                expected = [p for p in range(board.n)
                            if not board.stones[p] and board.illegal_reason(p, color) in ("ko", "suicide")]
                assert np.flatnonzero(tactics.ko_and_suicide_points(board, color)).tolist() == expected
                illegal_seen += len(expected)
    assert illegal_seen > (2 if allow_suicide else 20)  # with suicide allowed only ko points are left
