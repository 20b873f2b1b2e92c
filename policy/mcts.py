"""Monte-Carlo tree search with PUCT over a policy-value network.

The tree stores statistics only; boards are rebuilt for new leaves by replaying the path from the root board. A
batch of leaves is gathered with virtual loss and scored by one forward pass of ``evaluator.logits_batch`` (a
``policy.inference.Policy`` or anything with that method). Values are kept from the view of the player choosing
at each node. Children are the legal points that do not fill the mover's own true eye, plus pass; positional
superko is checked when a child is first reached, and an illegal child is blocked. Two passes in a row end the
game: the leaf is scored by area (Tromp-Taylor) with komi, unless ``terminal_margin`` says otherwise.

``MCTS.search`` reuses the tree: when the new position follows from the previous root by moves the tree holds,
that subtree becomes the root with its statistics kept.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from goengine.board import BLACK, Board, IllegalMove
from goengine.scoring import area_score


class Evaluator(Protocol):
    def logits_batch(self, boards: list[Board]) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class SearchConfig:
    c_puct: float = 1.5  # exploration weight on the prior
    fpu_reduction: float = 0.25  # unvisited children are valued at the parent's value minus this
    batch_size: int = 8  # leaves per network call
    virtual_loss: float = 1.0  # pending visits counted as this many losses
    lcb_z: float = 1.96  # width of the reported lower confidence bound


@dataclass
class ChildStats:
    point: int
    visits: int
    prior: float
    winrate: float  # for the player choosing at the root, in [0, 1]
    lcb: float  # lower confidence bound on ``winrate``
    pv: list[int]  # this move and the most visited continuation


def candidate_points(board: Board) -> np.ndarray:
    """Points the side to move may search (pass last): legal by simple ko and suicide, no own true eye.

    Only points with no empty neighbour can be illegal or an eye, so only those are checked here; positional
    superko is left to the moment a child is played.
    """
    size, color = board.size, board.to_move
    empty = np.frombuffer(bytes(board.stones), dtype=np.uint8).reshape(size, size) == 0
    padded = np.zeros((size + 2, size + 2), dtype=bool)
    padded[1:-1, 1:-1] = empty
    boxed = empty & ~(padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:])
    bad = [p for p in np.flatnonzero(boxed).tolist()
           if board.is_true_eye(p, color) or board.illegal_reason(p, color) is not None]
    points = np.flatnonzero(empty.ravel())
    if bad:
        points = np.setdiff1d(points, bad, assume_unique=True)
    return np.append(points, board.n)


class Node:
    """A position in the tree. Child arrays hold visits, value sums and squared sums from this node's mover."""

    __slots__ = ("point", "parent", "points", "priors", "child_n", "child_w", "child_w2", "blocked", "children",
                 "n", "w", "terminal")

    def __init__(self, point: int, parent: "Node | None"):
        self.point = point
        self.parent = parent
        self.points: np.ndarray | None = None  # None until expanded
        self.children: list[Node | None] = []
        self.n = 0  # completed visits through this node, its own evaluation included
        self.w = 0.0  # sum of values from the view of the side to move here
        self.terminal: float | None = None  # value for the side to move when the game has ended here

    @property
    def expanded(self) -> bool:
        return self.points is not None

    def expand(self, points: np.ndarray, logits: np.ndarray) -> None:
        z = logits[points].astype(np.float64)
        e = np.exp(z - z.max())
        self.points = points
        self.priors = e / e.sum()
        k = len(points)
        self.child_n = np.zeros(k)
        self.child_w = np.zeros(k)
        self.child_w2 = np.zeros(k)
        self.blocked = np.zeros(k)
        self.children = [None] * k

    def select(self, c_puct: float, fpu_reduction: float) -> int:
        """The child index with the highest PUCT score."""
        n = self.child_n
        fpu = (self.w / self.n if self.n else 0.0) - fpu_reduction
        q = np.divide(self.child_w, n, out=np.full_like(n, fpu), where=n > 0)
        u = c_puct * math.sqrt(max(n.sum(), 1.0)) * self.priors / (1.0 + n)
        return int(np.argmax(q + u + self.blocked))

    def child(self, i: int) -> "Node":
        node = self.children[i]
        if node is None:
            node = self.children[i] = Node(int(self.points[i]), self)
        return node

    def block(self, i: int) -> None:
        self.blocked[i] = -np.inf
        self.children[i] = None

    def index_of(self, point: int) -> int | None:
        if self.points is None:
            return None
        hits = np.flatnonzero(self.points == point)
        return int(hits[0]) if len(hits) else None


