"""Words shared by the SGF comments, the page and the summary: moves, percentages, the commentator's sentences."""
from __future__ import annotations

import re

from goengine.board import BLACK
from goengine.coords import to_gtp
from goengine.game import Game
from rnn_tools.rule_commentator import describe

COMMENTATOR_SEED = 0


def color_name(color: int) -> str:
    return "Black" if color == BLACK else "White"


def move_name(color: int, point: int, size: int) -> str:
    """``B D4`` / ``W pass``."""
    return f"{'B' if color == BLACK else 'W'} {to_gtp(point, size)}"


def percent(winrate: float) -> str:
    return f"{100 * winrate:.1f}%"


def points(loss: float) -> float:
    """A winrate difference as percentage points, rounded for display and JSON."""
    return round(100 * loss, 1)


def describe_moves(game: Game) -> list[str]:
    """The rule commentator's sentence for every move, as a sentence (its tokens joined back into text)."""
    return [_sentence(describe(game, i, COMMENTATOR_SEED)) for i in range(1, len(game.moves) + 1)]


def _sentence(tokens: str) -> str:
    text = re.sub(r"\s+([.,:;])", r"\1", tokens.strip())
    return text[:1].upper() + text[1:]
