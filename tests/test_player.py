"""Move choice (policy.player) and the dead-stone estimate (goengine.deadstones), called as library functions."""
from __future__ import annotations

import numpy as np
import pytest

from goengine.board import BLACK, WHITE, Board
from goengine.coords import from_gtp, to_gtp
from goengine.deadstones import benson_alive, estimate, final_score, self_atari
from policy.inference import masked_softmax
from policy.player import RESIGN, PolicyPlayer, useful_points


class FakePolicy:
    """Fixed logits per point (``prefer`` first) and a fixed value: move choice without a network."""

    def __init__(self, prefer: list[str] | None = None, value: float = 0.0, pass_logit: float = -10.0):
        self.prefer, self.value, self.pass_logit = prefer or [], value, pass_logit

    def _logits(self, board: Board) -> np.ndarray:
        logits = np.zeros(board.n + 1, dtype=np.float32)
        for rank, vertex in enumerate(self.prefer):
            logits[from_gtp(vertex, board.size)] = 10.0 - rank
        logits[-1] = self.pass_logit
        return logits

    def logits_batch(self, boards):
        return np.stack([self._logits(b) for b in boards]), np.full(len(boards), self.value, dtype=np.float32)

    def predict_batch(self, boards, temperature: float = 1.0):
        logits, values = self.logits_batch(boards)
        return np.stack([masked_softmax(lg, b.legal_mask(), temperature) for lg, b in zip(logits, boards)]), values

    def predict(self, board, temperature: float = 1.0):
        probs, values = self.predict_batch([board], temperature)
        return probs[0], float(values[0])


def board_from(rows: list[str], to_move: int = BLACK) -> Board:
    """A board from text rows (top row first): X black, O white, . empty."""
    size = len(rows)
    board = Board(size)
    black = [(size - 1 - r) * size + c for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "X"]
    white = [(size - 1 - r) * size + c for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "O"]
    board.setup(black, white)
    board.to_move = to_move
    return board


# A finished 7x7 game: Black owns columns A-D, White E-G, each with two eye regions in the outer column; a dead
# white stone at A6 and a dead black stone at G2 sit inside them. Area score: Black 28, White 21 + komi.
FINISHED = [
    ".XXXOO.",
    "OXXXOO.",
    ".XXXOO.",
    "XXXXOOO",
    ".XXXOO.",
    ".XXXOOX",
    ".XXXOO.",
]


def test_benson_finds_unconditional_life():
    board = board_from(["X.X.X", "XXXXX", ".....", ".....", "....."])
    alive, safe = benson_alive(board, BLACK)
    assert {to_gtp(p, 5) for p in alive} == {"A5", "C5", "E5", "A4", "B4", "C4", "D4", "E4"}
    assert {to_gtp(p, 5) for p in safe} == {"B5", "D5"}
    assert benson_alive(board, WHITE) == (set(), set())


def test_estimate_finds_dead_stones_and_scores():
    board = board_from(FINISHED)
    est = estimate(board, playouts=32, seed=0)
    assert sorted(to_gtp(p, 7) for p in est.dead) == ["A6", "G2"]
    assert not est.seki
    assert est.ownership[from_gtp("A1", 7)] == 1 and est.ownership[from_gtp("G7", 7)] == -1
    assert final_score(board, komi=0.5, playouts=32).result == "B+6.5"


def test_estimate_sees_seki():
    # A classic seki in the corner: two shared liberties (A1, A3? no: B1 and A2) between the groups.
    board = board_from([
        "OOOOO",
        "XXXXO",
        ".OXXO",
        "OOXXO",
        ".OX.O",
    ])
    est = estimate(board, playouts=32, seed=0)
    assert "C1" not in {to_gtp(p, 5) for p in est.dead}


def test_self_atari():
    board = board_from([".....", ".....", ".....", "XO...", ".X..."])
    assert not self_atari(board, from_gtp("A1", 5), BLACK)  # captures nothing, but a single new stone... joins B1
    board = board_from([".....", ".....", "O....", "XO...", "X.O.."])
    assert self_atari(board, from_gtp("B1", 5), BLACK)  # fills the last liberty but one of A1-A2


def test_greedy_choice_is_the_best_legal_move():
    board = Board(9)
    board.play(from_gtp("E5", 9))
    player = PolicyPlayer(FakePolicy(["E5", "C3", "G7"]))
    assert to_gtp(player.choose_move(board), 9) == "C3"  # E5 is occupied
    assert all(player.choose_move(board) == from_gtp("C3", 9) for _ in range(3))


def test_temperature_samples_with_a_seed():
    board = Board(9)
    policy = FakePolicy(["C3", "G7", "E5", "C7"])
    picks = {PolicyPlayer(policy, temperature=5.0, seed=s).choose_move(board) for s in range(20)}
    assert len(picks) > 1
    again = [PolicyPlayer(policy, temperature=5.0, seed=3).choose_move(board) for _ in range(2)]
    assert again[0] == again[1]


