"""The review as one self-contained HTML page: players, result, the winrate graph (embedded PNG) and a board
diagram (inline SVG) for each of the biggest mistakes. It loads nothing from a server or the network."""
from __future__ import annotations

import base64
from html import escape

from goengine.coords import to_gtp
from goengine.game import replay

from .analysis import GameReview, MoveReview
from .annotate import MARK_WORDS
from .diagram import board_svg
from .marks import Thresholds, mark
from .text import color_name, percent, points

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
.meta { color: #555; margin: 0.2em 0; } img.graph { max-width: 100%; border: 1px solid #ddd; }
.mistake { display: flex; gap: 1.5em; align-items: flex-start; margin: 1em 0; padding-top: 1em;
           border-top: 1px solid #eee; flex-wrap: wrap; }
.mistake h3 { margin: 0 0 0.4em 0; font-size: 1.05em; }
.played { color: #c0392b; font-weight: bold; } .preferred { color: #1e8449; font-weight: bold; }
table.moves td { padding: 0.1em 0.8em 0.1em 0; } .line { font-family: monospace; font-size: 0.9em; }
"""


def player(name: str, rank: str) -> str:
    return escape(f"{name or '?'}{f' ({rank})' if rank else ''}")


def review_page(review: GameReview, graph_png: bytes, mistakes: list[MoveReview], descriptions: list[str],
                thresholds: Thresholds, settings: str) -> str:
    """The page for ``review``; ``mistakes`` are the moves drawn, biggest loss first."""
    game, info = review.game, review.game.info
    black, white = player(info.black, info.black_rank), player(info.white, info.white_rank)
    counts = {key: sum(mark(m, thresholds) == key for m in review.moves) for key in ("BM", "DO", "TE")}
    facts = [f"Result: {escape(info.result.raw or 'not recorded')}", f"{len(game.moves)} moves",
             f"komi {game.komi:g}" if game.komi is not None else "komi not recorded",
             f"{game.size}x{game.size}"] + [escape(v) for v in (info.date, info.event) if v]
    graph = base64.b64encode(graph_png).decode("ascii")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Review: {black} vs {white}</title><style>{STYLE}</style></head><body>",
           f"<h1>Black {black} vs White {white}</h1>",
           f'<p class="meta">{" · ".join(facts)}</p>',
           f'<p class="meta">Reviewed by goengine: {escape(settings)}. Blunders (BM, a loss of at least '
           f'{points(thresholds.blunder):g} points of winrate): {counts["BM"]}; doubtful moves (DO, at least '
           f'{points(thresholds.doubtful):g}): {counts["DO"]}; better than the engine\'s choice (TE): '
           f'{counts["TE"]}. Final position: Black {percent(review.final_black)}.</p>',
           f'<img class="graph" alt="Black\'s winrate by move" src="data:image/png;base64,{graph}">']
    if mistakes:
        out.append(f"<h2>The {len(mistakes)} biggest {'mistake' if len(mistakes) == 1 else 'mistakes'}</h2>")
        out.extend(_mistake(review, m, descriptions[m.number - 1], mark(m, thresholds)) for m in mistakes)
    else:
        out.append("<h2>No move lost winrate</h2>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _mistake(review: GameReview, move: MoveReview, description: str, move_mark: str | None) -> str:
    game = review.game
    size = game.size
    board = replay(game, move.number - 1)
    board.to_move = move.color
    svg = board_svg(board, move.color, move.point, move.number, move.best)
    who = color_name(move.color)
    rows = [f'<tr><td class="played">played {move.number}</td><td>{to_gtp(move.point, size)}</td>'
            f"<td>Black's winrate after it: {percent(move.black_after)}</td></tr>"]
    if move.best is not None and move.best != move.point:
        rows.append(f'<tr><td class="preferred">engine (A)</td><td>{to_gtp(move.best, size)}</td>'
                    f"<td>Black's winrate with it: {percent(move.black_before)}</td></tr>")
    line = " ".join(to_gtp(p, size) for p in move.pv)
    return (f'<section class="mistake">{svg}<div><h3>Move {move.number}: {who} {to_gtp(move.point, size)}, '
            f"{who} lost {points(move.loss):g} points of winrate</h3>"
            f"<p>{escape(description)}</p><table class=\"moves\">{''.join(rows)}</table>"
            + (f'<p>Engine\'s line: <span class="line">{line}</span></p>' if line else "")
            + (f"<p>{MARK_WORDS[move_mark]}</p>" if move_mark else "") + "</div></section>")
