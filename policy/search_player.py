"""A ``Player`` that chooses and analyses moves by Monte-Carlo tree search (``policy.mcts``).

``MCTSPlayer`` searches up to ``playouts`` playouts per move, stopping earlier at ``time_per_move`` seconds or at the
GTP clock's budget; ``playouts == 0`` turns the search off and every call goes to the ``PolicyPlayer``. The tree is
kept between calls, so ``analyze`` called again and again on one position keeps growing the same search, and a
move chosen after analysing (or after the opponent answers with a move the tree holds) starts from the statistics
already gathered. Dead stones, final scores and the decision to pass after an opponent's pass come from the
``PolicyPlayer`` (Benson + random playouts), which the search's plain area scoring cannot judge.

``ponder`` searches the position after the engine's own move on the opponent's time, so that the reply finds its
subtree already searched; ``new_game`` forgets the tree and the policy's cached evaluations.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from goengine.board import Board
from goengine.deadstones import Estimate
from goengine.scoring import Score

from .inference import Policy
from .mcts import MCTS, ChildStats, SearchConfig, area_margin
from .player import RESIGN, Analysis, Candidate, PolicyPlayer

MIN_SEARCH_SECONDS = 0.05  # below this the raw policy answers at once
MAX_TREE_VISITS = 200_000  # timed analysis and pondering stop growing the tree here (about 10 kB per 19x19 node)
EVAL_CACHE_ENTRIES = 50_000  # network evaluations a searching engine keeps (about 1.8 kB each on 19x19)


@dataclass
class SearchCandidate(Candidate):
    """A candidate with the search's real visit count and a lower confidence bound on its winrate."""
    visits: int = 0  # shadows ``Candidate.visits``, which is derived from the prior
    lcb: float = 0.0


