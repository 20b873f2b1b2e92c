"""Write a copy of an SGF with move marks from the shipped models.

``TE[1]`` (good move) or ``BM[1]`` (bad move) on each commented move whose comment the sentiment model reads as
praise or criticism; ``GB[1]`` / ``GW[1]`` (good for Black / White) on the moves where the outcome curve enters
the zone above ``1 - zone`` or below ``zone``. Everything else in the file (variations, other properties,
comments) is kept as it was.
"""
from __future__ import annotations

from sgfmill import sgf

from goengine.sgf import read_game

from .outcome import OutcomeModel
from .sentiment import SentimentModel


def annotate(path: str, out: str, sentiment_path: str, outcome_path: str | None = None, margin: float = 0.15,
             zone: float = 0.3) -> dict:
    """Annotate the main line of ``path`` into ``out``; return counts of the marks written."""
    game = read_game(path)
    if not game.moves:
        raise ValueError(f"{path}: the game has no moves")
    with open(path, "rb") as fh:
        try:
            sg = sgf.Sgf_game.from_bytes(fh.read())
        except ValueError as exc:
            raise ValueError(f"{path}: cannot rewrite this SGF: {exc}") from exc
    nodes, number = {}, 0
    for node in sg.get_main_sequence():
        if node.get_move()[0] is not None:
            number += 1
            nodes[number] = node
    counts = {"TE": 0, "BM": 0, "GB": 0, "GW": 0}
    scorer = SentimentModel(sentiment_path)
    for index, comment in game.comments.items():
        node = nodes.get(index)
        p = scorer.praise_probability(comment) if node is not None else None
        if p is None or abs(p - 0.5) < margin:
            continue
        key = "TE" if p > 0.5 else "BM"
        node.set(key, 1)
        counts[key] += 1
    if outcome_path:
        outcome = OutcomeModel(outcome_path)
        if game.size == outcome.size:
            state = 0
            for i, p in enumerate(outcome.curve(game), start=1):
                now = 1 if p >= 1 - zone else -1 if p <= zone else 0
                if now and now != state and i in nodes:
                    key = "GB" if now > 0 else "GW"
                    nodes[i].set(key, 1)
                    counts[key] += 1
                state = now
    with open(out, "wb") as fh:
        fh.write(sg.serialise())
    return counts
