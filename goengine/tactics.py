"""A small tactical reader: what a move does to liberties and captures, and ladders read to the end.

The reader works on a private copy of the stones (a ``bytearray``) and finds strings by flood fill, so a line of
reading costs a few microseconds a move and never touches the ``Board`` it came from. Two questions are answered:

* ``move_effects``: for every empty point, the liberties the mover's string would have after playing there, the
  opponent stones it would capture, and whether it is legal at all (simple ko and suicide; superko is left to the
  caller's legality mask);
* ``Ladders``: whether a string with one or two liberties is captured in a ladder, read move by move: the attacker
  keeps the string in atari, the defender extends or captures an attacking string that is in atari itself. A
  defender string that reaches three liberties has escaped. Simple ko holds inside the reading (no immediate
  retake) and the board's own ko point is not, and a question that needs more than ``budget`` reading steps
  counts as an escape, so the answer "captured" is never a guess. Where the budget cuts a reading short, which
  lines were read first (and so the answer) can depend on how the board is turned.

These facts are what AlphaGo's policy network read from its input planes (Silver et al. 2016, Extended Data
Table 2: liberties after the move, capture size, self-atari size, ladder capture, ladder escape).
"""
from __future__ import annotations

from dataclasses import dataclass

from .board import EMPTY, Board, neighbor_table

LADDER_BUDGET = 100  # reading steps per question: a ladder across a 19x19 board takes about 80


@dataclass
class MoveEffect:
    """What playing an empty point does for the side to move."""
    liberties: int  # of the mover's string after the move and its captures
    captures: int  # opponent stones removed
    string_size: int  # stones in the mover's string after the move


class _Stones:
    """Stones with play and take-back, for reading: no groups kept, strings found by flood fill. Simple ko is
    kept (a single stone may not be retaken at once), so a capture and recapture cannot loop."""

    __slots__ = ("stones", "nbrs", "ko", "_kos")

    def __init__(self, stones: bytearray | bytes, size: int):
        self.stones = bytearray(stones)
        self.nbrs = neighbor_table(size)
        self.ko: int | None = None
        self._kos: list[int | None] = []

    def string(self, point: int, limit: int = 1 << 30) -> tuple[list[int], set[int]]:
        """The stones of the string at ``point`` and its liberties; the flood fill stops once it has found more
        than ``limit`` liberties (then both are partial)."""
        stones, nbrs = self.stones, self.nbrs
        color = stones[point]
        members, libs, frontier, seen = [point], set(), [point], {point}
        while frontier:
            p = frontier.pop()
            for q in nbrs[p]:
                s = stones[q]
                if s == EMPTY:
                    libs.add(q)
                    if len(libs) > limit:
                        return members, libs
                elif s == color and q not in seen:
                    seen.add(q)
                    members.append(q)
                    frontier.append(q)
        return members, libs

    def liberty_count(self, point: int, limit: int) -> int:
        """Liberties of the string at ``point``, counted up to ``limit + 1``."""
        return len(self.string(point, limit)[1])

    def play(self, point: int, color: int) -> list[int] | None:
        """Put a stone and remove the opponent strings it leaves without liberties. Returns the captured points,
        or ``None`` (and changes nothing) when the move would be suicide or retake the ko."""
        if point == self.ko:
            return None
        stones, nbrs = self.stones, self.nbrs
        stones[point] = color
        captured: list[int] = []
        opp = 3 - color
        for q in nbrs[point]:
            if stones[q] == opp and not self.liberty_count(q, 0):
                members = self.string(q)[0]
                captured.extend(members)
                for s in members:
                    stones[s] = EMPTY
        if not captured and not self.liberty_count(point, 0):
            stones[point] = EMPTY
            return None
        self._kos.append(self.ko)
        alone = all(stones[q] != color for q in nbrs[point])
        self.ko = captured[0] if len(captured) == 1 and alone and self.liberty_count(point, 1) == 1 else None
        return captured

    def take_back(self, point: int, captured: list[int], color: int) -> None:
        stones = self.stones
        stones[point] = EMPTY
        opp = 3 - color
        for s in captured:
            stones[s] = opp
        self.ko = self._kos.pop()

    def attackers_in_atari(self, members: list[int]) -> list[int]:
        """The single liberties of the opponent strings next to ``members`` that are in atari themselves."""
        stones, nbrs = self.stones, self.nbrs
        opp = 3 - stones[members[0]]
        done: set[int] = set()
        out: list[int] = []
        for p in members:
            for q in nbrs[p]:
                if stones[q] == opp and q not in done:
                    if self.liberty_count(q, 1) == 1:
                        strung, libs = self.string(q)
                        done.update(strung)
                        lib = next(iter(libs))
                        if lib not in out:
                            out.append(lib)
                    else:
                        done.add(q)
        return out


