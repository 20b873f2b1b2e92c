"""A slow, obviously-correct Go board used only to check ``goengine.Board``.

Everything is recomputed from scratch by flood fill after every move; nothing is incremental. Rules: a stone is
placed, opponent groups left without liberties are removed, then the mover's own group is removed if it has no
liberties (suicide, only when allowed). Simple ko: a move is illegal if the board after it equals the board
before the opponent's last move and that last move captured stones.
"""
from __future__ import annotations

EMPTY, BLACK, WHITE = 0, 1, 2


def neighbours(p: int, size: int) -> list[int]:
    """Orthogonal neighbours of flat point ``p`` (row = p // size)."""
    r, c = divmod(p, size)
    out = []
    if r > 0:
        out.append(p - size)
    if r < size - 1:
        out.append(p + size)
    if c > 0:
        out.append(p - 1)
    if c < size - 1:
        out.append(p + 1)
    return out


def flood(stones: list[int], p: int, size: int) -> tuple[set[int], set[int]]:
    """The group containing ``p`` and its liberties, by flood fill."""
    color = stones[p]
    group, libs, todo = {p}, set(), [p]
    while todo:
        s = todo.pop()
        for q in neighbours(s, size):
            if stones[q] == EMPTY:
                libs.add(q)
            elif stones[q] == color and q not in group:
                group.add(q)
                todo.append(q)
    return group, libs


def liberty_counts(stones: list[int], size: int) -> list[int]:
    """Per point, the liberty count of its group (0 where empty), each group flooded from scratch."""
    return [len(flood(stones, p, size)[1]) if stones[p] else 0 for p in range(size * size)]


def apply_move(stones: list[int], p: int, color: int, size: int) -> tuple[list[int], int, int]:
    """Return (new stones, opponent stones captured, own stones lost to suicide); ``stones`` is not changed."""
    new = list(stones)
    new[p] = color
    opp = 3 - color
    captured = 0
    for q in neighbours(p, size):
        if new[q] == opp:
            group, libs = flood(new, q, size)
            if not libs:
                for s in group:
                    new[s] = EMPTY
                captured += len(group)
    own, libs = flood(new, p, size)
    lost = 0
    if not libs:
        for s in own:
            new[s] = EMPTY
        lost = len(own)
    return new, captured, lost


class RefBoard:
    """The reference position: stones, captures, side to move and what the ko rule needs."""

    def __init__(self, size: int, allow_suicide: bool = False):
        self.size = size
        self.allow_suicide = allow_suicide
        self.stones = [EMPTY] * (size * size)
        self.captures = [0, 0, 0]
        self.to_move = BLACK
        self.before_last: list[int] | None = None  # board before the last move, if that move captured

    def reason(self, p: int, color: int) -> str | None:
        """Why ``color`` may not play ``p``, or None."""
        if p == self.size * self.size:
            return None
        if self.stones[p] != EMPTY:
            return "occupied"
        new, captured, lost = apply_move(self.stones, p, color, self.size)
        if lost and not self.allow_suicide:
            return "suicide"
        if self.before_last is not None and new == self.before_last:
            return "ko"
        return None

    def legal_moves(self, color: int | None = None) -> set[int]:
        color = color or self.to_move
        n = self.size * self.size
        return {p for p in range(n + 1) if self.reason(p, color) is None}

    def play(self, p: int, color: int | None = None) -> None:
        color = color or self.to_move
        why = self.reason(p, color)
        if why:
            raise ValueError(why)
        if p == self.size * self.size:
            self.before_last = None
        else:
            new, captured, lost = apply_move(self.stones, p, color, self.size)
            self.before_last = list(self.stones) if captured else None
            self.stones = new
            self.captures[color] += captured
            self.captures[3 - color] += lost
        self.to_move = 3 - color
