"""A small tactical reader: what a move does to liberties and captures, and ladders read to the end.

The reader works on a private copy of the stones and finds strings by flood fill, so it never touches the
``Board`` it came from. It is compiled with numba (``cache=True``: the machine code is kept in ``__pycache__``
beside this file, so only the first process after an install or a change pays the compile, about 11 s of CPU;
later ones load it in well under a second), which makes a whole position's reading cost tens of microseconds. Two
questions are answered:

* ``move_effects``: for every empty point, the liberties the mover's string would have after playing there, the
  opponent stones it would capture, and whether it is legal at all (simple ko and suicide; superko is left to the
  caller's legality mask);
* ``Ladders``: whether a string with one or two liberties is captured in a ladder, read move by move: the attacker
  keeps the string in atari, the defender extends or captures an attacking string that is in atari itself. A
  defender string that reaches three liberties has escaped. Simple ko holds inside the reading (no immediate
  retake) and the board's own ko point is not, and a question that needs more than ``budget`` reading steps
  counts as an escape, so the answer "captured" is never a guess. Where the budget cuts a reading short, which
  lines were read first (and so the answer) can depend on how the board is turned and on the stone a string is
  read from (``read_position`` reads each string from the first stone of the board's own group).

``read_position`` answers both for a whole position at once, for the ``go-40`` planes of ``goengine.features``;
``liberty_counts`` and ``ko_and_suicide_points`` give the two board facts of the ``go-27`` planes the same way.
These facts are what AlphaGo's policy network read from its input planes (Silver et al. 2016, Extended Data
Table 2: liberties after the move, capture size, self-atari size, ladder capture, ladder escape).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from .board import EMPTY, Board, diagonal_table, neighbor_table

LADDER_BUDGET = 100  # reading steps per question: a ladder across a 19x19 board takes about 80
_ALL = 1 << 30  # a flood fill limit that never stops early

_jit = numba.njit(cache=True, nogil=True)

# the rows of ``read_position``'s answer
LIBERTIES, CAPTURES, STRING_SIZE, LADDER_CAPTURE, LADDER_ESCAPE, LADDERED, TRUE_EYE = range(7)


@dataclass
class MoveEffect:
    """What playing an empty point does for the side to move."""
    liberties: int  # of the mover's string after the move and its captures
    captures: int  # opponent stones removed
    string_size: int  # stones in the mover's string after the move


@lru_cache(maxsize=None)
def _tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``goengine.board``'s orthogonal and diagonal neighbour tables as ``(n, 4)`` int32 arrays padded with -1 (the
    orthogonal order is the order strings are flood-filled in)."""
    out = []
    for table in (neighbor_table(size), diagonal_table(size)):
        array = np.full((len(table), 4), -1, dtype=np.int32)
        for p, near in enumerate(table):
            array[p, :len(near)] = near
        array.flags.writeable = False
        out.append(array)
    return out[0], out[1]


# The reader keeps all of its state in one int64 array ``w`` (one array, so that calls between the compiled
# functions pass no reference counts around): counters at fixed places, then the stones and the work areas.
# Stack tops are kept as positions in ``w``.
_KO, _LEFT, _STAMP, _CAP_TOP, _KO_TOP, _FRAME_TOP, _ARENA_TOP = range(7)  # counters
_MARK, _FRONTIER, _SCRATCH, _MEMBERS, _LIBS, _FRAMES, _ARENA = range(7, 14)  # where each work area starts
_STONES = 16  # the stones lie at w[_STONES:_STONES + n]
_FRAME = 5  # numbers per frame: kind, next move, first move (in w), move count, move on the board
_DEFENCE, _ATTACK = 0, 1  # frame kinds


