"""The Go board: stones, groups and liberties kept incrementally, legality, ko, superko and undo.

Points are flat indices (see ``goengine.coords``); pass is ``size * size``. Colours are ``BLACK = 1`` and
``WHITE = 2`` (``EMPTY = 0``), so the opponent of ``c`` is ``3 - c``.

Each group is one ``_Group`` object shared by all of its stones, holding its stone list and liberty set. A move
touches only the groups next to it: no flood fill per move. Undo pops a snapshot of the stones and rebuilds the
groups once, which is exact and costs nothing on the hot path.
"""
from __future__ import annotations

import random
from functools import lru_cache

import numpy as np

from .coords import check_size, to_gtp

EMPTY, BLACK, WHITE = 0, 1, 2
COLOR_NAMES = {BLACK: "black", WHITE: "white"}


class IllegalMove(ValueError):
    """A move the rules forbid; ``reason`` is one of occupied, ko, suicide, superko, off-board."""

    def __init__(self, reason: str, point: int, color: int, size: int):
        self.reason = reason
        where = to_gtp(point, size) if 0 <= point <= size * size else str(point)
        super().__init__(f"illegal move {COLOR_NAMES.get(color, color)} {where}: {reason}")


@lru_cache(maxsize=None)
def neighbor_table(size: int) -> tuple[tuple[int, ...], ...]:
    """For each point, the tuple of its orthogonal neighbours."""
    table = []
    for p in range(size * size):
        row, col = divmod(p, size)
        nbrs = []
        if row > 0:
            nbrs.append(p - size)
        if row < size - 1:
            nbrs.append(p + size)
        if col > 0:
            nbrs.append(p - 1)
        if col < size - 1:
            nbrs.append(p + 1)
        table.append(tuple(nbrs))
    return tuple(table)


@lru_cache(maxsize=None)
def diagonal_table(size: int) -> tuple[tuple[int, ...], ...]:
    """For each point, the tuple of its diagonal neighbours."""
    table = []
    for p in range(size * size):
        row, col = divmod(p, size)
        table.append(tuple((r * size + c) for r, c in ((row - 1, col - 1), (row - 1, col + 1),
                                                        (row + 1, col - 1), (row + 1, col + 1))
                           if 0 <= r < size and 0 <= c < size))
    return tuple(table)


