"""Conversions between the library's flat point index and GTP / SGF coordinates.

A point is an ``int``: ``row * size + col`` with row 0 at the bottom (GTP row 1) and col 0 at the left
(GTP column A). Pass is ``size * size``. This is the only module that knows the other spellings.
"""
from __future__ import annotations

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I; boards above 19 use U-Z
MIN_SIZE, MAX_SIZE = 2, 25


def check_size(size: int) -> int:
    """Return ``size`` if it is a supported board size, else raise ``ValueError``."""
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"board size must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
    return size


def pass_move(size: int) -> int:
    return size * size


def to_gtp(point: int, size: int) -> str:
    """Flat point -> GTP vertex such as ``D4`` (or ``pass``)."""
    if point == size * size:
        return "pass"
    if not 0 <= point < size * size:
        raise ValueError(f"point {point} is off a {size}x{size} board")
    row, col = divmod(point, size)
    return f"{GTP_COLUMNS[col]}{row + 1}"


def from_gtp(vertex: str, size: int) -> int:
    """GTP vertex (case-insensitive, ``pass`` accepted) -> flat point; ``ValueError`` when invalid."""
    text = vertex.strip().upper()
    if text == "PASS":
        return size * size
    if len(text) < 2 or text[0] not in GTP_COLUMNS or not text[1:].isdigit():
        raise ValueError(f"invalid vertex {vertex!r}")
    col, row = GTP_COLUMNS.index(text[0]), int(text[1:]) - 1
    if col >= size or not 0 <= row < size:
        raise ValueError(f"vertex {vertex!r} is off a {size}x{size} board")
    return row * size + col


def to_sgf(point: int, size: int) -> str:
    """Flat point -> SGF coordinate such as ``dp`` (``""`` for pass). SGF rows count from the top."""
    if point == size * size:
        return ""
    row, col = divmod(point, size)
    return chr(97 + col) + chr(97 + size - 1 - row)


def from_sgf(text: str, size: int) -> int:
    """SGF coordinate -> flat point. ``""`` and ``tt`` (on boards up to 19) are passes."""
    text = text.strip().lower()
    if text == "" or (text == "tt" and size <= 19):
        return size * size
    if len(text) != 2:
        raise ValueError(f"invalid SGF point {text!r}")
    col, row_from_top = ord(text[0]) - 97, ord(text[1]) - 97
    if not (0 <= col < size and 0 <= row_from_top < size):
        raise ValueError(f"SGF point {text!r} is off a {size}x{size} board")
    return (size - 1 - row_from_top) * size + col
