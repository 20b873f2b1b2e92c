"""Judge every move of a game with the engine's tree search.

Each position of the game (before every move, and the final one) is searched once. The position after move ``i``
is the position before move ``i + 1``, so one search gives both the winrate after one move and the winrate before
the next. The tree is kept from one position to the next (``MCTS.search`` reuses the subtree of the move played),
and with a playout budget a position is only topped up to it, so the visits the previous search already spent on
the move played are not spent again.

A position's winrate is that of the search's most visited move (the move the engine would play), from the side to
move; with no visited move it is the network's value. Winrates are stored for Black.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from goengine.board import BLACK, Board
from goengine.game import Game, positions, replay
from policy.mcts import MCTS, Evaluator, SearchConfig, area_margin
from policy.search_player import MAX_TREE_VISITS

DEFAULT_KOMI = 7.5  # for records without KM
DEFAULT_PLAYOUTS = 200  # a 250-move game in under 5 minutes on one core (README, benchmarks/review_time.py)


@dataclass(frozen=True)
class Budget:
    """Search per position: top the root up to ``playouts`` visits, or search ``seconds`` more."""
    playouts: int | None = DEFAULT_PLAYOUTS
    seconds: float | None = None

    def __post_init__(self) -> None:
        if (self.playouts is None) == (self.seconds is None):
            raise ValueError("give exactly one of playouts and seconds")
        if self.playouts is not None and self.playouts < 1:
            raise ValueError("playouts must be 1 or more")
        if self.seconds is not None and not 0 < self.seconds < float("inf"):
            raise ValueError("seconds must be a positive number")


@dataclass
class PositionEval:
    """The search's verdict on one position: winrate for the side to move, its preferred move and line."""
    winrate: float
    best: int | None  # None when the search visited no move
    pv: list[int]  # starts with ``best``
    visits: int  # visits below the root when it was read
    searched: int  # of those, the playouts this search added (the rest came with the reused tree)


@dataclass
class MoveReview:
    """One move judged: Black's winrate before and after it, and what the engine preferred before it."""
    number: int  # 1-based
    color: int
    point: int
    black_before: float
    black_after: float
    best: int | None
    pv: list[int]  # the engine's line, starting with ``best``
    visits: int

    @property
    def mover_before(self) -> float:
        return self.black_before if self.color == BLACK else 1.0 - self.black_before

    @property
    def mover_after(self) -> float:
        return self.black_after if self.color == BLACK else 1.0 - self.black_after

    @property
    def loss(self) -> float:
        """Winrate the mover lost by this move (negative when the move did better than the engine expected)."""
        return self.mover_before - self.mover_after


@dataclass
class GameReview:
    game: Game
    moves: list[MoveReview]
    final_black: float  # Black's winrate in the final position
    playouts: int  # playouts searched, those that came with a reused tree not counted
    seconds: float  # time spent searching


def search_position(mcts: MCTS, board: Board, budget: Budget) -> PositionEval:
    """Search ``board`` within ``budget``, keeping what the tree already holds below it."""
    mcts.set_root(board)
    held = mcts.playouts_at_root()
    if budget.seconds is not None:
        mcts.search(board, max(0, MAX_TREE_VISITS - held), budget.seconds)
    else:
        mcts.search(board, max(0, budget.playouts - held))
    visits = mcts.playouts_at_root()
    best = mcts.root_stats(1)
    if best:
        return PositionEval(best[0].winrate, best[0].point, best[0].pv, visits, visits - held)
    return PositionEval((1.0 + mcts.root_value()) / 2.0, None, [], visits, visits - held)


def analyse_game(game: Game, evaluator: Evaluator, budget: Budget, config: SearchConfig | None = None,
                 on_position: Callable[[], None] | None = None) -> GameReview:
    """Search every position of ``game`` (``len(game.moves) + 1`` of them) and judge each move.

    Raises ``ReplayError`` (a ``ValueError``) before any search when the record holds an illegal move.
    ``on_position()`` is called after each position is searched (for a progress bar).
    """
    final = replay(game)
    komi = DEFAULT_KOMI if game.komi is None else game.komi
    mcts = MCTS(evaluator, config, area_margin(komi))
    start = time.monotonic()
    evals: list[PositionEval] = []
    for board, _, _ in positions(game):
        evals.append(search_position(mcts, board, budget))
        if on_position is not None:
            on_position()
    evals.append(search_position(mcts, final, budget))
    if on_position is not None:
        on_position()
    seconds = time.monotonic() - start
    black = [_black(e.winrate, board_to_move) for e, board_to_move in zip(evals, _movers(game, final))]
    moves = [MoveReview(i + 1, color, point, black[i], black[i + 1], evals[i].best, evals[i].pv, evals[i].visits)
             for i, (color, point) in enumerate(game.moves)]
    return GameReview(game, moves, black[-1], sum(e.searched for e in evals), seconds)


def _movers(game: Game, final: Board) -> list[int]:
    """The side to move in each searched position: the mover of each move, then the final board's."""
    return [color for color, _ in game.moves] + [final.to_move]


def _black(winrate: float, to_move: int) -> float:
    return winrate if to_move == BLACK else 1.0 - winrate
