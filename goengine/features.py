"""Input planes for the policy network, from the side to move's view, defined once in one table.

Each entry of ``PLANES`` is a group of planes: its name, how many planes, what they mean, and the function that
fills them. A feature set is a named, versioned list of groups; a model file stores the name and version of the
set it was trained on, and ``feature_set`` finds it again (old models keep loading). Both encoders read the same
table: ``FeatureSet.encode`` for one board and ``FeatureSet.encode_game`` for every position of a game, which
replays the game and encodes each position, so the two cannot disagree.

``go-27`` (v1), the planes of the first shipped models:

====== =====================================================================
0-7    the mover's stones now, 1, 2 ... 7 positions ago (zeros before the start)
8-15   the opponent's stones at the same eight times
16     side to move is Black (all ones) or White (all zeros)
17-20  the mover's stones whose string has 1, 2, 3, 4+ liberties
21-24  the opponent's stones whose string has 1, 2, 3, 4+ liberties
25     empty points where the mover may not play: the ko point and suicide (superko is left to the legality
       mask, as in training, where games are replayed without it)
26     all ones (lets the zero-padded convolutions see the edge)
====== =====================================================================

``go-40`` (v1) adds the tactical facts of ``goengine.tactics``, at the empty points where the mover may play:

====== =====================================================================
27-30  the liberties of the mover's string after a move here: 1 (self-atari), 2, 3, 4+
31-33  opponent stones a move here captures: at least 1, 3, 7
34     a self-atari of 3 or more stones
35     a move here starts a ladder that captures an opponent string
36     a move here extends a mover's string out of atari and out of the ladder
37     the mover's stones that a ladder captures
38     the opponent's stones that a ladder captures
39     the mover's own true eyes (filling one is almost never right)
====== =====================================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from .board import BLACK, Board
from . import tactics

HISTORY = 8
_LIB_COUNTS = np.arange(1, 5, dtype=np.int16)[:, None]
_CAPTURE_SIZES = np.array([[1], [3], [7]], dtype=np.int16)


class _Position:
    """One board seen from the side to move, with the facts several plane groups share, computed when first
    asked for."""

    def __init__(self, board: Board):
        self.board = board
        self.me = board.to_move
        self.opp = 3 - self.me
        self.now = np.frombuffer(bytes(board.stones), dtype=np.uint8)

    @cached_property
    def history(self) -> np.ndarray:
        """The stones of the current and up to 7 earlier positions, newest first, one row each."""
        stacked = self.board.history(HISTORY)
        return np.frombuffer(b"".join(stacked), dtype=np.uint8).reshape(len(stacked), self.board.n)

    @cached_property
    def liberties(self) -> np.ndarray:
        return np.minimum(tactics.liberty_counts(self.board), 4)

    @cached_property
    def facts(self) -> np.ndarray:
        """``goengine.tactics.read_position`` for the mover: move effects, ladders and eyes, one row each."""
        return tactics.read_position(self.board, self.me)


Fill = Callable[[_Position, np.ndarray], None]


@dataclass(frozen=True)
class Planes:
    """A group of ``count`` planes: ``fill(position, out)`` writes them into ``out[count, size*size]`` (zeros)."""
    name: str
    count: int
    meaning: str
    fill: Fill


def _own_history(pos: _Position, out: np.ndarray) -> None:
    out[:len(pos.history)] = pos.history == pos.me


def _opponent_history(pos: _Position, out: np.ndarray) -> None:
    out[:len(pos.history)] = pos.history == pos.opp


def _black_to_move(pos: _Position, out: np.ndarray) -> None:
    if pos.me == BLACK:
        out[0] = 1.0


def _liberty_bands(color_of: Callable[[_Position], int]) -> Fill:
    def fill(pos: _Position, out: np.ndarray) -> None:
        out[:] = (pos.liberties[None, :] == _LIB_COUNTS) & (pos.now == color_of(pos))
    return fill


def _illegal(pos: _Position, out: np.ndarray) -> None:
    out[0] = tactics.ko_and_suicide_points(pos.board, pos.me)


def _ones(pos: _Position, out: np.ndarray) -> None:
    out[0] = 1.0


def _liberties_after(pos: _Position, out: np.ndarray) -> None:
    out[:] = np.minimum(pos.facts[tactics.LIBERTIES], 4)[None, :] == _LIB_COUNTS


def _captures(pos: _Position, out: np.ndarray) -> None:
    out[:] = pos.facts[tactics.CAPTURES][None, :] >= _CAPTURE_SIZES


def _large_self_atari(pos: _Position, out: np.ndarray) -> None:
    facts = pos.facts
    out[0] = (facts[tactics.LIBERTIES] == 1) & (facts[tactics.STRING_SIZE] >= 3)


def _ladder_captures(pos: _Position, out: np.ndarray) -> None:
    out[0] = pos.facts[tactics.LADDER_CAPTURE]


def _ladder_escapes(pos: _Position, out: np.ndarray) -> None:
    out[0] = pos.facts[tactics.LADDER_ESCAPE]


def _laddered(color_of: Callable[[_Position], int]) -> Fill:
    def fill(pos: _Position, out: np.ndarray) -> None:
        out[0] = (pos.now == color_of(pos)) & (pos.facts[tactics.LADDERED] == 1)
    return fill


def _own_eyes(pos: _Position, out: np.ndarray) -> None:
    out[0] = pos.facts[tactics.TRUE_EYE]


def _mover(pos: _Position) -> int:
    return pos.me


def _opponent(pos: _Position) -> int:
    return pos.opp


PLANES: dict[str, Planes] = {p.name: p for p in (
    Planes("own stones", HISTORY, "the mover's stones now and 1-7 positions ago", _own_history),
    Planes("opponent stones", HISTORY, "the opponent's stones now and 1-7 positions ago", _opponent_history),
    Planes("black to move", 1, "all ones when Black is to move", _black_to_move),
    Planes("own liberties", 4, "the mover's stones by liberties of their string: 1, 2, 3, 4+",
           _liberty_bands(_mover)),
    Planes("opponent liberties", 4, "the opponent's stones by liberties of their string: 1, 2, 3, 4+",
           _liberty_bands(_opponent)),
    Planes("illegal", 1, "the ko point and suicide points for the mover", _illegal),
    Planes("ones", 1, "all ones", _ones),
    Planes("liberties after move", 4, "liberties of the mover's string after a move here: 1, 2, 3, 4+",
           _liberties_after),
    Planes("captures", 3, "opponent stones a move here captures: at least 1, 3, 7", _captures),
    Planes("large self-atari", 1, "a move here puts 3 or more of the mover's stones in atari", _large_self_atari),
    Planes("ladder capture", 1, "a move here starts a ladder that captures", _ladder_captures),
    Planes("ladder escape", 1, "a move here extends out of atari and out of the ladder", _ladder_escapes),
    Planes("own laddered", 1, "the mover's stones a ladder captures", _laddered(_mover)),
    Planes("opponent laddered", 1, "the opponent's stones a ladder captures", _laddered(_opponent)),
    Planes("own eyes", 1, "the mover's true one-point eyes", _own_eyes),
)}


class FeatureSet:
    """A named, versioned sequence of plane groups from ``PLANES``."""

    def __init__(self, name: str, version: int, groups: tuple[str, ...]):
        self.name, self.version = name, version
        self.groups = tuple(PLANES[g] for g in groups)
        self.num_planes = sum(g.count for g in self.groups)

    def __repr__(self) -> str:
        return f"FeatureSet({self.name!r} v{self.version}, {self.num_planes} planes)"

    def layout(self) -> list[tuple[int, int, Planes]]:
        """``(first plane, last plane, group)`` for each group, in order."""
        out, start = [], 0
        for g in self.groups:
            out.append((start, start + g.count - 1, g))
            start += g.count
        return out

    def encode(self, board: Board, out: np.ndarray | None = None) -> np.ndarray:
        """The ``(num_planes, size, size)`` planes of ``board`` from its side to move's view (float32 unless
        ``out`` is given)."""
        size, n = board.size, board.n
        if out is None:
            out = np.zeros((self.num_planes, size, size), dtype=np.float32)
        else:
            out.fill(0)
        flat = out.reshape(self.num_planes, n)
        pos = _Position(board)
        start = 0
        for g in self.groups:
            g.fill(pos, flat[start:start + g.count])
            start += g.count
        return out

    def encode_game(self, game, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Planes, move labels and movers for every position of a game (the first ``limit`` when given).

        Returns ``(planes[T, C, N, N] uint8, moves[T] int64, colors[T] int8)``: 0/1 bytes, a quarter of the
        memory of floats. Position ``i`` is the board before move ``i`` with its mover to play. Raises
        ``ReplayError`` when a move is illegal.
        """
        from .board import IllegalMove
        from .game import ReplayError
        moves = game.moves[:limit] if limit else game.moves
        count, size = len(moves), game.size
        planes = np.zeros((count, self.num_planes, size, size), dtype=np.uint8)
        labels = np.fromiter((p for _, p in moves), dtype=np.int64, count=count)
        colors = np.fromiter((c for c, _ in moves), dtype=np.int8, count=count)
        board = game.new_board()
        for i, (color, point) in enumerate(moves):
            board.to_move = color
            self.encode(board, planes[i])
            try:
                board.play(point, color)
            except IllegalMove as exc:
                raise ReplayError(game, i, exc) from exc
        return planes, labels, colors


