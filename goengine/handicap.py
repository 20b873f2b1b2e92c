"""Handicap stone placement: GTP v2's fixed placement (spec section 4.1.1) and a free placement."""
from __future__ import annotations

from .coords import check_size

# Which of the nine star points (named by their corner/edge) the GTP spec uses for each stone count.
_LAYOUTS = {
    2: ("bl", "tr"),
    3: ("bl", "tr", "tl"),
    4: ("bl", "tr", "tl", "br"),
    5: ("bl", "tr", "tl", "br", "c"),
    6: ("bl", "tr", "tl", "br", "l", "r"),
    7: ("bl", "tr", "tl", "br", "l", "r", "c"),
    8: ("bl", "tr", "tl", "br", "l", "r", "b", "t"),
    9: ("bl", "tr", "tl", "br", "l", "r", "b", "t", "c"),
}


def max_fixed_handicap(size: int) -> int:
    """The most stones GTP's fixed placement allows: none below 7x7, 4 on 7x7 and even sizes, else 9."""
    check_size(size)
    if size < 7:
        return 0
    if size == 7 or size % 2 == 0:
        return 4
    return 9


def fixed_handicap(size: int, stones: int) -> list[int]:
    """The points of GTP's fixed handicap placement, in the spec's order; ``ValueError`` if not allowed."""
    limit = max_fixed_handicap(size)
    if not 2 <= stones <= limit:
        raise ValueError(f"fixed handicap of {stones} stones is not defined on {size}x{size} "
                         f"(allowed: {'2 to %d' % limit if limit else 'none'})")
    edge = 3 if size >= 13 else 2
    lo, mid, hi = edge, size // 2, size - 1 - edge
    where = {"bl": (lo, lo), "tr": (hi, hi), "tl": (hi, lo), "br": (lo, hi), "l": (mid, lo), "r": (mid, hi),
             "b": (lo, mid), "t": (hi, mid), "c": (mid, mid)}
    return [where[name][0] * size + where[name][1] for name in _LAYOUTS[stones]]


def free_handicap(size: int, stones: int) -> list[int]:
    """A free placement of any number of stones: the fixed layout where defined, then spread points."""
    check_size(size)
    if not 2 <= stones < size * size:
        raise ValueError(f"cannot place {stones} handicap stones on {size}x{size}")
    limit = max_fixed_handicap(size)
    points = fixed_handicap(size, min(stones, limit)) if limit >= 2 else []
    if len(points) >= stones:
        return points[:stones]
    # fill the rest on a lattice of every other point, away from the edge where the board allows
    taken = set(points)
    margin = 2 if size >= 9 else (1 if size >= 5 else 0)
    candidates = [r * size + c for r in range(margin, size - margin, 2) for c in range(margin, size - margin, 2)]
    candidates += [p for p in range(size * size)]
    for p in candidates:
        if p not in taken:
            points.append(p)
            taken.add(p)
            if len(points) == stones:
                break
    return points