def _new_reader(stones: np.ndarray, budget: int) -> np.ndarray:
    """The reading state for ``stones``. Every reading step spends budget, so fewer than ``budget + 2`` moves are
    on the board at once and fewer than ``2 * budget + 4`` frames on the stack. The capture stack holds, for each
    move on the board, the points it captured and then their count (at most ``n`` stones and one count a move),
    with room for a flood fill on top; a frame's moves are at most the string's liberty and one per point."""
    n = len(stones)
    sizes = {_MARK: n, _FRONTIER: n, _SCRATCH: n, _MEMBERS: n, _LIBS: n, _CAP_TOP: 2 * n + 2 * budget + 16,
             _KO_TOP: budget + 8, _FRAMES: _FRAME * (2 * budget + 8), _ARENA: (budget + 4) * (n + 3)}
    w = np.empty(_STONES + n + sum(sizes.values()), dtype=np.int64)
    w[_STONES:_STONES + n] = stones
    at = _STONES + n
    for slot, size in sizes.items():
        w[slot] = at
        at += size
    w[w[_MARK]:w[_MARK] + n] = 0  # flood fill stamps start at 1
    w[_STAMP] = 0
    w[_KO] = -1
    w[_FRAME_TOP] = w[_FRAMES]
    w[_ARENA_TOP] = w[_ARENA]
    return w


@_jit
def _fill(w, nbrs, point, limit, out):
    """Flood fill the string at ``point``: its stones go to ``w[out:]`` in the order found (depth first, in
    neighbour order) and its liberties to the liberty area. Stops once more than ``limit`` liberties are found
    (both lists are then partial). Returns (stones found, liberties found)."""
    mark, frontier, libs = w[_MARK] - _STONES, w[_FRONTIER], w[_LIBS]  # mark[q] is w[mark + _STONES + q]
    w[_STAMP] += 1
    stamp = w[_STAMP]
    color = w[_STONES + point]
    w[mark + _STONES + point] = stamp
    w[out] = point
    found, nlibs, todo = 1, 0, 1
    w[frontier] = point
    while todo:
        todo -= 1
        p = w[frontier + todo]
        for k in range(4):
            q = nbrs[p, k]
            if q < 0:
                break
            if w[mark + _STONES + q] == stamp:
                continue
            s = w[_STONES + q]
            if s == EMPTY:
                w[mark + _STONES + q] = stamp
                w[libs + nlibs] = q
                nlibs += 1
                if nlibs > limit:
                    return found, nlibs
            elif s == color:
                w[mark + _STONES + q] = stamp
                w[out + found] = q
                found += 1
                w[frontier + todo] = q
                todo += 1
    return found, nlibs


@_jit
def _liberty_count(w, nbrs, point, limit):
    """Liberties of the string at ``point``, counted up to ``limit + 1`` (the first ones are at ``w[w[_LIBS]:]``)."""
    return _fill(w, nbrs, point, limit, w[_SCRATCH])[1]


@_jit
def _play(w, nbrs, point, color):
    """Put a stone and remove the opponent strings it leaves without liberties; the captured points and their
    count go on the capture stack. Returns False (and changes nothing) for suicide or an immediate ko retake."""
    if point == w[_KO]:
        return False
    w[_STONES + point] = color
    opp = 3 - color
    top = w[_CAP_TOP]
    taken = 0
    for k in range(4):
        q = nbrs[point, k]
        if q < 0:
            break
        if w[_STONES + q] == opp:
            found, nlibs = _fill(w, nbrs, q, 0, top + taken)  # complete when it finds no liberty
            if nlibs == 0:
                for i in range(top + taken, top + taken + found):
                    w[_STONES + w[i]] = EMPTY
                taken += found
    if taken == 0 and _liberty_count(w, nbrs, point, 0) == 0:
        w[_STONES + point] = EMPTY
        return False
    w[w[_KO_TOP]] = w[_KO]
    w[_KO_TOP] += 1
    ko = -1
    if taken == 1:
        alone = True
        for k in range(4):
            q = nbrs[point, k]
            if q < 0:
                break
            if w[_STONES + q] == color:
                alone = False
        if alone and _liberty_count(w, nbrs, point, 1) == 1:
            ko = w[top]
    w[_KO] = ko
    w[top + taken] = taken
    w[_CAP_TOP] = top + taken + 1
    return True


