"""The compiled tactical reader gives exactly the go-40 planes of the pure-Python reader it replaced.

``fixtures/go40_tactical_planes.npz`` holds planes 27-39 of every position of five random games (``synthetic``),
bit-packed, as the pure-Python reader of commit b17702c computed them; random play leaves many strings in atari,
so the games are full of ladders, escapes and captures.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
