"""Tree search on 5x5 boards with dummy networks (uniform or biased priors, values from a stone count)."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from goengine.board import WHITE, Board
from policy.inference import Policy
from policy.mcts import MCTS, SearchConfig, candidate_points
from policy.model import ModelConfig, PolicyValueNet
from policy.search_player import MCTSPlayer, SearchCandidate
from policy.timing import TimeControl


def pt(row: int, col: int, size: int = 5) -> int:
    return row * size + col


class MaterialNet:
    """Uniform logits (plus ``bias`` on chosen points); value = tanh(stone difference / 3) for the side to move."""

    def __init__(self, bias: dict[int, float] | None = None):
        self.bias = bias or {}
        self.calls = 0

    def logits_batch(self, boards: list[Board]) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        logits = np.zeros((len(boards), boards[0].n + 1), dtype=np.float32)
        for p, b in self.bias.items():
            logits[:, p] = b
        values = []
        for board in boards:
            me = board.stones.count(board.to_move)
            values.append(np.tanh((me - board.stones.count(3 - board.to_move)) / 3.0))
        return logits, np.asarray(values, dtype=np.float32)


def setup_board(black: list[int], white: list[int], size: int = 5) -> Board:
    board = Board(size)
    board.setup(black=black, white=white)
    return board


def best_move(mcts: MCTS) -> int:
    return mcts.root_stats(1)[0].point


def test_finds_the_capture_of_a_large_group():
    white = [pt(0, 0), pt(0, 1), pt(0, 2), pt(1, 0), pt(1, 1), pt(1, 2)]
    black = [pt(2, 0), pt(2, 1), pt(2, 2), pt(1, 3)]
    board = setup_board(black, white)
    mcts = MCTS(MaterialNet())
    mcts.search(board, 100)
    assert best_move(mcts) == pt(0, 3)


def test_avoids_a_self_atari_the_prior_likes():
    black = [pt(0, 0), pt(0, 1), pt(0, 2)]
    white = [pt(1, 1), pt(1, 2), pt(1, 3), pt(0, 4)]
    board = setup_board(black, white)
    bad = pt(0, 3)  # leaves the three stones one liberty at (1, 0)
    mcts = MCTS(MaterialNet({bad: 3.0}))
    mcts.search(board, 800)
    assert mcts.root_priors()[bad] > 0.5
    assert best_move(mcts) != bad
    stats = {s.point: s for s in mcts.root_stats()}
    assert stats[bad].winrate < 0.3


def test_visits_sum_to_the_budget_and_grow_on_the_same_root():
    board = Board(5)
    net = MaterialNet()
    mcts = MCTS(net, SearchConfig(batch_size=4))
    root = mcts.search(board, 50)
    assert mcts.playouts_at_root() == 50
    assert sum(s.visits for s in mcts.root_stats()) == 50
    assert mcts.search(board, 30) is root
    assert mcts.playouts_at_root() == 80
    assert root.n == 81  # the root's own evaluation plus every playout


def test_tree_reuse_keeps_the_played_childs_statistics():
    board = Board(5)
    mcts = MCTS(MaterialNet())
    root = mcts.search(board, 200)
    i = mcts.best_index(root)
    child = root.children[i]
    visits, below = child.n, child.child_n.copy()
    j = mcts.best_index(child)
    grandchild = child.children[j]
    board.play(int(root.points[i]))
    assert mcts.search(board, 0) is child
    assert child.n == visits and np.array_equal(child.child_n, below)
    board.play(int(child.points[j]))
    assert mcts.search(board, 10) is grandchild
    assert grandchild.parent is None


def test_tree_is_dropped_when_the_position_does_not_follow():
    board = Board(5)
    mcts = MCTS(MaterialNet())
    root = mcts.search(board, 20)
    other = Board(5)
    other.play(pt(2, 2), WHITE)  # same move count pattern, wrong colour
    assert mcts.search(other, 5) is not root


def test_uniform_net_plays_legal_moves_and_passes_on_a_filled_board():
    board = Board(5)
    net = MaterialNet()
    for _ in range(12):
        mcts = MCTS(net)
        mcts.search(board, 30)
        move = best_move(mcts)
        color = board.to_move
        assert move == board.n or not board.is_true_eye(move, color)
        board.play(move)  # raises if illegal
    # left two columns Black with two eyes, right three White with two eyes: nothing but own eyes is left
    black = [pt(r, 1) for r in range(5)] + [pt(0, 0), pt(2, 0), pt(4, 0)]
    white = [pt(r, c) for r in range(5) for c in (2, 3)] + [pt(0, 4), pt(2, 4), pt(4, 4)]
    filled = setup_board(black, white)
    assert candidate_points(filled).tolist() == [filled.n]
    mcts = MCTS(net)
    mcts.search(filled, 20)
    assert best_move(mcts) == filled.n


def test_two_passes_are_scored_by_area_for_the_player_to_move():
    black = [pt(r, 1) for r in range(5)] + [pt(0, 0), pt(2, 0), pt(4, 0)]
    white = [pt(r, c) for r in range(5) for c in (2, 3)] + [pt(0, 4), pt(2, 4), pt(4, 4)]
    board = setup_board(black, white)
    board.play(board.n, WHITE)  # White passed; Black (10 points against 15 + komi) loses by passing too
    mcts = MCTS(MaterialNet())
    root = mcts.search(board, 10)
    assert root.children[0].terminal == pytest.approx(1.0)  # White to move after the second pass, and wins
    assert mcts.root_stats()[0].winrate == pytest.approx(0.0)


def tiny_policy() -> Policy:
    torch.manual_seed(0)
    return Policy(PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8)))


def test_player_searches_reports_real_visits_and_streams():
    player = MCTSPlayer(tiny_policy(), playouts=40, analysis_playouts=24)
    board = Board(5)
    seen: list[int] = []
    analysis = player.search(board, 24, callback=lambda a: seen.append(sum(c.visits for c in a.candidates)),
                             every=8, max_moves=30)
    assert seen[-1] == 24 and len(seen) >= 3 and seen == sorted(seen)
    assert all(isinstance(c, SearchCandidate) for c in analysis.candidates)
    again = player.analyze(board, max_moves=30)
    assert sum(c.visits for c in again.candidates) == 48
    top = again.candidates[0]
    assert 0.0 <= top.lcb <= top.winrate <= 1.0 and top.pv[0] == top.point
    move = player.choose_move(board, komi=7.5)
    assert board.is_legal(move)
    assert sum(c.visits for c in player.analyze(board, max_moves=30).candidates) >= 88


def test_player_without_playouts_is_the_policy_player():
    player = MCTSPlayer(tiny_policy(), playouts=0)
    board = Board(5)
    assert player.choose_move(board) == player.fallback.choose_move(board)
    assert not isinstance(player.analyze(board).candidates[0], SearchCandidate)


def test_search_stops_at_its_time_limit():
    mcts = MCTS(MaterialNet())
    start = time.monotonic()
    mcts.search(Board(5), 10**9, seconds=0.3)
    assert time.monotonic() - start < 0.3 + 1.0  # at most one batch late, with room for a loaded machine
    assert 0 < mcts.playouts_at_root() < 10**9


def test_player_time_limits_and_timed_analysis():
    player = MCTSPlayer(MaterialNet(), playouts=10**9, time_per_move=0.3)  # the dummy net stands in for a Policy
    board = Board(5)
    assert board.is_legal(player.choose_move(board))
    done = player.mcts.playouts_at_root()
    assert 0 < done < 10**9
    player.analyze(board, seconds=0.3)  # timed analysis keeps growing the same tree
    assert player.mcts.playouts_at_root() > done


@pytest.mark.parametrize("control, left, stones, most", [
    (TimeControl.from_gtp(600, 0, 0), 600, 0, 600 / 20),
    (TimeControl.from_gtp(600, 0, 0), 0.5, 0, 0.5),
    (TimeControl.from_gtp(0, 30, 10), 6.0, 3, 2.0),
    (TimeControl("byoyomi", 0, 30, 5), 30.0, 2, 30.0),
    (TimeControl("byoyomi", 60, 10, 3), 1.0, 0, 1.0 + 10),
])
def test_time_budget_stays_inside_the_clock(control, left, stones, most):
    budget = control.budget(left, stones, empty_points=200, lag=0.3)
    assert budget is not None and 0 <= budget <= most - 0.3 + 1e-9


def test_time_control_kinds():
    assert TimeControl.from_gtp(0, 30, 0).budget(None) is None
    assert TimeControl.from_gtp(300, 0, 0).kind == "absolute"
    assert TimeControl.from_gtp(300, 30, 5).kind == "canadian"
    assert TimeControl.from_gtp(0, 30, 10).budget(None, 0, lag=0.3) == pytest.approx(0.8 * 3 - 0.3)
    with pytest.raises(ValueError):
        TimeControl("sudden")


def test_opening_moves_are_sampled_by_visits_with_search():
    from policy.player import PolicyPlayer

    def first_move(seed: int, opening: int) -> int:
        net = MaterialNet()
        player = MCTSPlayer(net, playouts=30, fallback=PolicyPlayer(net, seed=seed, opening_moves=opening))
        return player.choose_move(Board(5), komi=0.5)

    assert len({first_move(seed, 2) for seed in range(8)}) > 1  # the uniform prior spreads the visits
    assert len({first_move(seed, 0) for seed in range(4)}) == 1  # no opening moves: always the same