@_jit
def _take_back(w, point, color):
    """Undo the last ``_play`` (at ``point`` by ``color``)."""
    w[_STONES + point] = EMPTY
    top = w[_CAP_TOP] - 1
    start = top - w[top]
    for i in range(start, top):
        w[_STONES + w[i]] = 3 - color
    w[_CAP_TOP] = start
    w[_KO_TOP] -= 1
    w[_KO] = w[w[_KO_TOP]]


@_jit
def _attackers_in_atari(w, nbrs, point, out):
    """Into ``w[out:]``: the single liberties of the opponent strings next to the string at ``point`` that are in
    atari themselves, each once, in the order met walking the string's stones. Returns how many."""
    members = w[_MEMBERS]
    count = _fill(w, nbrs, point, _ALL, members)[0]
    opp = 3 - w[_STONES + point]
    done = np.zeros(nbrs.shape[0], dtype=np.bool_)
    found = 0
    for i in range(members, members + count):
        p = w[i]
        for k in range(4):
            q = nbrs[p, k]
            if q < 0:
                break
            if w[_STONES + q] != opp or done[q]:
                continue
            strung, nlibs = _fill(w, nbrs, q, 1, w[_SCRATCH])  # complete when it finds one liberty
            if nlibs == 1:
                for j in range(w[_SCRATCH], w[_SCRATCH] + strung):
                    done[w[j]] = True
                lib = w[w[_LIBS]]
                new = True
                for j in range(out, out + found):
                    if w[j] == lib:
                        new = False
                if new:
                    w[out + found] = lib
                    found += 1
            else:
                done[q] = True
    return found


# The reading is a depth-first search kept on an explicit stack of frames (numba's cache cannot hold recursive
# functions). A defence frame is the defender to move, its string in atari: it tries extending at the liberty,
# then capturing each attacking string in atari, and answers 1 (escapes) once one of those moves leaves the string
# safe. An attack frame is the attacker to move against the string's two liberties: it tries an atari at each, in
# increasing order, and answers 0 (not safe) once one captures. Each frame's moves lie in the arena; a frame
# waiting for its child's answer has its move on the board.
@_jit
def _push(w, kind, count):
    """Put a frame on the stack whose ``count`` moves were just written at the arena's top."""
    f = w[_FRAME_TOP]
    w[f], w[f + 1], w[f + 2], w[f + 3] = kind, 0, w[_ARENA_TOP], count
    w[_ARENA_TOP] += count
    w[_FRAME_TOP] = f + _FRAME


@_jit
def _enter_defence(w, nbrs, point):
    """The defender to move, its string at ``point`` in atari: 1 when the budget is spent (counted as an escape),
    else -1 after pushing its defence frame."""
    w[_LEFT] -= 1
    if w[_LEFT] <= 0:
        return 1
    top = w[_ARENA_TOP]
    _liberty_count(w, nbrs, point, _ALL)
    w[top] = w[w[_LIBS]]
    _push(w, _DEFENCE, 1 + _attackers_in_atari(w, nbrs, point, top + 1))
    return -1


@_jit
def _after_defence(w, nbrs, point):
    """After a defender move: 1 when the string has three liberties or more, 0 when it has one, else -1 after
    pushing the attack frame against its two liberties."""
    count = _liberty_count(w, nbrs, point, 2)
    if count >= 3:
        return 1
    if count <= 1:
        return 0
    a, b, top = w[w[_LIBS]], w[w[_LIBS] + 1], w[_ARENA_TOP]
    w[top], w[top + 1] = min(a, b), max(a, b)
    _push(w, _ATTACK, 2)
    return -1


@_jit
def _atari(w, nbrs, point, lib, attacker):
    """The attacker ataris the two-liberty string at ``point`` at ``lib``: 1 when that captures it outright, 0 when
    the budget is spent or the move is illegal, else -1 with the atari on the board and the defence frame pushed
    (its caller takes the atari back once the frame answers)."""
    w[_LEFT] -= 1
    if w[_LEFT] <= 0 or not _play(w, nbrs, lib, attacker):
        return 0
    if w[_STONES + point] == EMPTY:
        _take_back(w, lib, attacker)
        return 1
    if _enter_defence(w, nbrs, point) == 1:  # the defender escapes by budget: the atari does not capture
        _take_back(w, lib, attacker)
        return 0
    return -1