class Ladders:
    """Ladder reading on one position; answers are cached per string, so asking for every string is cheap."""

    def __init__(self, board: Board, budget: int = LADDER_BUDGET):
        self.size = board.size
        self.work = _Stones(board.stones, board.size)
        self.budget = budget
        self._left = 0

    def captured(self, point: int) -> bool:
        """Whether the string at ``point`` (one or two liberties) is captured in a ladder: with one liberty its
        owner moves first, with two the attacker does. Strings with more liberties are never captured."""
        members, libs = self.work.string(point)
        if len(libs) == 1:
            self._left = self.budget
            return not self._defender_escapes(point)
        if len(libs) == 2:
            return bool(self.capture_moves(point))
        return False

    def capture_moves(self, point: int) -> list[int]:
        """The liberties of a two-liberty string at ``point`` where an atari starts a ladder that captures it
        (each atari read with a budget of its own)."""
        members, libs = self.work.string(point)
        if len(libs) != 2:
            return []
        color = self.work.stones[point]
        out = []
        for lib in sorted(libs):
            self._left = self.budget
            if self._atari_captures(point, lib, 3 - color):
                out.append(lib)
        return out

    def escapes_by_extension(self, point: int) -> bool:
        """For a string in atari at ``point``: whether extending at its liberty gets out of the ladder."""
        members, libs = self.work.string(point)
        if len(libs) != 1:
            return False
        self._left = self.budget
        return self._extension_escapes(point, next(iter(libs)))

    # ------------------------------------------------------------------ the reading
    def _defender_escapes(self, point: int) -> bool:
        """The defender (owner of the string at ``point``, in atari) to move: can it reach safety? Extending is
        tried first (the usual escape, and a cheap one), then capturing an attacking string in atari."""
        self._left -= 1
        if self._left <= 0:
            return True  # out of budget: not proven captured
        work = self.work
        members, libs = work.string(point)
        if self._extension_escapes(point, next(iter(libs))):
            return True
        color = work.stones[point]
        for lib in work.attackers_in_atari(members):
            captured = work.play(lib, color)
            if captured is None:
                continue
            escaped = self._safe_after_defence(point)
            work.take_back(lib, captured, color)
            if escaped:
                return True
        return False

    def _extension_escapes(self, point: int, lib: int) -> bool:
        work = self.work
        color = work.stones[point]
        captured = work.play(lib, color)
        if captured is None:
            return False
        escaped = self._safe_after_defence(point)
        work.take_back(lib, captured, color)
        return escaped

    def _safe_after_defence(self, point: int) -> bool:
        count = self.work.liberty_count(point, 2)
        if count >= 3:
            return True
        if count <= 1:
            return False
        return not self._attacker_captures(point, self.work.string(point)[1])

    def _attacker_captures(self, point: int, libs: set[int]) -> bool:
        """The attacker to move against the two-liberty string at ``point``: does an atari capture it?"""
        attacker = 3 - self.work.stones[point]
        return any(self._atari_captures(point, lib, attacker) for lib in sorted(libs))

    def _atari_captures(self, point: int, lib: int, attacker: int) -> bool:
        self._left -= 1
        if self._left <= 0:
            return False
        work = self.work
        captured = work.play(lib, attacker)
        if captured is None:
            return False
        if work.stones[point] == EMPTY:  # the atari captured the string outright (it had one liberty left)
            result = True
        else:
            result = not self._defender_escapes(point)
        work.take_back(lib, captured, attacker)
        return result


def move_effects(board: Board, color: int) -> dict[int, MoveEffect]:
    """For each empty point where ``color`` may play (simple ko and suicide checked, superko not), what the move
    does. Computed from the board's own strings, without playing anything."""
    stones, nbrs = board.stones, board._nbrs
    out: dict[int, MoveEffect] = {}
    ko = board.ko if board.ko_color == color else None
    for p in range(board.n):
        if stones[p] or p == ko:
            continue
        libs, own, enemies = board.neighbors(p, color)
        caught = [g for g in enemies if len(g.libs) == 1]
        if not own and not caught:
            if libs:
                out[p] = MoveEffect(len(libs), 0, 1)
            continue
        size = 1
        for g in own:
            libs |= g.libs
            size += len(g.stones)
        libs.discard(p)
        captures = 0
        if caught:
            members = {p}
            for g in own:
                members.update(g.stones)
            for g in caught:
                captures += len(g.stones)
                for s in g.stones:  # a captured stone next to the new string becomes its liberty
                    if any(q in members for q in nbrs[s]):
                        libs.add(s)
        if libs:
            out[p] = MoveEffect(len(libs), captures, size)
    return out
