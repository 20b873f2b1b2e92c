"""Positions from real games for the benchmarks: boards replayed from a game pack, read in place."""
from __future__ import annotations

import numpy as np

from goengine.board import Board
from policy.data import PackedGames

DEFAULT_PACK = "data/val2020/val.npz"  # README: the 2020-2022 professional validation pack


def load_pack(path: str) -> PackedGames:
    """The pack at ``path``; a clear exit when it is missing."""
    try:
        return PackedGames.load(path)
    except FileNotFoundError:
        raise SystemExit(f"no game pack at {path} (build it as README says, or pass --pack)") from None


def real_positions(pack: PackedGames, count: int, seed: int = 0, per_game: int = 3,
                   games: slice = slice(None)) -> list[tuple[Board, int]]:
    """``count`` (board, the move played there) pairs, ``per_game`` from each of randomly chosen games.

    ``games`` restricts the choice to a slice of the pack's games, so that two uses can draw from disjoint games.
    """
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(np.arange(len(pack))[games])
    out: list[tuple[Board, int]] = []
    for g in chosen.tolist():
        moves = pack.game_moves(g)
        picks = set(rng.choice(len(moves), size=min(per_game, len(moves)), replace=False).tolist())
        board = pack.game(g).new_board()
        for i, (color, point) in enumerate(moves):
            if i in picks and len(out) < count:
                board.to_move = color
                out.append((board.copy(), point))
            board.play(point, color)
        if len(out) >= count:
            break
    return out