@_jit
def _next_defence(w, nbrs, point, f):
    """Play the defence frame ``f``'s next moves: 1 once one is safe, 0 when none is left, -1 when a move waits
    for an attack frame's answer."""
    defender = w[_STONES + point]
    while w[f + 1] < w[f + 3]:
        move = w[w[f + 2] + w[f + 1]]
        w[f + 1] += 1
        if not _play(w, nbrs, move, defender):
            continue
        safe = _after_defence(w, nbrs, point)
        if safe == -1:
            w[f + 4] = move
            return -1
        _take_back(w, move, defender)
        if safe == 1:
            return 1
    return 0


@_jit
def _next_attack(w, nbrs, point, f):
    """Try the attack frame ``f``'s next ataris: 0 once one captures, 1 (safe) when none is left, -1 when an atari
    waits for a defence frame's answer."""
    attacker = 3 - w[_STONES + point]
    while w[f + 1] < w[f + 3]:
        lib = w[w[f + 2] + w[f + 1]]
        w[f + 1] += 1
        captures = _atari(w, nbrs, point, lib, attacker)
        if captures == -1:
            w[f + 4] = lib
            return -1
        if captures == 1:
            return 0
    return 1


@_jit
def _run(w, nbrs, point):
    """Read until the bottom frame of the stack answers, and return its answer."""
    defender = w[_STONES + point]
    child = -1  # the answer of the frame just taken off, for the frame below it
    while True:
        f = w[_FRAME_TOP] - _FRAME
        kind = w[f]
        answer = -1
        if child >= 0:
            if kind == _DEFENCE:
                _take_back(w, w[f + 4], defender)
                if child == 1:
                    answer = 1
            else:
                _take_back(w, w[f + 4], 3 - defender)
                if child == 0:  # the defender could not escape: the atari captures
                    answer = 0
            child = -1
        if answer == -1:
            answer = _next_defence(w, nbrs, point, f) if kind == _DEFENCE else _next_attack(w, nbrs, point, f)
            if answer == -1:
                continue
        w[_FRAME_TOP] = f
        w[_ARENA_TOP] = w[f + 2]
        if f == w[_FRAMES]:
            return answer
        child = answer


@_jit
def _atari_captures(w, nbrs, point, lib, attacker):
    """Whether the attacker's atari at ``lib`` against the two-liberty string at ``point`` captures it."""
    captures = _atari(w, nbrs, point, lib, attacker)
    if captures == -1:
        captures = 1 - _run(w, nbrs, point)
        _take_back(w, lib, attacker)
    return captures == 1


@_jit
def _extension_escapes(w, nbrs, point, lib):
    """Whether the string at ``point``, in atari, gets out of the ladder by extending at its liberty ``lib``."""
    color = w[_STONES + point]
    if not _play(w, nbrs, lib, color):
        return False
    safe = _after_defence(w, nbrs, point)
    if safe == -1:
        safe = _run(w, nbrs, point)
    _take_back(w, lib, color)
    return safe == 1


@_jit
def _capture_moves(w, nbrs, point, budget):
    """The liberties of the two-liberty string at ``point`` where an atari starts a ladder that captures it, each
    read with a budget of its own: (count, first, second) in increasing order."""
    if _liberty_count(w, nbrs, point, _ALL) != 2:
        return 0, -1, -1
    a, b = w[w[_LIBS]], w[w[_LIBS] + 1]
    attacker = 3 - w[_STONES + point]
    found, first, second = 0, -1, -1
    for lib in (min(a, b), max(a, b)):
        w[_LEFT] = budget
        if _atari_captures(w, nbrs, point, lib, attacker):
            if found == 0:
                first = lib
            else:
                second = lib
            found += 1
    return found, first, second


