"""The evaluation cache (exact on its input, bounded, cleared on a new game) and the inference runtimes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from goengine.board import Board
from gtp_server import Engine, main
from policy import runtimes
from policy.eval_cache import EvalCache
from policy.inference import Policy
from policy.mcts import MCTS, SearchConfig
from policy.model import ModelConfig, PolicyValueNet
from policy.search_player import MCTSPlayer


def tiny_model() -> PolicyValueNet:
    torch.manual_seed(0)
    return PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8))


def counting(policy: Policy) -> list[int]:
    """Wrap ``policy.forward``; the returned list collects the batch size of every network call."""
    rows: list[int] = []
    forward = policy.forward
    policy.forward = lambda planes: rows.append(len(planes)) or forward(planes)
    return rows


def played(size: int, points: list[int]) -> Board:
    board = Board(size)
    for p in points:
        board.play(p)
    return board


def test_cache_is_a_bounded_lru():
    cache = EvalCache(2)
    a, b, c = (EvalCache.key(np.full((2, 3, 3), v, np.float32)) for v in (0, 1, 2))
    assert len({a, b, c}) == 3
    cache.put(a, np.zeros(10), 0.1)
    cache.put(b, np.ones(10), 0.2)
    assert cache.get(a)[1] == 0.1  # a is now the most recent
    cache.put(c, np.ones(10), 0.3)
    assert cache.get(b) is None and cache.get(a) is not None and len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 1)
    with pytest.raises(ValueError):
        EvalCache(0)


def test_cached_policy_returns_exactly_the_uncached_outputs_and_skips_the_network():
    plain, cached = Policy(tiny_model()), Policy(tiny_model(), cache_size=100)
    rows = counting(cached)
    boards = [played(5, [12, 6, 18][:k]) for k in range(3)]
    first = cached.logits_batch(boards[:2])
    second = cached.logits_batch([boards[1], boards[2], boards[2]])
    assert rows == [2, 2]  # only the new board (twice in its batch) went to the network
    want = plain.logits_batch([boards[1], boards[2], boards[2]])
    assert np.array_equal(second[0], want[0]) and np.array_equal(second[1], want[1])
    assert np.array_equal(first[0][1], second[0][0])
    assert cached.cache.hits == 1


def test_same_stones_reached_by_another_move_order_is_not_a_hit():
    """The planes hold eight positions of history: a key on the current stones alone would return a wrong value."""
    cached = Policy(tiny_model(), cache_size=100)
    one, other = played(5, [0, 6, 12]), played(5, [12, 6, 0])
    assert one.stones == other.stones and one.hash == other.hash and one.to_move == other.to_move
    a, b = cached.logits_batch([one]), cached.logits_batch([other])
    assert cached.cache.hits == 0 and cached.cache.misses == 2
    assert not np.array_equal(a[0], b[0])
    assert np.array_equal(b[0], Policy(tiny_model()).logits_batch([other])[0])


def test_a_search_repeated_from_a_fresh_tree_is_served_by_the_cache():
    policy = Policy(tiny_model(), cache_size=10_000)
    rows = counting(policy)
    board = played(5, [12, 6])
    mcts = MCTS(policy, SearchConfig(batch_size=4))
    mcts.search(board, 60)
    visits = [s.visits for s in mcts.root_stats()]
    evaluated = sum(rows)
    mcts.reset()  # e.g. a GUI stepping back to this position
    mcts.search(board, 60)
    assert sum(rows) == evaluated  # no network call the second time
    assert [s.visits for s in mcts.root_stats()] == visits
    assert policy.cache.hits == evaluated


def test_a_new_game_clears_the_tree_and_the_cache():
    policy = Policy(tiny_model(), cache_size=1000)
    player = MCTSPlayer(policy, playouts=8)
    engine = Engine(player, size=5)
    engine.run("genmove", ["b"])
    assert len(policy.cache) > 0 and player.mcts.root is not None
    engine.run("clear_board", [])
    assert len(policy.cache) == 0 and player.mcts.root is None
    engine.run("genmove", ["b"])
    engine.run("boardsize", ["7"])
    assert len(policy.cache) == 0 and player.mcts.root is None


# ----------------------------------------------------------------- runtimes
def test_auto_runtime_follows_the_cpu(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(runtimes, "native_bf16", lambda: True)
    assert runtimes.resolve("auto", cpu) == "bf16"
    monkeypatch.setattr(runtimes, "native_bf16", lambda: False)
    assert runtimes.resolve("auto", cpu) == "eager"
    assert runtimes.resolve("bf16", cpu) == "bf16"  # asked for: slow, with a warning, but honoured
    assert runtimes.resolve("eager", cpu) == "eager"
    with pytest.raises(ValueError):
        runtimes.resolve("tensorrt", cpu)


def test_bf16_stays_close_to_fp32():
    boards = [played(9, [40, 30, 50][:k]) for k in range(3)]
    want_logits, want_values = Policy(tiny_model()).logits_batch(boards)
    logits, values = Policy(tiny_model(), runtime="bf16").logits_batch(boards)
    assert logits.dtype == np.float32 and np.abs(values - want_values).max() < 0.05
    assert np.abs(logits - want_logits).max() < 0.1


def test_gtp_server_refuses_an_unknown_runtime(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--runtime", "tpu"])
    assert exc.value.code == 2 and "--runtime" in capsys.readouterr().err
