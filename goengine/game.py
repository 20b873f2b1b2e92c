"""A game record (setup, moves, metadata) independent of SGF, and replaying it on a Board.

Metadata parsers here turn what real servers write into clean values: results (``B+R``, ``W+3.5``, ``B+T``,
``0``, ``Void``), ranks (``9d``, ``3k``, ``1p``, ``P3段``), komi (Fox's ``650`` is 6.5).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from .board import BLACK, WHITE, Board, IllegalMove
from .scoring import check_komi


@dataclass
class Result:
    """A parsed ``RE`` value. ``winner`` is BLACK, WHITE or None (draw, void, unknown)."""
    raw: str = ""
    winner: int | None = None
    margin: float | None = None  # points, for scored games
    reason: str = "unknown"  # score, resign, time, forfeit, draw, void, unknown

    @property
    def decisive(self) -> bool:
        return self.winner is not None


_RESULT_RE = re.compile(r"^\s*([BW])\s*\+\s*(.*?)\s*$", re.I)


def parse_result(text: str | None) -> Result:
    raw = (text or "").strip()
    low = raw.lower()
    if not raw or low in ("?", "unknown"):
        return Result(raw)
    if low in ("0", "draw", "jigo", "d", "0.0", "b+0", "w+0"):
        return Result(raw, None, 0.0, "draw")
    if low.startswith("void"):
        return Result(raw, None, None, "void")
    m = _RESULT_RE.match(raw)
    if not m:
        return Result(raw)
    winner = BLACK if m.group(1).upper() == "B" else WHITE
    rest = m.group(2).lower()
    if rest in ("", "r", "resign", "res"):
        return Result(raw, winner, None, "resign")
    if rest in ("t", "time"):
        return Result(raw, winner, None, "time")
    if rest in ("f", "forfeit"):
        return Result(raw, winner, None, "forfeit")
    try:
        return Result(raw, winner, float(rest), "score")
    except ValueError:
        return Result(raw, winner, None, "unknown")


_RANK_RE = re.compile(r"(\d+)\s*([kdp]|段|级|級)", re.I)


def parse_rank(text: str | None) -> float | None:
    """A rank as a number: 1k -> 0, 2k -> -1, 1d -> 1, 9d -> 9, professionals 1p -> 10 ... 9p -> 18."""
    if not text:
        return None
    t = text.strip()
    m = _RANK_RE.search(t)
    if not m:
        return None
    value, unit = int(m.group(1)), m.group(2).lower()
    pro = unit == "p" or t.upper().startswith("P") or "职业" in t or "職業" in t
    if unit in ("k", "级", "級"):
        return float(1 - value)
    return float(9 + value) if pro else float(value)


def parse_komi(text: str | None) -> tuple[float | None, bool]:
    """Return (komi, repaired). Fox writes 650 for 6.5 and 375 for 3.75 stones (= 7.5 points).

    ``ValueError`` for a number that ``check_komi`` refuses (``nan``, ``1e400``)."""
    if text is None or not text.strip():
        return None, False
    try:
        value = float(text.strip())
    except ValueError:
        return None, False
    repaired = False
    if abs(value) >= 100:
        value /= 100.0
        repaired = True
    if abs(value) == 3.75:  # Chinese komi in stones: 3.75 stones = 7.5 points
        value = 7.5 * (1 if value > 0 else -1)
        repaired = True
    return check_komi(value), repaired


@dataclass
class GameInfo:
    black: str = ""
    white: str = ""
    black_rank: str = ""
    white_rank: str = ""
    result: Result = field(default_factory=Result)
    rules: str = ""
    date: str = ""
    event: str = ""
    place: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # other root properties, decoded

    @property
    def year(self) -> int | None:
        m = re.search(r"(1[5-9]\d\d|20\d\d)", self.date)
        return int(m.group(1)) if m else None


@dataclass
class Game:
    """One game's main line: board size, komi, setup stones, moves (colour, point) and comments.

    ``comments`` maps a node index to its comment: 0 is the root / setup, ``i`` is the node of move ``i``
    (1-based). ``notes`` lists what was repaired while reading (komi, handicap in node 2, encoding...).
    """
    size: int = 19
    komi: float | None = None
    handicap: int = 0
    setup_black: list[int] = field(default_factory=list)
    setup_white: list[int] = field(default_factory=list)
    first_player: int | None = None  # PL
    moves: list[tuple[int, int]] = field(default_factory=list)
    comments: dict[int, str] = field(default_factory=dict)
    info: GameInfo = field(default_factory=GameInfo)
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def pass_move(self) -> int:
        return self.size * self.size

    def new_board(self, **rules) -> Board:
        """An empty board of this game's size with its setup stones placed and PL applied."""
        board = Board(self.size, **rules)
        if self.setup_black or self.setup_white:
            board.setup(self.setup_black, self.setup_white)
        if self.first_player:
            board.to_move = self.first_player
        elif self.setup_black and not self.setup_white and self.moves and self.moves[0][0] == WHITE:
            board.to_move = WHITE
        return board


class ReplayError(ValueError):
    """A game could not be replayed: ``move_index`` is the 0-based index of the offending move."""

    def __init__(self, game: Game, move_index: int, cause: Exception):
        self.move_index = move_index
        super().__init__(f"{game.source or 'game'}: move {move_index + 1}: {cause}")


def positions(game: Game, **rules) -> Iterator[tuple[Board, int, int]]:
    """Replay ``game``, yielding (board before the move, colour, point) for every move.

    The board has the mover as its side to move (a record may let one colour play twice), so its features are
    the mover's view. The same Board object is yielded each time and then advanced: copy it to keep a position.
    Raises ``ReplayError`` at the first illegal move.
    """
    board = game.new_board(**rules)
    for i, (color, point) in enumerate(game.moves):
        board.to_move = color
        yield board, color, point
        try:
            board.play(point, color)
        except IllegalMove as exc:
            raise ReplayError(game, i, exc) from exc


def positions_after(game: Game, **rules) -> Iterator[tuple[Board, int, int]]:
    """Replay ``game``, yielding (board after the move, colour, point) for every move: what a move did.

    The same Board object is yielded each time: copy it to keep a position. Raises ``ReplayError`` at the first
    illegal move.
    """
    board = game.new_board(**rules)
    for i, (color, point) in enumerate(game.moves):
        try:
            board.play(point, color)
        except IllegalMove as exc:
            raise ReplayError(game, i, exc) from exc
        yield board, color, point


def replay(game: Game, upto: int | None = None, **rules) -> Board:
    """The board after the first ``upto`` moves (all moves by default). Raises ``ReplayError``."""
    board = game.new_board(**rules)
    for i, (color, point) in enumerate(game.moves[:upto]):
        try:
            board.play(point, color)
        except IllegalMove as exc:
            raise ReplayError(game, i, exc) from exc
    return board