def area_margin(komi: float) -> Callable[[Board], float]:
    """Black's area-score margin with ``komi``, no dead stones removed."""
    return lambda board: area_score(board, komi).margin


class MCTS:
    """PUCT search over ``evaluator``; ``terminal_margin(board)`` scores ended games from Black's view."""

    def __init__(self, evaluator: Evaluator, config: SearchConfig | None = None,
                 terminal_margin: Callable[[Board], float] | None = None):
        self.evaluator = evaluator
        self.config = config or SearchConfig()
        self.terminal_margin = terminal_margin or area_margin(7.5)
        self.root: Node | None = None
        self.root_board: Board | None = None
        self.last_batch_seconds = 0.0

    # ------------------------------------------------------------ the root
    def reset(self) -> None:
        """Forget the tree (call when komi or rules change)."""
        self.root, self.root_board = None, None

    def set_root(self, board: Board) -> Node:
        """Make ``board`` the root, keeping the subtree (and its statistics) when the tree already holds it."""
        node = self._find(board)
        if node is None:
            node = Node(board.last_move[1] if board.moves else -1, None)
        node.parent, node.terminal = None, None  # the root is searched even after two passes
        self.root = node
        self.root_board = board.copy()
        self.root_board.superko = True
        if not node.expanded:
            self._evaluate([([], node, self.root_board)])
        return node

    def _find(self, board: Board) -> Node | None:
        """The node for ``board`` if it follows from the root by alternating moves the tree holds."""
        old, node = self.root_board, self.root
        if node is None or old.size != board.size or board.moves[:len(old.moves)] != old.moves:
            return None
        expected = old.copy()
        for _, point in board.moves[len(old.moves):]:
            i = node.index_of(point)
            if i is None or node.children[i] is None:
                return None
            node = node.children[i]
            expected.play(point)
        if expected.to_move != board.to_move or expected.stones != board.stones or expected.hash != board.hash:
            return None
        return node

    # ------------------------------------------------------------ searching
    def search(self, board: Board, playouts: int, seconds: float | None = None,
               callback: Callable[["MCTS"], None] | None = None, every: int = 0,
               should_stop: Callable[[], bool] | None = None) -> Node:
        """Add up to ``playouts`` playouts below ``board`` (fewer if ``seconds`` or ``should_stop`` ends it first).

        ``callback(self)`` is called after every ``every`` playouts (0: never) and once at the end.
        Returns the root; its children's visits grow by exactly the playouts done.
        """
        start = time.monotonic()
        root = self.set_root(board)
        done, reported = 0, 0
        while done < playouts:
            if seconds is not None and time.monotonic() - start + self.last_batch_seconds > seconds:
                break
            if should_stop is not None and should_stop():
                break
            done += self._run_batch(min(self.config.batch_size, playouts - done))
            if callback is not None and every and done - reported >= every:
                reported = done
                callback(self)
        if callback is not None and reported != done:
            callback(self)
        return root

    def _run_batch(self, size: int) -> int:
        """Select up to ``size`` leaves, evaluate them in one call, back every value up. Returns playouts done."""
        t0 = time.monotonic()
        pending: list[tuple[list[tuple[Node, int]], Node, Board]] = []
        done = 0
        while len(pending) + done < size:
            path, leaf, board = self._select()
            if leaf.terminal is not None:
                self._backup(path, leaf, leaf.terminal)
                done += 1
            elif any(leaf is other for _, other, _ in pending):
                self._revert(path)
                break
            else:
                pending.append((path, leaf, board))
        if pending:
            self._evaluate(pending)
        self.last_batch_seconds = time.monotonic() - t0
        return done + len(pending)

    def _select(self) -> tuple[list[tuple[Node, int]], Node, Board | None]:
        """Walk down by PUCT with virtual loss; return the path, the leaf and, for a new leaf, its board."""
        cfg, vl = self.config, self.config.virtual_loss
        node, path = self.root, []
        while node.expanded and node.terminal is None:
            i = node.select(cfg.c_puct, cfg.fpu_reduction)
            child = node.child(i)
            node.child_n[i] += vl
            node.child_w[i] -= vl
            path.append((node, i))
            node = child
        if node.terminal is not None:
            return path, node, None
        board = self.root_board.copy()
        try:
            for parent, i in path:
                board.play(int(parent.points[i]))
        except IllegalMove:  # positional superko: only the new last move can be illegal
            self._revert(path)
            parent, i = path[-1]
            parent.block(i)
            return self._select()
        if board.passes >= 2:
            margin = self.terminal_margin(board)
            node.terminal = float(np.sign(margin)) * (1.0 if board.to_move == BLACK else -1.0)
        return path, node, board

    def _evaluate(self, pending: list[tuple[list[tuple[Node, int]], Node, Board]]) -> None:
        logits, values = self.evaluator.logits_batch([board for _, _, board in pending])
        for (path, leaf, board), row, value in zip(pending, logits, values):
            leaf.expand(candidate_points(board), row)
            self._backup(path, leaf, float(value))

    def _revert(self, path: list[tuple[Node, int]]) -> None:
        vl = self.config.virtual_loss
        for node, i in path:
            node.child_n[i] -= vl
            node.child_w[i] += vl

    def _backup(self, path: list[tuple[Node, int]], leaf: Node, value: float) -> None:
        """``value`` is from the leaf's side to move; each step up flips it and removes the virtual loss."""
        vl = self.config.virtual_loss
        leaf.n += 1
        leaf.w += value
        for node, i in reversed(path):
            value = -value
            node.child_n[i] += 1 - vl
            node.child_w[i] += value + vl
            node.child_w2[i] += value * value
            node.n += 1
            node.w += value

    # ------------------------------------------------------------ reading the tree
    def playouts_at_root(self) -> int:
        return int(round(self.root.child_n.sum())) if self.root is not None and self.root.expanded else 0

    def best_index(self, node: Node) -> int:
        """The most visited child, ties broken by mean value."""
        q = np.divide(node.child_w, node.child_n, out=np.full_like(node.child_n, -2.0), where=node.child_n > 0)
        return int(np.lexsort((q, node.child_n))[-1])

    def principal_variation(self, node: Node, limit: int = 12) -> list[int]:
        line = []
        while node.expanded and len(line) < limit and node.child_n.sum() > 0:
            i = self.best_index(node)
            line.append(int(node.points[i]))
            node = node.children[i]
            if node is None:
                break
        return line

    def root_stats(self, limit: int | None = None) -> list[ChildStats]:
        """The root's visited children, most visited first."""
        root, z = self.root, self.config.lcb_z
        order = [i for i in np.lexsort((-root.priors, -root.child_n)).tolist() if root.child_n[i] > 0]
        out = []
        for i in order[:limit]:
            n = float(root.child_n[i])
            mean = root.child_w[i] / n
            var = max(root.child_w2[i] / n - mean * mean, 0.0)
            winrate = (1.0 + mean) / 2.0
            lcb = winrate - z * math.sqrt(var / 4.0 / (n - 1)) if n > 1 else 0.0
            child = root.children[i]
            pv = [int(root.points[i])] + (self.principal_variation(child) if child is not None else [])
            out.append(ChildStats(int(root.points[i]), int(n), float(root.priors[i]), winrate,
                                  min(max(lcb, 0.0), winrate), pv))
        return out

    def root_value(self) -> float:
        """The searched value of the root for its side to move, in [-1, 1]."""
        return self.root.w / self.root.n if self.root is not None and self.root.n else 0.0

    def root_priors(self) -> np.ndarray:
        """The root's prior over ``size*size + 1`` moves (zero where not searched)."""
        probs = np.zeros(self.root_board.n + 1, dtype=np.float32)
        probs[self.root.points] = self.root.priors
        return probs