@_jit
def _captured(w, nbrs, point, budget):
    """Whether the string at ``point`` is captured in a ladder: with one liberty its owner moves first, with two
    the attacker does. Strings with more liberties are never captured."""
    count = _liberty_count(w, nbrs, point, 2)
    if count == 1:
        w[_LEFT] = budget
        escapes = _enter_defence(w, nbrs, point)
        return (escapes if escapes != -1 else _run(w, nbrs, point)) == 0
    if count == 2:
        return _capture_moves(w, nbrs, point, budget)[0] > 0
    return False


@_jit
def _escapes_by_extension(w, nbrs, point, budget):
    """For a string in atari at ``point``: whether extending at its liberty gets out of the ladder."""
    if _liberty_count(w, nbrs, point, _ALL) != 1:
        return False
    w[_LEFT] = budget
    return _extension_escapes(w, nbrs, point, w[w[_LIBS]])


@_jit
def _ladder_facts(w, nbrs, me, starts, budget, facts):
    """Every ladder fact of a position, for the strings read from the points ``starts`` (one per string): moves
    that start a capturing ladder, moves that extend out of atari and the ladder, stones a ladder captures."""
    for point in starts:
        color = w[_STONES + point]
        count = _liberty_count(w, nbrs, point, 2)
        if count > 2:
            continue
        lib = w[w[_LIBS]]  # the liberty of a string in atari (the area is reused by the reading)
        if color != me and count == 2:
            found, first, second = _capture_moves(w, nbrs, point, budget)
            if found:
                facts[LADDER_CAPTURE, first] = 1
            if found == 2:
                facts[LADDER_CAPTURE, second] = 1
            captured = found > 0
        else:
            captured = _captured(w, nbrs, point, budget)
        if captured:
            members = w[_MEMBERS]
            size = _fill(w, nbrs, point, _ALL, members)[0]
            for i in range(members, members + size):
                facts[LADDERED, w[i]] = 1
        if color == me and count == 1 and _escapes_by_extension(w, nbrs, point, budget):
            facts[LADDER_ESCAPE, lib] = 1


@_jit
def _among(values, count, x):
    """Whether ``x`` is one of ``values[:count]``."""
    for i in range(count):
        if values[i] == x:
            return True
    return False


@_jit
def _strings(stones, nbrs):
    """Every string on the board: ``string_of[p]`` (-1 where empty), and string ``s``'s stones
    ``members[first_stone[s]:first_stone[s + 1]]`` and liberties ``libs[first_lib[s]:first_lib[s + 1]]``."""
    n = len(stones)
    string_of = np.full(n, -1, dtype=np.int32)
    first_stone = np.empty(n + 1, dtype=np.int32)
    members = np.empty(n, dtype=np.int32)
    first_lib = np.empty(n + 1, dtype=np.int32)
    libs = np.empty(4 * n, dtype=np.int32)
    mark = np.zeros(n, dtype=np.int32)
    frontier = np.empty(n, dtype=np.int32)
    strings = placed = placed_libs = 0
    for p in range(n):
        if stones[p] == EMPTY or string_of[p] >= 0:
            continue
        color = stones[p]
        first_stone[strings], first_lib[strings] = placed, placed_libs
        string_of[p] = strings
        members[placed] = p
        placed += 1
        frontier[0] = p
        todo = 1
        while todo:
            todo -= 1
            s = frontier[todo]
            for k in range(4):
                q = nbrs[s, k]
                if q < 0:
                    break
                if stones[q] == EMPTY:
                    if mark[q] != strings + 1:
                        mark[q] = strings + 1
                        libs[placed_libs] = q
                        placed_libs += 1
                elif stones[q] == color and string_of[q] < 0:
                    string_of[q] = strings
                    members[placed] = q
                    placed += 1
                    frontier[todo] = q
                    todo += 1
        strings += 1
    first_stone[strings], first_lib[strings] = placed, placed_libs
    return string_of, first_stone, members, first_lib, libs


@_jit
def _liberty_counts(stones, nbrs):
    string_of, _, _, first_lib, _ = _strings(stones, nbrs)
    counts = np.zeros(len(stones), dtype=np.int16)
    for p in range(len(stones)):
        s = string_of[p]
        if s >= 0:
            counts[p] = first_lib[s + 1] - first_lib[s]
    return counts