def test_never_fills_own_true_eye():
    board = board_from(["X.X.X", "XXXXX", ".....", "OOOOO", "O.O.O"])
    player = PolicyPlayer(FakePolicy(["B5", "D5"]), resign_threshold=0)
    move = player.choose_move(board)
    assert move not in (from_gtp("B5", 5), from_gtp("D5", 5))
    assert all(not board.is_true_eye(p, BLACK) for p in useful_points(board, None))


def test_passes_when_nothing_useful_is_left():
    board = board_from(FINISHED, WHITE)
    player = PolicyPlayer(FakePolicy(["A5", "G1"]), playouts=32, resign_threshold=0)
    assert useful_points(board, player.estimate(board)) == []
    assert player.choose_move(board, komi=0.5) == board.n  # every point is settled


def test_after_opponent_pass_captures_dead_stones_then_passes_when_ahead():
    board = board_from(FINISHED, BLACK)
    board.play(board.n, WHITE)  # white passes; black to move and ahead
    player = PolicyPlayer(FakePolicy(["G1"]), playouts=32, resign_threshold=0)
    assert player.choose_move(board, komi=0.5, rules="territory") == board.n  # capturing would cost points
    for _ in range(3):  # area rules: take the dead white stone at A6 off first, it costs nothing
        move = player.choose_move(board, komi=0.5)
        if move == board.n:
            break
        assert to_gtp(move, 7) in ("A5", "A7")
        board.play(move)
        board.play(board.n)
    assert move == board.n and board.color_at(from_gtp("A6", 7)) == 0


def test_keeps_playing_after_opponent_pass_when_behind():
    open_board = board_from([row.replace("XXXXOOO", "XXX.OOO") for row in FINISHED], BLACK)
    open_board.setup(empty=[from_gtp("A6", 7)])
    open_board.play(open_board.n, WHITE)
    player = PolicyPlayer(FakePolicy(["G1"]), playouts=32, resign_threshold=0)
    assert player.choose_move(open_board, komi=0.5) == open_board.n
    assert player.choose_move(open_board, komi=20.5) == from_gtp("D4", 7)  # behind: D4 is still open


def test_cleanup_captures_dead_stones_first():
    board = board_from(FINISHED, BLACK)
    player = PolicyPlayer(FakePolicy(), playouts=32, resign_threshold=0)
    captured = False
    for _ in range(6):
        move = player.choose_move(board, komi=0.5, cleanup=True)
        assert move != board.n
        board.play(move, BLACK)
        if board.color_at(from_gtp("A6", 7)) == 0:
            captured = True
            break
        board.play(board.n, WHITE)
    assert captured


def test_resigns_only_when_the_value_head_is_sure():
    board = Board(9)
    for vertex in ("C3", "G7", "C7", "G3", "E5", "E3", "E7", "C5", "G5", "D4", "F6", "D6", "F4", "B5", "H5",
                   "B3", "H7", "B7", "H3", "D8", "F2"):
        board.play(from_gtp(vertex, 9))
    assert PolicyPlayer(FakePolicy(value=-0.99), resign_threshold=0.95).choose_move(board) == RESIGN
    assert PolicyPlayer(FakePolicy(value=-0.90), resign_threshold=0.95).choose_move(board) != RESIGN
    assert PolicyPlayer(FakePolicy(value=-0.99), resign_threshold=0).choose_move(board) != RESIGN
    assert PolicyPlayer(FakePolicy(value=-0.99)).choose_move(Board(9)) != RESIGN  # not in the opening
    with pytest.raises(ValueError):
        PolicyPlayer(FakePolicy(), resign_threshold=2)


def test_never_repeats_a_position():
    # Black may retake a ko only if the whole-board position is new (positional superko for its own moves).
    board = Board(5)
    for move in ("B3", "C3", "A2", "D2", "B1", "C1", "C2", "B2"):  # white B2 captures C2: a ko at C2
        board.play(from_gtp(move, 5))
    board.play(board.n)  # black passes
    board.play(board.n)  # white passes, the ko could now be retaken by black
    player = PolicyPlayer(FakePolicy(["C2"]), resign_threshold=0)
    move = player.choose_move(board)
    assert move == from_gtp("C2", 5) or board.copy().illegal_reason(move) is None


def test_analysis_candidates():
    board = Board(9)
    player = PolicyPlayer(FakePolicy(["E5", "C3", "G7"], value=0.2), pv_length=3)
    analysis = player.analyze(board, max_moves=5)
    assert [to_gtp(c.point, 9) for c in analysis.candidates[:3]] == ["E5", "C3", "G7"]
    assert len(analysis.candidates) == 5
    first = analysis.candidates[0]
    assert first.pv[0] == first.point and len(first.pv) == 3
    assert first.visits >= 1 and 0 <= first.winrate <= 1
    assert abs(first.winrate - 0.4) < 1e-6  # the opponent's value 0.2 after the move
    assert analysis.winrate == pytest.approx(0.6)
    assert player.choose_move(board) == first.point  # genmove agrees with the analysis' first choice
