"""A board diagram as inline SVG: the position before a move, with the move played and the engine's choice."""
from __future__ import annotations

from goengine.board import BLACK, Board
from goengine.coords import GTP_COLUMNS

CELL = 22
MARGIN = 28
PLAYED_RING = "#c0392b"
PREFERRED_RING = "#1e8449"


def star_points(size: int) -> list[tuple[int, int]]:
    """(row, col) of the hoshi drawn on the usual board sizes."""
    if size < 9:
        return []
    edge = 3 if size >= 13 else 2
    lines = [edge, size - 1 - edge] + ([size // 2] if size % 2 else [])
    return [(r, c) for r in lines for c in lines]


def board_svg(board: Board, color: int, played: int, number: int, preferred: int | None) -> str:
    """``board`` before move ``number`` (``color`` at ``played``, a stone with a red ring and the move number);
    ``preferred`` is the engine's move, a green ring with the letter A. A pass is not drawn."""
    size = board.size
    side = 2 * MARGIN + (size - 1) * CELL

    def xy(point: int) -> tuple[int, int]:
        row, col = divmod(point, size)
        return MARGIN + col * CELL, MARGIN + (size - 1 - row) * CELL

    parts = [f'<svg class="diagram" xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
             f'viewBox="0 0 {side} {side}" role="img" aria-label="position before move {number}">',
             f'<rect width="{side}" height="{side}" fill="#dcb35c"/>']
    end = MARGIN + (size - 1) * CELL
    for i in range(size):
        at = MARGIN + i * CELL
        parts.append(f'<line x1="{MARGIN}" y1="{at}" x2="{end}" y2="{at}" stroke="#3a2a14" stroke-width="1"/>')
        parts.append(f'<line x1="{at}" y1="{MARGIN}" x2="{at}" y2="{end}" stroke="#3a2a14" stroke-width="1"/>')
        parts.append(f'<text x="{at}" y="{MARGIN - 14}" font-size="10" text-anchor="middle">{GTP_COLUMNS[i]}</text>')
        parts.append(f'<text x="{MARGIN - 13}" y="{end - i * CELL + 4}" font-size="10" '
                     f'text-anchor="end">{i + 1}</text>')
    for row, col in star_points(size):
        x, y = xy(row * size + col)
        parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="#3a2a14"/>')
    radius = CELL / 2 - 1
    for point, stone in enumerate(board.stones):
        if stone:
            x, y = xy(point)
            fill, edge = ("#111", "#000") if stone == BLACK else ("#f6f6f6", "#555")
            parts.append(f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{fill}" stroke="{edge}"/>')
    if preferred is not None and preferred != played and preferred < board.n:
        x, y = xy(preferred)
        parts.append(f'<circle class="preferred" cx="{x}" cy="{y}" r="{radius}" fill="#f4e6c4" '
                     f'stroke="{PREFERRED_RING}" stroke-width="3"/>')
        parts.append(f'<text x="{x}" y="{y + 4}" font-size="12" font-weight="bold" text-anchor="middle" '
                     f'fill="{PREFERRED_RING}">A</text>')
    if played < board.n:
        x, y = xy(played)
        fill, text_color = ("#111", "#fff") if color == BLACK else ("#f6f6f6", "#000")
        parts.append(f'<circle class="played" cx="{x}" cy="{y}" r="{radius}" fill="{fill}" '
                     f'stroke="{PLAYED_RING}" stroke-width="3"/>')
        parts.append(f'<text x="{x}" y="{y + 4}" font-size="{10 if number < 100 else 8}" text-anchor="middle" '
                     f'fill="{text_color}">{number}</text>')
    parts.append("</svg>")
    return "".join(parts)

