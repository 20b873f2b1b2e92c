"""Move choice on top of a policy-value network: the engine's decisions, without search.

``PolicyPlayer.choose_move`` picks the policy's best (or, with a temperature, a sampled) legal move, never fills its
own true eyes, does not play into points whose owner is already settled, passes when nothing useful is left or when
the opponent has passed and it is ahead, and resigns only when the value head is sure. ``analyze`` lists the
candidate moves with the policy's prior, the value head's winrate after each and a greedy continuation.
End-of-game judgements (dead stones, score) come from ``goengine.deadstones`` (Benson + random playouts).

A later search player only needs the same ``choose_move`` / ``analyze`` / ``estimate`` methods (``Player``).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from goengine.board import Board
from goengine.deadstones import Estimate, estimate, self_atari
from goengine.scoring import Score, score

from .inference import Policy

RESIGN = -1  # choose_move's answer for resignation
VISIT_SCALE = 1000  # pseudo-visits reported per unit of policy probability (there is no search)
SETTLED = 0.8  # |ownership| from which a point's owner counts as settled (90% of playouts agree)


@dataclass
class Candidate:
    point: int
    prior: float  # policy probability
    winrate: float  # side to move's winning chance after this move, from the value head
    pv: list[int]  # this move and the greedy continuation

    @property
    def visits(self) -> int:
        return max(1, int(round(self.prior * VISIT_SCALE)))


@dataclass
class Analysis:
    value: float  # value head for the side to move, in [-1, 1]
    probs: np.ndarray  # policy over size*size + 1 moves, illegal moves zero
    candidates: list[Candidate]

    @property
    def winrate(self) -> float:
        return (1.0 + self.value) / 2.0


class Player(Protocol):
    """What the GTP server needs from a move chooser."""

    def choose_move(self, board: Board, komi: float = 7.5, rules: str = "area", cleanup: bool = False,
                    time_budget: float | None = None) -> int: ...

    def analyze(self, board: Board, max_moves: int = 10) -> Analysis: ...

    def estimate(self, board: Board, time_budget: float | None = None) -> Estimate: ...

    def final_score(self, board: Board, komi: float, rules: str = "area") -> Score: ...


def dead_liberties(board: Board, own: Estimate) -> set[int]:
    """Empty points next to opponent stones (of the side to move) that ``own`` judges dead."""
    opponent = 3 - board.to_move
    points: set[int] = set()
    for p in own.dead:
        if board.color_at(p) == opponent:
            points |= board.group_liberties(p)
    return points


def useful_points(board: Board, own: Estimate | None, cleanup: bool = False) -> list[int]:
    """Legal points worth playing for the side to move (pass excluded).

    Never its own true eyes; when ``own`` is given, no points whose owner is settled and no self-atari of a group
    of two or more stones. In ``cleanup`` mode the liberties of dead opponent stones stay playable.
    """
    color = board.to_move
    points = [p for p in board.legal_moves(color)[:-1] if not board.is_true_eye(p, color)]
    if own is None:
        return points
    keep = dead_liberties(board, own) if cleanup else set()
    return [p for p in points if p in keep or (abs(own.ownership[p]) < SETTLED and not self_atari(board, p, color))]


class PolicyPlayer:
    """The policy network's move choice (``temperature`` 0: deterministic argmax).

    The first ``opening_moves`` moves of a game are sampled from the policy (temperature 1 when ``temperature`` is
    0), so that games between deterministic engines differ.
    """

    def __init__(self, policy: Policy, temperature: float = 0.0, seed: int | None = None,
                 resign_threshold: float = 0.95, playouts: int = 64, pv_length: int = 6, opening_moves: int = 0):
        if not temperature >= 0 or not math.isfinite(temperature):
            raise ValueError("temperature must be 0 (greedy) or a positive number")
        if opening_moves < 0:
            raise ValueError("opening_moves must be 0 or more")
        if not 0 <= resign_threshold <= 1:
            raise ValueError("resign threshold must be in [0, 1] (0 turns resigning off)")
        self.policy = policy
        self.temperature = temperature
        self.opening_moves = opening_moves
        self.rng = random.Random(seed)
        self.seed = seed
        self.resign_threshold = resign_threshold
        self.playouts = playouts
        self.pv_length = pv_length
        self._cache: tuple[tuple, tuple[np.ndarray, float]] | None = None
        self._estimate: tuple[tuple, Estimate] | None = None
        self._analysis: tuple[tuple, Analysis] | None = None

    # ------------------------------------------------------------ evaluations
    def evaluate(self, board: Board) -> tuple[np.ndarray, float]:
        """Policy probabilities and value for ``board``, cached for the last position asked."""
        key = (board.hash, board.to_move, board.ko, board.size, len(board.moves))
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self.policy.predict(board))
        return self._cache[1]

    def estimate(self, board: Board, time_budget: float | None = None) -> Estimate:
        """Dead stones and ownership by Benson's algorithm and random playouts (fewer when time is short)."""
        playouts = self.playouts
        if time_budget is not None:
            per = 0.002 * (board.n / 81) ** 1.6  # measured: about 2 ms per 9x9 playout, 22 ms on 19x19
            playouts = max(4, min(playouts, int(time_budget / 3 / per)))
        key = (board.hash, board.size, board.to_move, playouts)
        if self._estimate is None or self._estimate[0] != key:
            self._estimate = (key, estimate(board, playouts, seed=self.seed if self.seed is not None else 0))
        return self._estimate[1]

    def final_score(self, board: Board, komi: float, rules: str = "area") -> Score:
        return score(board, komi, rules, dead=self.estimate(board).dead)

    # ------------------------------------------------------------ choices
    def _late(self, board: Board, probs: np.ndarray) -> bool:
        """Whether the end of the game may be near enough to judge settled points."""
        empty = board.stones.count(0)
        return board.passes > 0 or probs[-1] > 0.05 or empty < 0.5 * board.n

    def choose_move(self, board: Board, komi: float = 7.5, rules: str = "area", cleanup: bool = False,
                    time_budget: float | None = None) -> int:
        """The move for the side to move: a point, ``board.n`` for pass or ``RESIGN``."""
        probs, value = self.evaluate(board)
        color = board.to_move
        if not board.superko:  # never repeat a whole-board position, whatever the opponent may do
            board = board.copy()
            board.superko = True
        if (self.resign_threshold > 0 and value <= -self.resign_threshold and not cleanup
                and board.move_number >= board.n // 4):
            return RESIGN
        own = None
        points = None
        if self._late(board, probs) and (time_budget is None or time_budget > 0.2):
            own = self.estimate(board, time_budget)
            if board.passes > 0 and not cleanup:
                margin = score(board, komi, rules, dead=own.dead).margin
                if (margin > 0) == (color == 1) and margin != 0:
                    # Ahead after the opponent's pass. Under area rules first capture the stones judged dead (it
                    # costs nothing and leaves no doubt for any scorer), then pass.
                    targets = dead_liberties(board, own) if rules == "area" else set()
                    points = [p for p in useful_points(board, own, cleanup=True) if p in targets]
                    if not points:
                        return board.n
        if points is None:
            points = useful_points(board, own, cleanup)
        if not points:
            return board.n
        weights = probs[points].astype(np.float64)
        temperature = self.temperature
        if board.move_number < self.opening_moves:
            temperature = temperature or 1.0
        if temperature == 0 or weights.sum() <= 0:
            return points[int(np.argmax(weights))]
        weights = weights ** (1.0 / temperature)
        return self.rng.choices(points, weights=weights.tolist())[0]

    def analyze(self, board: Board, max_moves: int = 10) -> Analysis:
        """The top ``max_moves`` candidates by policy, each with the value head's winrate and a greedy line."""
        key = (board.hash, board.to_move, board.ko, board.size, len(board.moves), max_moves)
        if self._analysis is None or self._analysis[0] != key:
            self._analysis = (key, self._analyze(board, max_moves))
        return self._analysis[1]

    def _analyze(self, board: Board, max_moves: int) -> Analysis:
        probs, value = self.evaluate(board)
        points = useful_points(board, None)
        points.sort(key=lambda p: -probs[p])
        points = points[:max_moves] or [board.n]
        boards = []
        for p in points:
            b = board.copy()
            b.play(p)
            boards.append(b)
        lines = [[p] for p in points]
        after_probs, after_values = self.policy.predict_batch(boards)
        winrates = [(1.0 - float(v)) / 2.0 for v in after_values]
        for _ in range(self.pv_length - 1):
            live = [i for i, b in enumerate(boards) if b.passes < 2]
            if not live:
                break
            for i in live:
                b = boards[i]
                options = useful_points(b, None)
                reply = max(options, key=lambda q: after_probs[i][q]) if options else b.n
                b.play(reply)
                lines[i].append(reply)
            after_probs_live, _ = self.policy.predict_batch([boards[i] for i in live])
            for j, i in enumerate(live):
                after_probs[i] = after_probs_live[j]
        candidates = [Candidate(p, float(probs[p]), w, line) for p, w, line in zip(points, winrates, lines)]
        return Analysis(value, probs, candidates)
