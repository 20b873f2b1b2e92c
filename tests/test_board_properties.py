"""Property tests (hypothesis) of ``goengine.Board`` on random games of every size from 2x2 to 25x25.

Checked after each move: incremental liberties equal a flood fill, no group without liberties, the hash equals
``position_hash``; undo restores the exact earlier state; superko refuses exactly the moves that repeat an
earlier whole-board position; suicide is refused or carried out according to ``allow_suicide``.
"""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import go_reference as ref
from goengine import BLACK, WHITE, Board, IllegalMove
from goengine.board import position_hash

SIZES = st.one_of(st.sampled_from([9, 19]), st.integers(2, 25))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def state(board: Board) -> tuple:
    """Everything undo must restore."""
    return (bytes(board.stones), tuple(board.captures), board.ko, board.ko_color, board.hash, board.to_move,
            board.passes, tuple(board.moves), tuple(board.liberty_counts()), tuple(board.legal_moves()))


def check_invariants(board: Board) -> None:
    size = board.size
    stones = list(board.stones)
    assert board.liberty_counts() == ref.liberty_counts(stones, size)
    done: set[int] = set()
    for p in range(size * size):
        if stones[p] and p not in done:
            group, libs = ref.flood(stones, p, size)
            done |= group
            assert libs, "a group on the board has no liberties"
            for s in group:
                assert board.group_liberties(s) == libs
                assert sorted(board.group_stones(s)) == sorted(group)
    for color, group_stones, libs in board.groups():
        assert libs and all(stones[s] == color for s in group_stones)
    assert board.hash == position_hash(board.stones, size)


def random_game(board: Board, seed: int, length: int, pass_rate: float = 0.03):
    """Play ``length`` uniformly random legal moves (passes at ``pass_rate``); yield each move after playing it."""
    rng = random.Random(seed)
    for _ in range(length):
        legal = board.legal_moves()
        move = board.pass_move if rng.random() < pass_rate else rng.choice(legal)
        board.play(move)
        yield move


@SETTINGS
@given(size=SIZES, seed=st.integers(0, 2 ** 32), length=st.integers(1, 250))
def test_incremental_state_and_undo(size: int, seed: int, length: int) -> None:
    board = Board(size)
    states = [state(board)]
    for _ in random_game(board, seed, length):
        check_invariants(board)
        states.append(state(board))
    while board.moves:
        states.pop()
        board.undo()
        assert state(board) == states[-1]
    check_invariants(board)


@SETTINGS
@given(size=st.integers(2, 6), seed=st.integers(0, 2 ** 32), length=st.integers(1, 200))
def test_superko_refuses_exactly_repetitions(size: int, seed: int, length: int) -> None:
    board = Board(size, superko=True)
    earlier = {bytes(board.stones)}
    for _ in random_game(board, seed, length, pass_rate=0.06):
        earlier.add(bytes(board.stones))
        assert_superko_matches_brute_force(board, earlier)


def assert_superko_matches_brute_force(board: Board, earlier: set[bytes]) -> None:
    """Play every empty point on a copy without superko; the legal set must drop exactly the repetitions."""
    expected = []
    for p in range(board.n):
        if board.stones[p]:
            continue
        trial = board.copy()
        trial.superko = False
        try:
            trial.play(p)
        except IllegalMove:
            continue
        if bytes(trial.stones) not in earlier:
            expected.append(p)
    assert board.legal_moves()[:-1] == expected


def test_superko_cases_occur_and_are_refused() -> None:
    """Deterministic games on small boards in which superko really refuses moves (so the check above bites)."""
    refused = 0
    for seed in range(40):
        rng = random.Random(seed)
        board = Board(rng.choice([3, 4]), superko=True)
        earlier = {bytes(board.stones)}
        for _ in range(120):
            legal = board.legal_moves()
            refused += sum(1 for p in range(board.n) if board.illegal_reason(p) == "superko")
            board.play(rng.choice(legal) if rng.random() > 0.05 else board.pass_move)
            earlier.add(bytes(board.stones))
            assert_superko_matches_brute_force(board, earlier)
    assert refused > 0


@SETTINGS
@given(size=st.integers(2, 9), seed=st.integers(0, 2 ** 32), length=st.integers(1, 250),
       allow=st.booleans())
def test_suicide_option_matches_reference(size: int, seed: int, length: int, allow: bool) -> None:
    board = Board(size, allow_suicide=allow)
    reference = ref.RefBoard(size, allow_suicide=allow)
    for move in random_game(board, seed, length):
        reference.play(move)
        assert list(board.stones) == reference.stones
        assert board.captures[1:] == reference.captures[1:]
        assert set(board.legal_moves()) == reference.legal_moves()
        check_invariants(board)


def test_suicide_forbidden_and_allowed() -> None:
    # 3x3: black at B1 and A2 make A1 a point where white has no liberty and captures nothing
    for allow in (False, True):
        board = Board(3, allow_suicide=allow)
        board.setup(black=[1, 3])
        before = state(board)
        if not allow:
            assert board.illegal_reason(0, WHITE) == "suicide"
            try:
                board.play(0, WHITE)
            except IllegalMove as exc:
                assert exc.reason == "suicide"
            else:
                raise AssertionError("suicide was accepted")
            assert state(board) == before
        else:
            assert board.play(0, WHITE) == [0]
            assert board.stones[0] == 0
            assert board.captures[BLACK] == 1 and board.captures[WHITE] == 0
            assert board.hash == position_hash(board.stones, 3)


def test_multi_stone_suicide_when_allowed() -> None:
    # 4x4: black C1 A2 B2, white A1; white B1 leaves the white pair A1-B1 without a liberty, capturing nothing
    board = Board(4, allow_suicide=True)
    board.setup(black=[2, 4, 5], white=[0])
    assert sorted(board.play(1, WHITE)) == [0, 1]
    assert board.stones[0] == board.stones[1] == 0
    assert board.captures[BLACK] == 2
    assert board.to_move == BLACK
    board.undo()
    assert board.stones[0] == WHITE and board.stones[1] == 0 and board.captures[BLACK] == 0
    strict = Board(4)
    strict.setup(black=[2, 4, 5], white=[0])
    assert strict.illegal_reason(1, WHITE) == "suicide"
