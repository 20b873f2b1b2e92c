"""Tactical blunders of one player in a game record, checked with a GTP engine's tactical reader (GNU Go).

Two kinds are counted, for strings of ``min_size`` stones or more (3 by default):

* **self-atari**: after the player's move (and its captures), the string that holds the new stone has one liberty;
* **left in atari**: before the player's move one of its strings has one liberty, the reader's ``defend`` finds a
  move that saves it outright (result 1; a defence only by ko is not counted), and after the move actually played
  the reader's ``attack`` still captures it (outright or by ko). A pass counts as a move that saves nothing.

A move that extends a string in atari into a string that is still in atari counts as both. Each finding notes
whether the opponent captured the string with its very next move. The reader is kept in step with ``play``
commands and asked only about strings in atari, so a 200-move game costs a few seconds of GNU Go. A deliberate
sacrifice (a throw-in of three stones to spoil an eye) is a self-atari too: the count says how often big strings
walked into atari, not that every one was a mistake.
"""
from __future__ import annotations

from dataclasses import dataclass

from .board import BLACK, WHITE, Board, IllegalMove
from .coords import to_gtp
from .game import Game, ReplayError
from .gtp_client import GtpClient, GtpError

MIN_SIZE = 3
SELF_ATARI, LEFT_IN_ATARI = "self-atari", "left in atari"


@dataclass
class Blunder:
    """One finding: ``vertex`` is the move played (self-atari) or a stone of the string (left in atari)."""
    kind: str
    move_number: int  # the move's 1-based number in the game record (the first one, for a string left in atari)
    vertex: str
    size: int  # stones in the string
    played: str  # the player's move, as a GTP vertex
    defence: str = ""  # the reader's saving move (left in atari)
    turns: int = 1  # the player's moves in a row that left this same string in atari, still savable
    captured_next: bool = False  # the opponent captured the string with the move after the (last) one counted


def reader_result(answer: str) -> tuple[int, str]:
    """A GNU Go reading answer (``0``, ``1 D4``, ``2 D4`` ...) as (result code, move); the move is '' for 0."""
    parts = answer.split()
    try:
        code = int(parts[0])
    except (IndexError, ValueError):
        raise GtpError(f"not a reading result: {answer!r}") from None
    return code, (parts[1] if code and len(parts) > 1 else "")


def _letter(color: int) -> str:
    return "b" if color == BLACK else "w"


def _start_reader(reader: GtpClient, game: Game) -> None:
    reader.send(f"boardsize {game.size}")
    reader.send("clear_board")
    reader.send(f"komi {game.komi if game.komi is not None else 0:g}")
    for color, stones in ((BLACK, game.setup_black), (WHITE, game.setup_white)):
        for p in stones:
            reader.send(f"play {_letter(color)} {to_gtp(p, game.size)}")


def _strings_in_atari(board: Board, color: int, min_size: int) -> list[list[int]]:
    return [stones for c, stones, libs in board.groups() if c == color and len(stones) >= min_size and len(libs) == 1]


def find_blunders(game: Game, color: int, reader: GtpClient | None = None, min_size: int = MIN_SIZE) -> list[Blunder]:
    """The self-ataris of ``color`` in ``game`` and, when a ``reader`` (a GTP engine with GNU Go's ``defend`` and
    ``attack``) is given, its strings left in atari that the reader could have saved; in the order played. A string
    left in atari over several moves, unchanged, is one finding with ``turns`` above 1.
    Raises ``ReplayError`` for an illegal move in the record and ``GtpError`` when the reader refuses one."""
    size = game.size
    board = game.new_board()
    if reader is not None:
        _start_reader(reader, game)
    found: list[Blunder] = []
    watched: list[tuple[Blunder, int]] = []  # findings of the last move, with a stone the opponent may capture next
    left: dict[frozenset[int], Blunder] = {}  # strings left in atari by the player's last move
    for index, (mover, point) in enumerate(game.moves):
        vertex = to_gtp(point, size)
        savable: list[tuple[list[int], str]] = []  # the player's strings in atari that a move saves, and that move
        if mover == color and reader is not None:
            for stones in _strings_in_atari(board, color, min_size):
                code, defence = reader_result(reader.send(f"defend {to_gtp(stones[0], size)}"))
                if code == 1:
                    savable.append((stones, defence))
        try:
            captured = board.play(point, mover)
        except IllegalMove as exc:
            raise ReplayError(game, index, exc) from exc
        if reader is not None:
            try:
                reader.send(f"play {_letter(mover)} {vertex}")
            except GtpError as exc:
                raise GtpError(f"{game.source or 'game'}: move {index + 1} ({vertex}): the reader refused it: "
                               f"{exc}") from exc
        for blunder, stone in watched:
            blunder.captured_next = stone in captured
        watched = []
        if mover != color:
            continue
        if point != board.pass_move and board.liberties(point) == 1 and len(board.group_stones(point)) >= min_size:
            blunder = Blunder(SELF_ATARI, index + 1, vertex, len(board.group_stones(point)), vertex)
            found.append(blunder)
            watched.append((blunder, point))
        still_left: dict[frozenset[int], Blunder] = {}
        for stones, defence in savable:
            if not reader_result(reader.send(f"attack {to_gtp(stones[0], size)}"))[0]:
                continue  # saved
            key = frozenset(stones)
            blunder = left.get(key)
            if blunder is None:
                blunder = Blunder(LEFT_IN_ATARI, index + 1, to_gtp(stones[0], size), len(stones), vertex, defence)
                found.append(blunder)
            else:
                blunder.turns += 1
            still_left[key] = blunder
            watched.append((blunder, stones[0]))
        left = still_left
    return found
