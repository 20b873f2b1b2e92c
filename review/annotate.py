"""The reviewed game as SGF: a comment at every move, the engine's line as a variation, move and position marks.

The record is written by ``goengine.sgf.game_to_sgf`` (players, komi, result, setup and the record's own comments
kept) and then read back with sgfmill to add what a plain ``Game`` cannot hold: variations and marks.
"""
from __future__ import annotations

import dataclasses

from sgfmill import sgf

from goengine.board import BLACK, WHITE
from goengine.coords import to_gtp
from goengine.sgf import game_to_sgf

from .analysis import GameReview, MoveReview
from .marks import Thresholds, mark
from .text import color_name, move_name, percent, points

MARK_WORDS = {"BM": "Blunder (BM).", "DO": "Doubtful move (DO).",
              "TE": "Better than the engine's choice (TE)."}


def move_comment(move: MoveReview, size: int, description: str, move_mark: str | None) -> str:
    """The review comment of one move: what it does, Black's winrate before and after, the loss, the engine's
    choice and the mark."""
    lost = points(move.loss)
    change = f"lost {lost:g} points of" if lost > 0 else f"gained {-lost:g} points of" if lost < 0 else "kept its"
    lines = [f"Move {move.number}, {move_name(move.color, move.point, size)}: {description}",
             f"Black's winrate {percent(move.black_before)} before, {percent(move.black_after)} after: "
             f"{color_name(move.color)} {change} winrate."]
    if move.best is None:
        lines.append("The engine searched no move here.")
    elif move.best == move.point:
        lines.append(f"The engine agrees after {move.visits} playouts.")
    else:
        line = " ".join(to_gtp(p, size) for p in move.pv)
        lines.append(f"The engine prefers {to_gtp(move.best, size)} after {move.visits} playouts; its line: {line}")
    if move_mark:
        lines.append(MARK_WORDS[move_mark])
    return "\n".join(lines)


def annotated_sgf(review: GameReview, descriptions: list[str], thresholds: Thresholds, settings: str) -> bytes:
    """The SGF of the reviewed game. ``descriptions``: the commentator's sentence per move; ``settings``: one line
    naming the search budget, put in the root comment."""
    game = review.game
    size = game.size
    comments = {0: _joined(f"Reviewed by goengine: {settings}. Winrates are Black's; a loss is the winrate the "
                           "mover lost, in percentage points.", game.comments.get(0))}
    marks = {}
    for move, description in zip(review.moves, descriptions):
        marks[move.number] = mark(move, thresholds)
        comments[move.number] = _joined(move_comment(move, size, description, marks[move.number]),
                                        game.comments.get(move.number))
    sg = sgf.Sgf_game.from_bytes(game_to_sgf(dataclasses.replace(game, comments=comments)))
    main = sg.get_main_sequence()  # the root, then one node per move
    for move in review.moves:
        node = main[move.number]
        if marks[move.number] == "DO":
            node.set("DO", True)
        elif marks[move.number]:
            node.set(marks[move.number], 1)
        if move.best is not None and move.best != move.point:
            _add_variation(main[move.number - 1], move, size)
    main[-1].set("GB" if review.final_black >= 0.5 else "GW", 1)
    return sg.serialise(wrap=79)


def _line(move: MoveReview) -> list[tuple[int, int]]:
    """The engine's line as (colour, point), colours alternating from the mover's."""
    other = WHITE if move.color == BLACK else BLACK
    return [(move.color if i % 2 == 0 else other, p) for i, p in enumerate(move.pv)]


def _add_variation(parent: sgf.Tree_node, move: MoveReview, size: int) -> None:
    node = parent
    for i, (color, point) in enumerate(_line(move)):
        node = node.new_child()
        node.set_move("b" if color == BLACK else "w", None if point == size * size else divmod(point, size))
        if i == 0:
            node.set("C", f"The engine's choice instead of move {move.number}: {color_name(move.color)} "
                          f"{percent(move.mover_before)} after {move.visits} playouts.")


def _joined(review: str, original: str | None) -> str:
    return review if not original else f"{review}\n\n{original}"