_BASE = ("own stones", "opponent stones", "black to move", "own liberties", "opponent liberties", "illegal", "ones")
GO_27 = FeatureSet("go-27", 1, _BASE)
GO_40 = FeatureSet("go-40", 1, _BASE + ("liberties after move", "captures", "large self-atari", "ladder capture",
                                        "ladder escape", "own laddered", "opponent laddered", "own eyes"))
FEATURE_SETS = {(s.name, s.version): s for s in (GO_27, GO_40)}
DEFAULT_FEATURES = GO_40  # what new training runs use; a model file names its own


def feature_set(name: str, version: int) -> FeatureSet:
    """The feature set a model file names; ``ValueError`` for one this library does not compute."""
    try:
        return FEATURE_SETS[(name, int(version))]
    except (KeyError, TypeError, ValueError):
        known = ", ".join(f"{n} v{v}" for n, v in FEATURE_SETS)
        raise ValueError(f"model was trained on feature set {name!r} v{version}, which this library does not "
                         f"compute (it knows {known})") from None


def feature_set_for_planes(count: int) -> FeatureSet:
    """The newest feature set with ``count`` planes (for a bare network that came without a model file)."""
    for fs in reversed(list(FEATURE_SETS.values())):
        if fs.num_planes == count:
            return fs
    raise ValueError(f"no feature set has {count} planes")