@_jit
def _ko_and_suicide(stones, nbrs, color, ko, allow_suicide):
    """1 at the empty points where ``color`` may not play: ``ko``, and suicide unless ``allow_suicide``. Only a
    point without an empty neighbour can be either."""
    string_of, _, _, first_lib, _ = _strings(stones, nbrs)
    out = np.zeros(len(stones), dtype=np.uint8)
    for p in range(len(stones)):
        if stones[p] != EMPTY:
            continue
        boxed, alive = True, False
        for k in range(4):
            q = nbrs[p, k]
            if q < 0:
                break
            if stones[q] == EMPTY:
                boxed = False
                break
            libs = first_lib[string_of[q] + 1] - first_lib[string_of[q]]
            if (stones[q] == color and libs > 1) or (stones[q] != color and libs == 1):
                alive = True  # a friend with a liberty to spare, or a capture
        if boxed and (p == ko or (not alive and not allow_suicide)):
            out[p] = 1
    return out


@_jit
def _move_effects(stones, nbrs, me, ko, facts):
    """For each empty point where ``me`` may play (``ko`` is the point it may not retake, or -1), the liberties of
    the mover's string after the move, the stones it captures and the string's size, into ``facts``. Computed
    from the board's strings, without playing anything."""
    n = len(stones)
    string_of, first_stone, members, first_lib, libs = _strings(stones, nbrs)
    mark = np.zeros(n, dtype=np.int32)
    stamp = 0
    own = np.empty(4, dtype=np.int32)
    caught = np.empty(4, dtype=np.int32)
    for p in range(n):
        if stones[p] != EMPTY or p == ko:
            continue
        stamp += 1
        nlibs = nown = ncaught = 0
        for k in range(4):
            q = nbrs[p, k]
            if q < 0:
                break
            if stones[q] == EMPTY:
                mark[q] = stamp
                nlibs += 1
                continue
            s = string_of[q]
            if stones[q] == me:
                if not _among(own, nown, s):
                    own[nown] = s
                    nown += 1
            elif first_lib[s + 1] - first_lib[s] == 1 and not _among(caught, ncaught, s):
                caught[ncaught] = s
                ncaught += 1
        size = 1
        for i in range(nown):
            s = own[i]
            size += first_stone[s + 1] - first_stone[s]
            for j in range(first_lib[s], first_lib[s + 1]):
                q = libs[j]
                if q != p and mark[q] != stamp:
                    mark[q] = stamp
                    nlibs += 1
        captures = 0
        for i in range(ncaught):
            s = caught[i]
            captures += first_stone[s + 1] - first_stone[s]
            for j in range(first_stone[s], first_stone[s + 1]):  # a captured stone next to the new string
                c = members[j]                                     # becomes its liberty
                for k in range(4):
                    q = nbrs[c, k]
                    if q < 0:
                        break
                    if q == p or (stones[q] == me and _among(own, nown, string_of[q])):
                        mark[c] = stamp
                        nlibs += 1
                        break
        if nlibs:
            facts[LIBERTIES, p] = nlibs
            facts[CAPTURES, p] = captures
            facts[STRING_SIZE, p] = size


@_jit
def _true_eyes(stones, nbrs, diags, me, facts):
    """Mark the points where ``me`` may play that are its true one-point eyes: every orthogonal neighbour its own,
    and the opponent on no diagonal (on the edge) or on at most one (in the middle)."""
    for p in range(len(stones)):
        if facts[LIBERTIES, p] == 0:
            continue
        eye = True
        for k in range(4):
            q = nbrs[p, k]
            if q < 0:
                break
            if stones[q] != me:
                eye = False
                break
        if not eye:
            continue
        bad = corners = 0
        for k in range(4):
            q = diags[p, k]
            if q < 0:
                break
            corners += 1
            if stones[q] == 3 - me:
                bad += 1
        if bad == 0 or (corners == 4 and bad <= 1):
            facts[TRUE_EYE, p] = 1