class MCTSPlayer:
    """Move choice by PUCT search; ``estimate`` / ``final_score`` and a few end-game calls go to ``fallback``."""

    def __init__(self, policy: Policy, playouts: int = 200, time_per_move: float | None = None,
                 fallback: PolicyPlayer | None = None, config: SearchConfig | None = None,
                 resign_threshold: float = 0.95, analysis_playouts: int = 100, min_resign_visits: int = 50,
                 unclocked_seconds: float | None = None):
        """``unclocked_seconds``: the search time of a move that neither ``time_per_move`` nor a clock limits."""
        if playouts < 0:
            raise ValueError("playouts must be 0 (no search) or positive")
        for name, seconds in (("time per move", time_per_move), ("unclocked seconds", unclocked_seconds)):
            if seconds is not None and not 0 < seconds < float("inf"):
                raise ValueError(f"{name} must be a positive number of seconds")
        self.policy = policy
        self.playouts = playouts
        self.time_per_move = time_per_move
        self.unclocked_seconds = unclocked_seconds
        self.fallback = fallback or PolicyPlayer(policy, resign_threshold=resign_threshold)
        self.resign_threshold = resign_threshold
        self.analysis_playouts = analysis_playouts
        self.min_resign_visits = min_resign_visits
        self.mcts = MCTS(policy, config)
        self._komi: float | None = None

    # ------------------------------------------------------------ delegated
    def estimate(self, board: Board, time_budget: float | None = None) -> Estimate:
        return self.fallback.estimate(board, time_budget)

    def final_score(self, board: Board, komi: float, rules: str = "area") -> Score:
        return self.fallback.final_score(board, komi, rules)

    def new_game(self) -> None:
        """Forget the tree and the policy's cached evaluations (a new game, board size or position)."""
        self.mcts.reset()
        cache = getattr(self.policy, "cache", None)  # stand-in evaluators in tests have none
        if cache is not None:
            cache.clear()

    # ------------------------------------------------------------ searching
    def _use_komi(self, komi: float) -> None:
        if komi != self._komi:
            self._komi = komi
            self.mcts.terminal_margin = area_margin(komi)
            self.mcts.reset()

    def search(self, board: Board, playouts: int, seconds: float | None = None, komi: float | None = None,
               callback: Callable[[Analysis], None] | None = None, every: int = 0, max_moves: int = 10,
               should_stop: Callable[[], bool] | None = None) -> Analysis:
        """Grow the tree below ``board`` by up to ``playouts`` playouts and return the analysis.

        ``callback`` receives an interim ``Analysis`` every ``every`` playouts (for streamed analysis output).
        """
        if komi is not None:
            self._use_komi(komi)
        elif self._komi is None:
            self._use_komi(7.5)
        report = None if callback is None else (lambda mcts: callback(self._analysis(max_moves)))
        self.mcts.search(board, playouts, seconds, report, every, should_stop)
        return self._analysis(max_moves)

    def _analysis(self, max_moves: int) -> Analysis:
        stats = self.mcts.root_stats(max_moves)
        return Analysis(self.mcts.root_value(), self.mcts.root_priors(), [_candidate(s) for s in stats])

    def analyze(self, board: Board, max_moves: int = 10, seconds: float | None = None) -> Analysis:
        """The search's candidates after ``analysis_playouts`` more playouts on ``board``, or, when ``seconds`` is
        given, after that much more search (up to ``MAX_TREE_VISITS`` in the tree)."""
        if self.playouts == 0:
            return self.fallback.analyze(board, max_moves)
        playouts = self.analysis_playouts
        if seconds is not None:
            self.mcts.set_root(board)
            playouts = max(0, MAX_TREE_VISITS - self.mcts.playouts_at_root())
        analysis = self.search(board, playouts, seconds, max_moves=max_moves)
        return analysis if analysis.candidates else self.fallback.analyze(board, max_moves)

    def ponder(self, board: Board, komi: float, should_stop: Callable[[], bool]) -> None:
        """Search ``board`` (the opponent to move) until ``should_stop()`` or until the tree holds
        ``MAX_TREE_VISITS``: the opponent's reply then finds its subtree already searched."""
        if self.playouts == 0 or board.passes >= 2:
            return
        self._use_komi(komi)
        self.mcts.set_root(board)
        self.search(board, max(0, MAX_TREE_VISITS - self.mcts.playouts_at_root()), should_stop=should_stop)

    def choose_move(self, board: Board, komi: float = 7.5, rules: str = "area", cleanup: bool = False,
                    time_budget: float | None = None, callback: Callable[[Analysis], None] | None = None,
                    every: int = 0) -> int:
        """The searched move: a point, ``board.n`` for pass or ``RESIGN``."""
        limits = [t for t in (self.time_per_move, time_budget) if t is not None]
        seconds = min(limits) if limits else self.unclocked_seconds
        if self.playouts == 0 or (seconds is not None and seconds < MIN_SEARCH_SECONDS):
            return self.fallback.choose_move(board, komi, rules, cleanup, time_budget)
        if board.passes > 0 and not cleanup:  # the opponent passed: pass too when ahead with dead stones removed
            if self.fallback.choose_move(board, komi, rules, cleanup, time_budget) == board.n:
                return board.n
        self.search(board, self.playouts, seconds, komi, callback, every)
        opening = board.move_number < self.fallback.opening_moves
        stats = self.mcts.root_stats(None if opening else 1)
        if not stats:
            return self.fallback.choose_move(board, komi, rules, cleanup, time_budget)
        if opening:  # sampled in proportion to the visits (AlphaGo Zero's first moves), so that games differ
            return self.fallback.rng.choices([s.point for s in stats], weights=[s.visits for s in stats])[0]
        best = stats[0]
        if (self.resign_threshold > 0 and not cleanup and board.move_number >= board.n // 4
                and best.visits >= self.min_resign_visits and 2 * best.winrate - 1 <= -self.resign_threshold):
            return RESIGN
        return best.point


def _candidate(s: ChildStats) -> SearchCandidate:
    return SearchCandidate(s.point, s.prior, s.winrate, s.pv, visits=s.visits, lcb=s.lcb)
