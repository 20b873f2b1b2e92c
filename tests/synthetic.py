"""Game records the tests make themselves: random legal games on small boards."""
from __future__ import annotations

import random

from goengine.board import Board
from goengine.game import Game, GameInfo, parse_result


def random_game(size: int, moves: int, seed: int) -> Game:
    """``moves`` random legal moves (passing only when nothing but own eyes is left), a random result, dated 2015."""
    rng = random.Random(seed)
    board = Board(size)
    game = Game(size=size, komi=7.5)
    for _ in range(moves):
        legal = [p for p in board.legal_moves() if p != board.n and not board.is_true_eye(p, board.to_move)]
        point = rng.choice(legal) if legal else board.n
        game.moves.append((board.to_move, point))
        board.play(point)
    game.info = GameInfo(black="b", white="w", result=parse_result(rng.choice(["B+R", "W+3.5", "B+12.5"])),
                         date="2015-01-01")
    return game
