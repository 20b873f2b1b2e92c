"""The winrate graph: Black's winrate against move number, the biggest losses labelled, as PNG bytes.

The image is ``graph_width(moves)`` pixels wide, so that a long game keeps its moves apart, and ``HEIGHT`` high.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

HEIGHT = 360
DPI = 100
BASE_WIDTH, WIDTH_PER_MOVE, MAX_WIDTH = 400, 4, 2400


def graph_width(moves: int) -> int:
    """Pixels: ``BASE_WIDTH`` plus ``WIDTH_PER_MOVE`` a move, at most ``MAX_WIDTH``."""
    return min(MAX_WIDTH, BASE_WIDTH + WIDTH_PER_MOVE * moves)


def winrate_png(black: list[float], labelled: list[int], title: str = "") -> bytes:
    """``black[i]``: Black's winrate after move ``i`` (``black[0]`` before the first move); ``labelled``: the
    move numbers to mark and label."""
    moves = len(black) - 1
    fig = Figure(figsize=(graph_width(moves) / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = range(len(black))
    ys = [100 * w for w in black]
    ax.fill_between(xs, ys, 50, color="#333333", alpha=0.15)
    ax.plot(xs, ys, color="#111111", linewidth=1.2)
    ax.axhline(50, color="#888888", linewidth=0.8, linestyle="--")
    for number in labelled:
        ax.plot([number], [ys[number]], "o", color="#c0392b", markersize=5)
        ax.annotate(str(number), (number, ys[number]), xytext=(0, 8 if ys[number] < 85 else -14),
                    textcoords="offset points", ha="center", fontsize=9, color="#c0392b", fontweight="bold")
    ax.set_xlim(0, max(moves, 1))
    ax.set_ylim(0, 100)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_xlabel("move")
    ax.set_ylabel("Black's winrate (%)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