def _stones(board: Board) -> np.ndarray:
    return np.frombuffer(bytes(board.stones), dtype=np.uint8)


def _reading_starts(board: Board) -> np.ndarray:
    """The first stone of each of the board's groups: the point each string is read from."""
    groups = set(board._group)
    groups.discard(None)
    return np.array([g.stones[0] for g in groups], dtype=np.int64)


def liberty_counts(board: Board) -> np.ndarray:
    """Per point, the liberties of the string there (0 where empty), as int16: ``Board.liberty_counts`` computed
    from the stones in one pass, for the feature planes."""
    return _liberty_counts(_stones(board), _tables(board.size)[0])


def ko_and_suicide_points(board: Board, color: int) -> np.ndarray:
    """A uint8 mask of the empty points where ``color`` may not play by simple ko or suicide (superko is not
    checked), as ``Board.illegal_reason`` says."""
    ko = board.ko if board.ko is not None and board.ko_color == color else -1
    return _ko_and_suicide(_stones(board), _tables(board.size)[0], color, ko, board.allow_suicide)


def _effects(board: Board, stones: np.ndarray, color: int) -> np.ndarray:
    """A fresh ``read_position`` array with its ``move_effects`` rows filled."""
    facts = np.zeros((7, board.n), dtype=np.int16)
    ko = board.ko if board.ko is not None and board.ko_color == color else -1
    _move_effects(stones, _tables(board.size)[0], color, ko, facts)
    return facts


def read_position(board: Board, color: int, budget: int = LADDER_BUDGET) -> np.ndarray:
    """Every tactical fact of ``board`` for ``color`` to move, as an int16 array ``(7, n)`` whose rows are
    indexed by the constants of this module:

    ``LIBERTIES``, ``CAPTURES``, ``STRING_SIZE``: ``move_effects`` at each point where ``color`` may play (0
    elsewhere); ``LADDER_CAPTURE``: 1 where an atari starts a ladder that captures an opponent string;
    ``LADDER_ESCAPE``: 1 at the liberty of a string of ``color`` in atari where extending escapes the ladder;
    ``LADDERED``: 1 on the stones, of either colour, that a ladder captures; ``TRUE_EYE``: 1 on the true
    one-point eyes of ``color`` where it may play.
    """
    stones = _stones(board)
    nbrs, diags = _tables(board.size)
    facts = _effects(board, stones, color)
    _true_eyes(stones, nbrs, diags, color, facts)
    _ladder_facts(_new_reader(stones, budget), nbrs, color, _reading_starts(board), budget, facts)
    return facts


def move_effects(board: Board, color: int) -> dict[int, MoveEffect]:
    """For each empty point where ``color`` may play (simple ko and suicide checked, superko not), what the move
    does."""
    facts = _effects(board, _stones(board), color)
    return {p: MoveEffect(int(facts[LIBERTIES, p]), int(facts[CAPTURES, p]), int(facts[STRING_SIZE, p]))
            for p in np.flatnonzero(facts[LIBERTIES]).tolist()}


class Ladders:
    """Ladder reading on one position, one question at a time."""

    def __init__(self, board: Board, budget: int = LADDER_BUDGET):
        self.budget = budget
        self._reader = _new_reader(_stones(board), budget)
        self._nbrs = _tables(board.size)[0]

    def captured(self, point: int) -> bool:
        """Whether the string at ``point`` (one or two liberties) is captured in a ladder: with one liberty its
        owner moves first, with two the attacker does. Strings with more liberties are never captured."""
        return bool(_captured(self._reader, self._nbrs, point, self.budget))

    def capture_moves(self, point: int) -> list[int]:
        """The liberties of a two-liberty string at ``point`` where an atari starts a ladder that captures it
        (each atari read with a budget of its own), in increasing order."""
        found, first, second = _capture_moves(self._reader, self._nbrs, point, self.budget)
        return [first, second][:found]

    def escapes_by_extension(self, point: int) -> bool:
        """For a string in atari at ``point``: whether extending at its liberty gets out of the ladder."""
        return bool(_escapes_by_extension(self._reader, self._nbrs, point, self.budget))