@lru_cache(maxsize=None)
def zobrist_table(size: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Random 64-bit keys per (colour, point), fixed by a seed so hashes are stable across runs."""
    rng = random.Random(0x60E4 + size)
    empty = tuple(0 for _ in range(size * size))
    black = tuple(rng.getrandbits(64) for _ in range(size * size))
    white = tuple(rng.getrandbits(64) for _ in range(size * size))
    return empty, black, white


def position_hash(stones, size: int) -> int:
    """The Zobrist hash of a stone array, recomputed from scratch."""
    keys = zobrist_table(size)
    h = 0
    for p, c in enumerate(stones):
        if c:
            h ^= keys[c][p]
    return h


class _Group:
    __slots__ = ("color", "stones", "libs")

    def __init__(self, color: int, stones: list[int], libs: set[int]):
        self.color = color
        self.stones = stones
        self.libs = libs


class Board:
    """A Go position with its history.

    ``play`` accepts either colour at any time (setup sequences, GTP ``play``); the side to move is tracked
    as the opponent of the last mover. Rules: suicide is illegal unless ``allow_suicide``; simple ko always;
    positional superko (no whole-board position may repeat) when ``superko``.
    """

    def __init__(self, size: int = 19, *, allow_suicide: bool = False, superko: bool = False):
        self.size = check_size(size)
        self.n = size * size
        self.pass_move = self.n
        self.allow_suicide = allow_suicide
        self.superko = superko
        self._nbrs = neighbor_table(size)
        self._keys = zobrist_table(size)
        self.stones = bytearray(self.n)
        self._group: list[_Group | None] = [None] * self.n
        self.to_move = BLACK
        self.ko: int | None = None  # the point the side in ``ko_color`` may not play next
        self.ko_color = EMPTY
        self.captures = [0, 0, 0]  # stones captured *by* each colour (index by colour)
        self.hash = 0
        self.passes = 0  # consecutive passes at the end of the history
        self.moves: list[tuple[int, int]] = []  # (colour, point) of every move played, passes included
        self._seen: dict[int, int] = {0: 1}  # position hashes in the history, with multiplicity
        self._undo: list[tuple] = []

    # ----------------------------------------------------------------- queries
    def color_at(self, point: int) -> int:
        return self.stones[point]

    def liberties(self, point: int) -> int:
        """Liberty count of the group at ``point`` (0 for an empty point)."""
        g = self._group[point]
        return len(g.libs) if g else 0

    def group_stones(self, point: int) -> list[int]:
        g = self._group[point]
        return list(g.stones) if g else []

    def group_liberties(self, point: int) -> set[int]:
        g = self._group[point]
        return set(g.libs) if g else set()

    def groups(self) -> list[tuple[int, list[int], set[int]]]:
        """Every group as (colour, stones, liberties), each group once."""
        seen, out = set(), []
        for g in self._group:
            if g is not None and id(g) not in seen:
                seen.add(id(g))
                out.append((g.color, list(g.stones), set(g.libs)))
        return out

    def liberty_counts(self) -> list[int]:
        """Per point, the liberty count of the group there (0 where empty)."""
        out = [0] * self.n
        groups = set(self._group)  # each group once (identity hash); None stands for the empty points
        groups.discard(None)
        for g in groups:
            count = len(g.libs)
            for s in g.stones:
                out[s] = count
        return out

    def array(self) -> np.ndarray:
        """The stones as a ``(size, size)`` int8 array, row 0 at the bottom."""
        return np.frombuffer(bytes(self.stones), dtype=np.int8).reshape(self.size, self.size)

    def history(self, depth: int) -> list[bytes]:
        """The stone arrays of the current and up to ``depth - 1`` earlier positions, newest first."""
        out = [bytes(self.stones)]
        for snap in reversed(self._undo[-(depth - 1):] if depth > 1 else []):
            out.append(snap[0])
        return out

    @property
    def move_number(self) -> int:
        return len(self.moves)

    @property
    def last_move(self) -> tuple[int, int] | None:
        return self.moves[-1] if self.moves else None

    def neighbors(self, point: int, color: int) -> tuple[set[int], list[_Group], list[_Group]]:
        """Around ``point``: the empty neighbours, the groups of ``color`` and the opponent's groups (each once)."""
        stones, group = self.stones, self._group
        libs: set[int] = set()
        friends: list[_Group] = []
        enemies: list[_Group] = []
        for q in self._nbrs[point]:
            s = stones[q]
            if s == EMPTY:
                libs.add(q)
            else:
                g = group[q]
                if s == color:
                    if g not in friends:
                        friends.append(g)
                elif g not in enemies:
                    enemies.append(g)
        return libs, friends, enemies

    def is_eyeish(self, point: int, color: int) -> bool:
        """True if ``point`` is empty and every orthogonal neighbour is ``color``."""
        if self.stones[point]:
            return False
        stones = self.stones
        for q in self._nbrs[point]:
            if stones[q] != color:
                return False
        return True

    def is_true_eye(self, point: int, color: int) -> bool:
        """A one-point eye of ``color`` that the opponent cannot break by taking the diagonals."""
        if not self.is_eyeish(point, color):
            return False
        opp = 3 - color
        diags = diagonal_table(self.size)[point]
        bad = sum(1 for d in diags if self.stones[d] == opp)
        return bad == 0 if len(diags) < 4 else bad <= 1

    def illegal_reason(self, point: int, color: int | None = None) -> str | None:
        """Why ``color`` may not play ``point`` now, or ``None`` if the move is legal."""
        color = color or self.to_move
        if point == self.n:
            return None
        if not 0 <= point < self.n:
            return "off-board"
        stones = self.stones
        if stones[point]:
            return "occupied"
        if point == self.ko and color == self.ko_color:
            return "ko"
        group = self._group
        alive = False
        captured: list[_Group] = []
        for q in self._nbrs[point]:
            s = stones[q]
            if s == EMPTY:
                alive = True
            elif s == color:
                if len(group[q].libs) > 1:
                    alive = True
            else:
                g = group[q]
                if len(g.libs) == 1 and g not in captured:
                    captured.append(g)
        if not alive and not captured and not self.allow_suicide:
            return "suicide"
        if self.superko and self._result_hash(point, color, captured, alive) in self._seen:
            return "superko"
        return None

    def is_legal(self, point: int, color: int | None = None) -> bool:
        return self.illegal_reason(point, color) is None

    def legal_moves(self, color: int | None = None) -> list[int]:
        """Every legal point for ``color`` (default: side to move), pass last."""
        color = color or self.to_move
        stones, reason = self.stones, self.illegal_reason
        if self.superko:
            moves = [p for p in range(self.n) if not stones[p] and reason(p, color) is None]
        else:
            # Without superko an empty point with an empty neighbour is always legal: the new stone keeps that
            # liberty (no suicide) and it cannot be the ko point, whose neighbours are all stones.
            nbrs = self._nbrs
            moves = []
            for p in range(self.n):
                if not stones[p]:
                    for q in nbrs[p]:
                        if not stones[q]:
                            moves.append(p)
                            break
                    else:
                        if reason(p, color) is None:
                            moves.append(p)
        moves.append(self.n)
        return moves

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """Boolean array of length ``size*size + 1``: True where ``color`` may play (pass last)."""
        mask = np.zeros(self.n + 1, dtype=bool)
        mask[self.legal_moves(color)] = True
        return mask

    def _result_hash(self, point: int, color: int, captured: list[_Group], alive: bool) -> int:
        keys = self._keys
        h = self.hash ^ keys[color][point]
        for g in captured:
            k = keys[g.color]
            for s in g.stones:
                h ^= k[s]
        if not alive and not captured:  # suicide (only reachable when allowed): own group disappears
            h ^= keys[color][point]
            seen = set()
            for q in self._nbrs[point]:
                g = self._group[q]
                if g is not None and g.color == color and id(g) not in seen:
                    seen.add(id(g))
                    for s in g.stones:
                        h ^= keys[color][s]
        return h

    # ----------------------------------------------------------------- changes
    def _snapshot(self, setup: bool = False) -> tuple:
        return (bytes(self.stones), self.to_move, self.ko, self.ko_color, tuple(self.captures),
                self.hash, self.passes, setup)

    def play(self, point: int, color: int | None = None) -> list[int]:
        """Play a move (``point == size*size`` is a pass). Return the captured points.

        Raises ``IllegalMove`` (and changes nothing) when the rules forbid it.
        """
        color = color or self.to_move
        if color not in (BLACK, WHITE):
            raise ValueError(f"colour must be BLACK (1) or WHITE (2), got {color!r}")
        n = self.n
        if point == n:
            self._undo.append(self._snapshot())
            self.moves.append((color, point))
            self.ko, self.ko_color = None, EMPTY
            self.to_move = 3 - color
            self.passes += 1
            self._seen[self.hash] = self._seen.get(self.hash, 0) + 1
            return []
        reason = self.illegal_reason(point, color)
        if reason is not None:
            raise IllegalMove(reason, point, color, self.size)

        self._undo.append(self._snapshot())
        stones, group, nbrs, keys = self.stones, self._group, self._nbrs, self._keys
        opp = 3 - color
        stones[point] = color
        self.hash ^= keys[color][point]

        libs, friends, enemies = self.neighbors(point, color)
        # join the new stone and its friendly neighbours into the largest of them
        if friends:
            base = max(friends, key=lambda g: len(g.stones))
            for g in friends:
                if g is not base:
                    base.stones.extend(g.stones)
                    base.libs |= g.libs
                    for s in g.stones:
                        group[s] = base
            base.stones.append(point)
            base.libs |= libs
            base.libs.discard(point)
        else:
            base = _Group(color, [point], libs)
        group[point] = base

        captured: list[int] = []
        for g in enemies:
            g.libs.discard(point)
            if not g.libs:
                captured.extend(g.stones)
                self._remove(g)
        self.ko, self.ko_color = None, EMPTY
        if captured:
            self.captures[color] += len(captured)
            if len(captured) == 1 and len(base.stones) == 1 and len(base.libs) == 1:
                self.ko, self.ko_color = captured[0], opp
        elif not base.libs:  # suicide, allowed by the rules in force
            self.captures[opp] += len(base.stones)
            captured = list(base.stones)
            self._remove(base)

        self.moves.append((color, point))
        self.to_move = opp
        self.passes = 0
        self._seen[self.hash] = self._seen.get(self.hash, 0) + 1
        return captured

    def _remove(self, g: _Group) -> None:
        """Take group ``g`` off the board, giving its points back as liberties to its neighbours."""
        stones, group, nbrs = self.stones, self._group, self._nbrs
        key = self._keys[g.color]
        h = self.hash
        for s in g.stones:
            stones[s] = EMPTY
            group[s] = None
            h ^= key[s]
        self.hash = h
        for s in g.stones:
            for q in nbrs[s]:
                other = group[q]
                if other is not None:
                    other.libs.add(s)

    def pass_turn(self, color: int | None = None) -> None:
        self.play(self.n, color)

    def undo(self) -> tuple[int, int]:
        """Take back the last move or setup; return the move undone as (colour, point), ``(EMPTY, -1)`` for setup.

        Raises ``IndexError`` when there is nothing to undo.
        """
        if not self._undo:
            raise IndexError("nothing to undo")
        count = self._seen[self.hash] - 1
        if count:
            self._seen[self.hash] = count
        else:
            del self._seen[self.hash]
        stones, self.to_move, self.ko, self.ko_color, caps, self.hash, self.passes, setup = self._undo.pop()
        self.captures = list(caps)
        last = (EMPTY, -1) if setup else self.moves.pop()
        if last[1] != self.n:
            self.stones[:] = stones
            self._rebuild_groups()
        return last

    def setup(self, black=(), white=(), empty=()) -> None:
        """Place setup stones (SGF AB/AW/AE, handicap): not moves, no captures.

        Raises ``ValueError`` and changes nothing if the result would hold a group without liberties.
        """
        before = self._snapshot(setup=True)
        new = bytearray(self.stones)
        for color, points in ((BLACK, black), (WHITE, white), (EMPTY, empty)):
            for p in points:
                if not 0 <= p < self.n:
                    raise ValueError(f"setup point {p} is off the board")
                new[p] = color
        old_stones, old_group = self.stones, self._group
        self.stones = new
        self._rebuild_groups()
        dead = [g for g in self.groups() if not g[2]]
        if dead:
            self.stones, self._group = old_stones, old_group
            raise ValueError(f"setup leaves a group without liberties at {to_gtp(dead[0][1][0], self.size)}")
        self._undo.append(before)
        self.hash = position_hash(self.stones, self.size)
        self.ko, self.ko_color = None, EMPTY
        self._seen[self.hash] = self._seen.get(self.hash, 0) + 1

    def _rebuild_groups(self) -> None:
        """Recompute every group and liberty set from the stones (used after undo and setup)."""
        stones, nbrs = self.stones, self._nbrs
        group: list[_Group | None] = [None] * self.n
        for p in range(self.n):
            c = stones[p]
            if c and group[p] is None:
                g = _Group(c, [p], set())
                group[p] = g
                frontier = [p]
                while frontier:
                    s = frontier.pop()
                    for q in nbrs[s]:
                        sq = stones[q]
                        if sq == EMPTY:
                            g.libs.add(q)
                        elif sq == c and group[q] is None:
                            group[q] = g
                            g.stones.append(q)
                            frontier.append(q)
        self._group = group

    def copy(self) -> "Board":
        """An independent copy (groups duplicated; history snapshots shared, as they are immutable)."""
        new = Board.__new__(Board)
        new.__dict__.update(self.__dict__)
        new.stones = bytearray(self.stones)
        new.captures = list(self.captures)
        new.moves = list(self.moves)
        new._seen = dict(self._seen)
        new._undo = list(self._undo)
        mapping: dict[int, _Group] = {}
        group: list[_Group | None] = [None] * self.n
        for p, g in enumerate(self._group):
            if g is not None:
                ng = mapping.get(id(g))
                if ng is None:
                    ng = mapping[id(g)] = _Group(g.color, list(g.stones), set(g.libs))
                group[p] = ng
        new._group = group
        return new

    def __str__(self) -> str:
        from .render import render_ascii
        return render_ascii(self)
