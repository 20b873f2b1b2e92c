"""Text and image renderings of a board, with GTP coordinates (columns skip I, row 1 at the bottom)."""
from __future__ import annotations

import numpy as np

from .board import BLACK, WHITE, Board
from .coords import GTP_COLUMNS

_SYMBOLS = {0: ".", BLACK: "X", WHITE: "O"}


def render_ascii(board: Board, mark_last: bool = True) -> str:
    """The board as text: ``X`` black, ``O`` white, ``.`` empty; the last move in parentheses."""
    size = board.size
    last = board.last_move[1] if (mark_last and board.last_move) else None
    header = "  " + "".join(" " + c for c in GTP_COLUMNS[:size])
    lines = [header]
    for row in range(size - 1, -1, -1):
        line = ""
        for col in range(size):
            p = row * size + col
            sep = "(" if p == last else (")" if col and p - 1 == last else " ")
            line += sep + _SYMBOLS[board.stones[p]]
        line += ")" if last == row * size + size - 1 else " "
        lines.append(f"{row + 1:>2}{line}{row + 1}")
    lines.append(header)
    color = "Black" if board.to_move == BLACK else "White"
    lines.append(f"{color} to move; captures B {board.captures[BLACK]} W {board.captures[WHITE]}")
    return "\n".join(lines)


def render_rgb(board: Board, cell: int = 16) -> np.ndarray:
    """The board as an RGB ``uint8`` image (wood background, grid, stones), row 1 at the bottom."""
    size = board.size
    px = cell * size
    img = np.empty((px, px, 3), dtype=np.uint8)
    img[:] = (220, 179, 92)
    centres = np.arange(size) * cell + cell // 2
    for c in centres:
        img[centres[0]:centres[-1] + 1, c] = (40, 30, 20)
        img[c, centres[0]:centres[-1] + 1] = (40, 30, 20)
    yy, xx = np.mgrid[0:cell, 0:cell]
    disc = (yy - cell / 2 + 0.5) ** 2 + (xx - cell / 2 + 0.5) ** 2 <= (cell / 2 - 1) ** 2
    for p, color in enumerate(board.stones):
        if color:
            row, col = divmod(p, size)
            top = (size - 1 - row) * cell
            left = col * cell
            patch = img[top:top + cell, left:left + cell]
            patch[disc] = (15, 15, 15) if color == BLACK else (245, 245, 245)
    return img
