"""A rule commentator on the board engine: what each move did, in words, in a few paraphrases.

Events, most important first: pass, taking a ko, capture, atari, escaping from atari, connection, cut, contact
answer to the previous move, and otherwise where on the board the move is. Each event has several templates;
``describe`` picks one with a seeded random generator so the same call always gives the same text. Earlier moves
are referred to by their move numbers.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from goengine.board import BLACK, Board, neighbor_table
from goengine.coords import to_gtp
from goengine.game import Game, positions

TEMPLATES = {
    "pass": ["{who} passes .", "{who} passes instead of playing .", "{who} passes the turn ."],
    "ko": ["{who} {v} takes the ko .", "{who} takes the ko at {v} .", "{v} : {who} captures in the ko ."],
    "capture": ["{who} {v} captures {n} {stones} of move {ref} .", "{who} captures {n} {stones} at {v} , "
                "played at move {ref} .", "with {v} {who} takes {n} {stones} ( move {ref} ) off the board ."],
    "atari": ["{who} {v} puts {n} {stones} of move {ref} in atari .", "{who} ataris at {v} , threatening the "
              "{stones} of move {ref} .", "atari : {who} {v} leaves move {ref} with one liberty ."],
    "escape": ["{who} {v} saves the {stones} of move {ref} from atari .", "{who} extends out of atari at {v} ,"
               " rescuing move {ref} .", "{who} runs at {v} : move {ref} gets more liberties ."],
    "connect": ["{who} {v} connects the stones of moves {ref} and {ref2} .", "{who} joins moves {ref} and {ref2} "
                "at {v} .", "with {v} {who} links move {ref} to move {ref2} ."],
    "cut": ["{who} {v} cuts moves {ref} and {ref2} apart .", "{who} cuts at {v} , separating move {ref} from "
            "move {ref2} .", "{v} is a cut : {who} splits moves {ref} and {ref2} ."],
    "contact": ["{who} {v} answers move {ref} in contact .", "{who} plays {v} , touching move {ref} .",
                "{who} replies at {v} right next to move {ref} ."],
    "play": ["{who} plays {v} {where} .", "{who} {v} , {where} .", "{where} , {who} plays {v} ."],
}


@dataclass
class Event:
    kind: str
    fields: dict


def _region(point: int, size: int) -> str:
    row, col = divmod(point, size)
    third = max(1, size // 3)
    v = "lower" if row < third else "upper" if row >= size - third else ""
    h = "left" if col < third else "right" if col >= size - third else ""
    if v and h:
        return f"in the {v} {h} corner"
    if v or h:
        return f"on the {v or h} side"
    return "in the centre"


def _first_move(stones: list[int], placed: dict[int, int]) -> int:
    """The earliest move number among ``stones`` (their group's oldest stone)."""
    return min(placed.get(s, 0) for s in stones)


def event(board: Board, color: int, point: int, number: int, placed: dict[int, int],
          previous: int | None) -> Event:
    """What move ``number`` (1-based; ``color`` at ``point``) does on ``board``, the position *before* it."""
    size = board.size
    who = "black" if color == BLACK else "white"
    if point == board.pass_move:
        return Event("pass", {"who": who})
    v = to_gtp(point, size)
    nbrs = neighbor_table(size)[point]
    opp_groups = _distinct_groups(board, nbrs, 3 - color)
    own_groups = _distinct_groups(board, nbrs, color)
    base = {"who": who, "v": v}
    in_atari = [g for g in opp_groups if board.liberties(g[0]) == 1]
    if in_atari:
        stones = [s for g in in_atari for s in g]
        kind = "ko" if len(stones) == 1 and _would_be_ko(board, point, color) else "capture"
        return Event(kind, dict(base, n=len(stones), stones=_stones(len(stones)),
                                ref=_first_move(stones, placed)))
    threatened = [g for g in opp_groups if board.liberties(g[0]) == 2]
    if threatened:
        g = max(threatened, key=len)
        return Event("atari", dict(base, n=len(g), stones=_stones(len(g)), ref=_first_move(g, placed)))
    rescued = [g for g in own_groups if board.liberties(g[0]) == 1]
    if rescued:
        g = max(rescued, key=len)
        return Event("escape", dict(base, stones=_stones(len(g)), ref=_first_move(g, placed)))
    if len(own_groups) >= 2:
        refs = sorted(_first_move(g, placed) for g in own_groups)[:2]
        return Event("connect", dict(base, ref=refs[0], ref2=refs[1]))
    if len(opp_groups) >= 2:
        refs = sorted(_first_move(g, placed) for g in opp_groups)[:2]
        return Event("cut", dict(base, ref=refs[0], ref2=refs[1]))
    if previous is not None and previous in nbrs:
        return Event("contact", dict(base, ref=number - 1))
    return Event("play", dict(base, where=_region(point, size)))


def _distinct_groups(board: Board, points: list[int], color: int) -> list[list[int]]:
    groups, seen = [], set()
    for q in points:
        if board.stones[q] == color and q not in seen:
            stones = board.group_stones(q)
            seen.update(stones)
            groups.append(stones)
    return groups


def _would_be_ko(board: Board, point: int, color: int) -> bool:
    """True when playing ``point`` captures one stone and leaves a single stone with one liberty (a ko)."""
    trial = board.copy()
    captured = trial.play(point, color)
    return len(captured) == 1 and trial.ko is not None


def _stones(n: int) -> str:
    return "stone" if n == 1 else "stones"


def render(ev: Event, variant: int) -> str:
    """The text of ``ev`` in paraphrase ``variant`` (taken modulo the number of templates)."""
    templates = TEMPLATES[ev.kind]
    return templates[variant % len(templates)].format(**ev.fields)


def game_events(game: Game) -> list[Event]:
    """The event of every move of ``game``. ``ValueError`` for an illegal move."""
    placed: dict[int, int] = {}
    events = []
    previous = None
    for i, (board, color, point) in enumerate(positions(game)):
        events.append(event(board, color, point, i + 1, placed, previous))
        if point != board.pass_move:
            placed[point] = i + 1
        previous = point
    return events


def describe(game: Game, move: int, seed: int = 0) -> str:
    """The commentator's sentence for move ``move`` (1-based) of ``game``."""
    if not 1 <= move <= len(game.moves):
        raise ValueError(f"move {move} is out of range: the game has {len(game.moves)} moves")
    short = Game(size=game.size, komi=game.komi, setup_black=game.setup_black, setup_white=game.setup_white,
                 first_player=game.first_player, moves=game.moves[:move], source=game.source)
    ev = game_events(short)[-1]
    return render(ev, random.Random(seed * 100_003 + move).randrange(len(TEMPLATES[ev.kind])))
