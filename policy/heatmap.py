"""Render what the network thinks of a position: move probabilities as a heatmap PNG over the board."""
from __future__ import annotations

import numpy as np

from goengine.board import BLACK, Board
from goengine.coords import GTP_COLUMNS, to_gtp


def policy_heatmap(board: Board, probs: np.ndarray, path: str, value: float | None = None,
                   title: str | None = None) -> None:
    """Write a PNG: the board's stones over a colour map of ``probs`` (length ``size*size + 1``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    size = board.size
    if probs.shape != (size * size + 1,):
        raise ValueError(f"expected {size * size + 1} probabilities, got shape {probs.shape}")
    grid = probs[:-1].reshape(size, size)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.set_facecolor((0.86, 0.70, 0.36))
    im = ax.imshow(grid, origin="lower", cmap="magma", alpha=0.85, extent=(-0.5, size - 0.5, -0.5, size - 0.5))
    for i in range(size):
        ax.plot([0, size - 1], [i, i], color="black", lw=0.5, alpha=0.5)
        ax.plot([i, i], [0, size - 1], color="black", lw=0.5, alpha=0.5)
    for p, c in enumerate(board.stones):
        if c:
            row, col = divmod(p, size)
            ax.add_patch(plt.Circle((col, row), 0.45, color="black" if c == BLACK else "white", ec="black"))
    for p in np.argsort(-probs[:-1])[:5]:
        row, col = divmod(int(p), size)
        ax.text(col, row, f"{100 * probs[p]:.0f}", ha="center", va="center", color="cyan", fontsize=8)
    ax.set_xticks(range(size), GTP_COLUMNS[:size])
    ax.set_yticks(range(size), [str(i + 1) for i in range(size)])
    best = to_gtp(int(np.argmax(probs)), size)
    mover = "Black" if board.to_move == BLACK else "White"
    text = title or f"{mover} to move; best {best} ({100 * probs.max():.1f}%); pass {100 * probs[-1]:.1f}%"
    if value is not None:
        text += f"; value {value:+.2f}"
    ax.set_title(text, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
