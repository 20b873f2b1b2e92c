"""``goengine.Board`` against the from-scratch reference in ``go_reference``, position by position.

At least 200 random games (9x9 and 19x19) are compared after every move: stones, captures, side to move, the
liberty count of every stone and the full set of legal moves (simple ko included).
"""
from __future__ import annotations

import random

import pytest

import go_reference as ref
from goengine import Board


def local_move(rng: random.Random, legal: list[int], last: list[int], size: int, locality: float) -> int:
    """A random legal move, often next to one of the last few moves so that fights (and ko) happen."""
    if last and rng.random() < locality:
        r, c = divmod(rng.choice(last[-4:]), size)
        near = {(r + dr) * size + (c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                if 0 <= r + dr < size and 0 <= c + dc < size}
        options = [p for p in legal if p in near]
        if options:
            return rng.choice(options)
    return rng.choice(legal)


def compare(board: Board, reference: ref.RefBoard) -> None:
    size = board.size
    assert list(board.stones) == reference.stones
    assert board.captures[1:] == reference.captures[1:]
    assert board.to_move == reference.to_move
    assert board.liberty_counts() == ref.liberty_counts(reference.stones, size)
    assert set(board.legal_moves()) == reference.legal_moves()


def play_and_compare(size: int, seed: int, max_moves: int, locality: float = 0.5) -> tuple[int, int]:
    """Play one random game on both boards; return (captures seen, ko refusals seen)."""
    rng = random.Random(seed)
    board, reference = Board(size), ref.RefBoard(size)
    compare(board, reference)
    played, kos = [], 0
    for _ in range(max_moves):
        legal = board.legal_moves()[:-1]
        empty_illegal = [p for p in range(size * size) if not board.stones[p] and p not in legal]
        kos += sum(1 for p in empty_illegal if board.illegal_reason(p) == "ko")
        if not legal or rng.random() < 0.02:
            move = board.pass_move
        else:
            move = local_move(rng, legal, played, size, locality)
        # every illegal empty point is also refused by the reference, with the same reason
        for p in empty_illegal:
            assert reference.reason(p, board.to_move) == board.illegal_reason(p)
        board.play(move)
        reference.play(move)
        if move != board.pass_move:
            played.append(move)
        compare(board, reference)
    return board.captures[1] + board.captures[2], kos


@pytest.mark.parametrize("block", range(6))
def test_9x9_random_games_match_reference(block: int) -> None:
    captures = kos = 0
    for seed in range(block * 25, block * 25 + 25):
        c, k = play_and_compare(9, seed, 100)
        captures, kos = captures + c, kos + k
    assert captures > 0  # the games are dense enough to exercise captures
    assert kos > 0  # and the ko rule


@pytest.mark.parametrize("block", range(5))
def test_19x19_random_games_match_reference(block: int) -> None:
    captures = 0
    for seed in range(1000 + block * 10, 1000 + block * 10 + 10):
        captures += play_and_compare(19, seed, 70, locality=0.9)[0]
    assert captures > 0
