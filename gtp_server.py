"""GTP version 2 engine: ``python gtp_server.py`` plays with the shipped model over stdin/stdout.

The protocol layer only parses, calls ``policy.player`` / ``goengine`` and formats. Analysis commands
(``lz-analyze``, ``kata-analyze``) stream ``info`` lines until the next command line arrives; a reader thread feeds a
queue so that the main loop can notice it. ``--play`` starts a game against a person on a text board instead.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import queue
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Callable

from goengine import __version__
from goengine.board import BLACK, WHITE, Board, IllegalMove
from goengine.cli import command_parser
from goengine.coords import check_size, from_gtp, to_gtp
from goengine.game import Game, ReplayError, parse_result
from goengine.handicap import fixed_handicap, free_handicap
from goengine.render import render_ascii
from goengine.scoring import check_komi, result_string
from goengine.sgf import SgfError, game_to_sgf, read_game, set_result
from policy.mcts import SearchConfig
from policy.runtimes import RUNTIMES, sleep_waiting_threads
from policy.timing import TimeControl

if TYPE_CHECKING:  # the network (torch) is loaded only by main()
    from policy.player import Player

log = logging.getLogger("gtp")

NAME = "goengine"
# Lizzie 0.7.4 reads the number after the first dot of `version` as a Leela Zero minor version and refuses
# anything below 15, so the string leads with the Leela Zero analysis protocol level spoken here (0.17: lz-analyze
# with prior, lcb and order), then goengine's own version.
VERSION = f"0.17.0-goengine-{__version__}"
RULES = {"chinese": "area", "aga": "area", "new_zealand": "area", "japanese": "territory"}
DEFAULT_SECONDS = 1.0  # search time of a move when neither flags nor a GTP clock say otherwise
_CONTROL = {c: None for c in list(range(32)) + [127] if c not in (9, 10)}
MAX_INTERVAL = 3600.0  # seconds between analysis lines at most; a longer interval a GUI sends is cut to this
SEARCH_SLICE = 0.1  # seconds of analysis search between two looks at the input
MAX_SECONDS = 10.0 ** 7  # time settings and time_left beyond this (about 115 days) are refused
MAX_STONES = 10_000  # stones per byo-yomi period / number of periods at most


class GtpFailure(Exception):
    """A command that fails: the message is sent after ``?``."""


def internal_error(name: str, exc: Exception) -> GtpFailure:
    """Log an unexpected exception in command ``name``; the failure that reports it to the controller."""
    log.error("internal error in %s", name, exc_info=exc)
    return GtpFailure(f"internal error: {exc.__class__.__name__}")


# ----------------------------------------------------------------- protocol text
def preprocess(raw: bytes | str) -> str:
    """One input line as the spec prescribes: no control characters but HT, no comment, HT as space, stripped."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.translate(_CONTROL)
    text = text.split("#", 1)[0].replace("\t", " ").replace("\n", " ")
    return text.strip()


def parse_command(line: str) -> tuple[str | None, str, list[str]]:
    """``[id] name args`` -> (id or None, name, args). ``line`` is preprocessed and not empty."""
    words = line.split()
    cid = None
    if words[0].isdigit() and words[0].isascii():
        cid = words.pop(0)
    if not words:
        return cid, "", []
    return cid, words[0], words[1:]


def format_response(cid: str | None, ok: bool, text: str = "") -> str:
    """``=[id] text`` or ``?[id] text`` and the blank line; never an empty line inside the text."""
    body = "\n".join(line.rstrip() for line in text.replace("\r", "").split("\n") if line.strip())
    head = ("=" if ok else "?") + (cid or "")
    if body:
        head += ("\n" if text.startswith("\n") else " ") + body
    return head + "\n\n"


@dataclass
class Stream:
    """An analysis response: ``line()`` is repeated every ``interval`` seconds (0: written once) until the next
    command (``interrupt``), with ``work()`` (one short slice of search; False once the tree is full) run in
    between, or written once and followed by ``tail`` (``lz-genmove_analyze``)."""
    line: Callable[[], str]
    interval: float
    interrupt: bool = True
    tail: Callable[[], str] | None = None
    work: Callable[[], bool] | None = None


# ----------------------------------------------------------------- the engine
class Engine:
    """The game state behind the GTP commands and the handlers themselves."""

    def __init__(self, player: "Player", size: int = 19, komi: float = 7.5, ponder: bool = False):
        self.player = player
        self.ponder = ponder  # search on the opponent's time, after the engine's own moves
        self._ponder_board: Board | None = None  # the position the engine's last move left
        self.size = size
        self.komi = komi
        self.rules = "area"
        self.time_control = TimeControl()
        self.clock: dict[int, tuple[float, int]] = {}  # latest time_left per colour
        self.emit: Callable[[str], None] | None = None  # writes one line mid-response (set by ``serve``)
        self.board = Board(size)
        self.setup: tuple[list[int], list[int]] = ([], [])
        self.handicap = 0
        self.result = ""
        self.handlers: dict[str, Callable[[list[str]], str | Stream]] = {
            "protocol_version": lambda a: "2",
            "name": lambda a: NAME,
            "version": lambda a: VERSION,
            "known_command": self.known_command,
            "list_commands": lambda a: "\n".join(self.handlers),
            "quit": lambda a: "",
            "boardsize": self.boardsize,
            "clear_board": self.clear_board,
            "komi": self.set_komi,
            "play": self.play,
            "genmove": self.genmove,
            "undo": self.undo,
            "fixed_handicap": self.fixed_handicap,
            "place_free_handicap": self.place_free_handicap,
            "set_free_handicap": self.set_free_handicap,
            "loadsgf": self.loadsgf,
            "printsgf": self.printsgf,
            "reg_genmove": self.reg_genmove,
            "final_score": self.final_score,
            "final_status_list": self.final_status_list,
            "time_settings": self.time_settings,
            "time_left": self.time_left,
            "showboard": lambda a: "\n" + render_ascii(self.board),
            "kgs-genmove_cleanup": lambda a: self.genmove(a, cleanup=True),
            "kgs-time_settings": self.kgs_time_settings,
            "kgs-rules": self.kgs_rules,
            "list_stones": self.list_stones,
            "lz-analyze": lambda a: self.analyze(a, "lz"),
            "lz-genmove_analyze": lambda a: self.genmove_analyze(a, "lz"),
            "kata-analyze": lambda a: self.analyze(a, "kata"),
            "kata-genmove_analyze": lambda a: self.genmove_analyze(a, "kata"),
            "gogui-analyze_commands": lambda a: "\n".join(GOGUI_COMMANDS),
            "goengine-policy_heatmap": self.policy_heatmap,
            "goengine-ownership": self.ownership_view,
            "goengine-value": self.value_view,
        }

    # ------------------------------------------------------------ dispatch
    def run(self, name: str, args: list[str]) -> str | Stream:
        """Run one command; ``GtpFailure`` when it fails, leaving the state as it was."""
        handler = self.handlers.get(name)
        if handler is None:
            raise GtpFailure("unknown command")
        saved = (self.board.copy(), self.size, self.komi, self.rules, self.setup, self.handicap, self.result)
        try:
            return handler(args)
        except GtpFailure:
            self._restore(saved)
            raise
        except Exception as exc:  # a bug must not kill the session: report it, keep the old state
            self._restore(saved)
            raise internal_error(name, exc) from exc

    def _restore(self, saved) -> None:
        self.board, self.size, self.komi, self.rules, self.setup, self.handicap, self.result = saved

    # ------------------------------------------------------------ argument parsing
    @staticmethod
    def _count(args: list[str], n: int) -> None:
        if len(args) != n:
            raise GtpFailure("syntax error")

    @staticmethod
    def _color(text: str) -> int:
        low = text.lower()
        if low in ("b", "black"):
            return BLACK
        if low in ("w", "white"):
            return WHITE
        raise GtpFailure("syntax error")

    def _vertex(self, text: str) -> int:
        try:
            return from_gtp(text, self.size)
        except ValueError:
            raise GtpFailure("syntax error") from None

    @staticmethod
    def _int(text: str, high: int | None = None) -> int:
        """A non-negative integer; above ``high`` it is refused (``value out of range``)."""
        if not text.isascii() or not text.lstrip("+").isdigit():
            raise GtpFailure("syntax error")
        try:
            value = int(text)
        except ValueError:  # more digits than Python converts
            raise GtpFailure("value out of range") from None
        if high is not None and value > high:
            raise GtpFailure("value out of range")
        return value

    @staticmethod
    def _float(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise GtpFailure("syntax error") from None
        if not math.isfinite(value):
            raise GtpFailure("syntax error")
        return value

    def _seconds(self, text: str) -> float:
        """A time in seconds from 0 to ``MAX_SECONDS``."""
        value = self._float(text)
        if value < 0:
            raise GtpFailure("syntax error")
        if value > MAX_SECONDS:
            raise GtpFailure("value out of range")
        return value

    # ------------------------------------------------------------ setup commands
    def known_command(self, args: list[str]) -> str:
        self._count(args, 1)
        return "true" if args[0] in self.handlers else "false"

    def _new_board(self, size: int) -> None:
        self.size, self.board = size, Board(size)
        self.setup, self.handicap, self.result = ([], []), 0, ""
        self._new_game()

    def _new_game(self) -> None:
        """A searching player forgets its tree and cached evaluations."""
        if hasattr(self.player, "new_game"):
            self.player.new_game()

    def boardsize(self, args: list[str]) -> str:
        self._count(args, 1)
        size = self._int(args[0])
        try:
            check_size(size)
        except ValueError:
            raise GtpFailure("unacceptable size") from None
        self._new_board(size)
        return ""

    def clear_board(self, args: list[str]) -> str:
        self._new_board(self.size)
        return ""

    def set_komi(self, args: list[str]) -> str:
        self._count(args, 1)
        try:
            self.komi = check_komi(float(args[0]))
        except ValueError:
            raise GtpFailure("syntax error") from None
        return ""

    def _place_handicap(self, points: list[int]) -> str:
        self.board.setup(black=points)
        self.board.to_move = WHITE
        self.setup = (list(points), [])
        self.handicap = len(points)
        return " ".join(to_gtp(p, self.size) for p in points)

    def _handicap_count(self, args: list[str]) -> int:
        self._count(args, 1)
        stones = self._int(args[0])
        if self.board.stones.count(0) != self.board.n or self.board.moves:
            raise GtpFailure("board not empty")
        return stones

    def fixed_handicap(self, args: list[str]) -> str:
        stones = self._handicap_count(args)
        try:
            points = fixed_handicap(self.size, stones)
        except ValueError:
            raise GtpFailure("invalid number of stones") from None
        return self._place_handicap(points)

    def place_free_handicap(self, args: list[str]) -> str:
        stones = self._handicap_count(args)
        try:
            points = free_handicap(self.size, stones)
        except ValueError:
            raise GtpFailure("invalid number of stones") from None
        return self._place_handicap(points)

    def set_free_handicap(self, args: list[str]) -> str:
        if self.board.stones.count(0) != self.board.n or self.board.moves:
            raise GtpFailure("board not empty")
        try:
            points = [from_gtp(a, self.size) for a in args]
        except ValueError:
            raise GtpFailure("bad vertex list") from None
        if len(points) < 2 or len(set(points)) != len(points) or self.board.n in points \
                or len(points) >= self.board.n:
            raise GtpFailure("bad vertex list")
        self._place_handicap(points)
        return ""

    def loadsgf(self, args: list[str]) -> str:
        if len(args) not in (1, 2):
            raise GtpFailure("syntax error")
        upto = self._int(args[1]) if len(args) == 2 else None
        try:
            game = read_game(args[0])
            moves = game.moves if upto is None else game.moves[:max(0, upto - 1)]
            board = game.new_board()
            for color, point in moves:
                board.play(point, color)
        except (SgfError, ReplayError, IllegalMove, ValueError, IndexError) as exc:
            log.warning("loadsgf %s: %s", args[0], exc)
            raise GtpFailure("cannot load file") from None
        if upto is not None and upto - 1 < len(game.moves):
            board.to_move = game.moves[max(0, upto - 1)][0]
        self.size, self.board = game.size, board
        self.setup = (list(game.setup_black), list(game.setup_white))
        self.handicap, self.result = game.handicap, ""
        if game.komi is not None:
            self.komi = game.komi
        self._new_game()
        return ""

    def printsgf(self, args: list[str]) -> str:
        if len(args) > 1:
            raise GtpFailure("syntax error")
        game = Game(size=self.size, komi=self.komi, handicap=self.handicap, setup_black=self.setup[0],
                    setup_white=self.setup[1], moves=list(self.board.moves))
        game.info.rules = "Japanese" if self.rules == "territory" else "Chinese"
        if self.result:
            game.info.result = parse_result(self.result)
        text = game_to_sgf(game)
        if args:
            try:
                with open(args[0], "wb") as fh:
                    fh.write(text)
            except OSError:
                raise GtpFailure("cannot save file") from None
            return ""
        return "\n" + text.decode("utf-8")

    # ------------------------------------------------------------ moves
    def play(self, args: list[str]) -> str:
        self._count(args, 2)
        color, point = self._color(args[0]), self._vertex(args[1])
        try:
            self.board.play(point, color)
        except IllegalMove as exc:
            log.info("%s", exc)
            raise GtpFailure("illegal move") from None
        self.result = ""
        return ""

    def _choose(self, color: int, cleanup: bool = False, **progress) -> int:
        """The player's move; ``progress`` (``callback``, ``every``) goes to a searching player."""
        self.board.to_move = color
        seconds, stones = self.clock.get(color, (None, 0))
        budget = self.time_control.budget(seconds, stones, self.board.stones.count(0))
        return self.player.choose_move(self.board, komi=self.komi, rules=self.rules, cleanup=cleanup,
                                       time_budget=budget, **progress)

    def _vertex_text(self, move: int) -> str:
        return "resign" if move < 0 else to_gtp(move, self.size)

    def _play_chosen(self, move: int, color: int) -> None:
        """Play the engine's own move, or record its resignation; with pondering on, remember the position."""
        self._ponder_board = None
        if move < 0:
            self.result = f"{'W' if color == BLACK else 'B'}+R"
            return
        self.board.play(move, color)
        if self.ponder:
            self._ponder_board = self.board.copy()

    def ponder_until(self, stop: Callable[[], bool]) -> None:
        """Search on the opponent's time until ``stop()``, while the position is still the one the engine's own
        move left; the reply then finds its subtree searched. A failure is logged and ends pondering."""
        board = self._ponder_board
        if board is None or not hasattr(self.player, "ponder"):
            return
        if board.moves != self.board.moves or board.stones != self.board.stones:  # the game moved on
            self._ponder_board = None
            return
        try:
            self.player.ponder(board, self.komi, stop)
        except Exception:
            log.exception("pondering failed")
            self._ponder_board = None

    def genmove(self, args: list[str], cleanup: bool = False) -> str:
        self._count(args, 1)
        color = self._color(args[0])
        move = self._choose(color, cleanup)
        self._play_chosen(move, color)
        return self._vertex_text(move)

    def reg_genmove(self, args: list[str]) -> str:
        self._count(args, 1)
        color = self._color(args[0])
        board, to_move = self.board, self.board.to_move
        try:
            return self._vertex_text(self._choose(color))
        finally:
            board.to_move = to_move

    def undo(self, args: list[str]) -> str:
        if len(args) > 1:
            raise GtpFailure("syntax error")
        count = self._int(args[0]) if args else 1
        if count > len(self.board.moves):
            raise GtpFailure("cannot undo")
        for _ in range(count):
            self.board.undo()
        self.result = ""
        return ""

    # ------------------------------------------------------------ scoring
    def final_score(self, args: list[str]) -> str:
        if self.result:
            return self.result
        return self.player.final_score(self.board, self.komi, self.rules).result

    def final_status_list(self, args: list[str]) -> str:
        self._count(args, 1)
        status = args[0].lower()
        if status not in ("alive", "dead", "seki"):
            raise GtpFailure("syntax error")
        est = self.player.estimate(self.board)
        dead, seki = set(est.dead), set(est.seki)
        lines = []
        for _, stones, _ in self.board.groups():
            kind = "dead" if stones[0] in dead else "seki" if stones[0] in seki else "alive"
            if kind == status:
                lines.append(" ".join(to_gtp(p, self.size) for p in sorted(stones)))
        return "\n".join(sorted(lines))

    def list_stones(self, args: list[str]) -> str:
        self._count(args, 1)
        color = self._color(args[0])
        return " ".join(to_gtp(p, self.size) for p in range(self.board.n) if self.board.stones[p] == color)

    # ------------------------------------------------------------ time and rules
    def time_settings(self, args: list[str]) -> str:
        self._count(args, 3)
        main, byo, stones = self._seconds(args[0]), self._seconds(args[1]), self._int(args[2], MAX_STONES)
        self.time_control, self.clock = TimeControl.from_gtp(main, byo, stones), {}
        return ""

    def kgs_time_settings(self, args: list[str]) -> str:
        if not args:
            raise GtpFailure("syntax error")
        kind = args[0].lower()
        shapes = {"none": 0, "absolute": 1, "canadian": 3, "byoyomi": 3}
        if kind not in shapes or len(args) != 1 + shapes[kind]:
            raise GtpFailure("syntax error")
        values = [self._seconds(a) for a in args[1:3]] + [self._int(a, MAX_STONES) for a in args[3:4]]
        main, byo, stones = (values + [0.0, 0.0, 0])[:3]
        self.time_control, self.clock = TimeControl(kind, main, byo, int(stones)), {}
        return ""

    def time_left(self, args: list[str]) -> str:
        self._count(args, 3)
        color, seconds, stones = self._color(args[0]), self._seconds(args[1]), self._int(args[2], MAX_STONES)
        self.clock[color] = (seconds, stones)
        return ""

    def kgs_rules(self, args: list[str]) -> str:
        self._count(args, 1)
        rules = RULES.get(args[0].lower())
        if rules is None:
            raise GtpFailure("unknown rules (use chinese, aga, japanese or new_zealand)")
        self.rules = rules
        return ""

    # ------------------------------------------------------------ analysis
    def _interval(self, text: str) -> float:
        """Centiseconds -> seconds, cut to ``MAX_INTERVAL``."""
        return min(self._int(text), int(MAX_INTERVAL * 100)) / 100

    def _analysis_args(self, args: list[str]) -> tuple[int, float, int, bool]:
        """[color] [interval] key-value pairs -> (colour, interval in seconds, max moves, ownership)."""
        args = list(args)
        color = self.board.to_move
        interval, maxmoves, ownership = 1.0, 10, False
        if args and args[0].lower() in ("b", "w", "black", "white"):
            color = self._color(args.pop(0))
        if args and args[0].isdigit():
            interval = self._interval(args.pop(0))
        while args:
            key = args.pop(0)
            if key in ("allow", "avoid"):  # colour, vertices, until-move: accepted, ignored without search
                if len(args) < 3:
                    raise GtpFailure("syntax error")
                del args[:3]
                continue
            if not args:
                raise GtpFailure("syntax error")
            value = args.pop(0)
            if key == "interval":
                interval = self._interval(value)
            elif key in ("maxmoves", "minmoves"):
                count = min(self._int(value), self.board.n + 1)
                maxmoves = max(1, count) if key == "maxmoves" else max(maxmoves, count)
            elif key == "ownership":
                ownership = value.lower() == "true"
            elif key not in ("pvVisits", "ownershipStdev", "movesOwnership", "rootInfo"):
                raise GtpFailure("syntax error")
        return color, interval, maxmoves, ownership

    def _info_line(self, board: Board, style: str, maxmoves: int, ownership: bool,
                   seconds: float | None = None) -> str:
        """One analysis line; a searching player first searches ``seconds`` more (0: report the tree as it is)."""
        if seconds is None:
            analysis = self.player.analyze(board, maxmoves)
        else:
            analysis = self.player.analyze(board, maxmoves, seconds=seconds)
        return self._info_text(board, style, maxmoves, ownership, analysis)

    def _info_text(self, board: Board, style: str, maxmoves: int, ownership: bool, analysis) -> str:
        """``info`` entries for ``analysis``; ``ValueError`` if a figure is not finite (a broken model)."""
        if not all(math.isfinite(x) for c in analysis.candidates for x in (c.winrate, c.prior)):
            raise ValueError("analysis figures are not finite")
        size = board.size
        parts = []
        own = None
        if style == "kata" and ownership:
            own = self.player.estimate(board, time_budget=0.5).ownership * (1.0 if board.to_move == BLACK else -1.0)
        for order, c in enumerate(analysis.candidates):
            pv = " ".join(to_gtp(p, size) for p in c.pv)
            if style == "lz":
                w = int(round(c.winrate * 10000))
                lcb = int(round(getattr(c, "lcb", c.winrate) * 10000))
                parts.append(f"info move {to_gtp(c.point, size)} visits {c.visits} winrate {w} "
                             f"prior {int(round(c.prior * 10000))} lcb {lcb} order {order} pv {pv}")
            else:
                u, lcb = 2 * c.winrate - 1, getattr(c, "lcb", c.winrate)
                # no scoreMean / scoreLead: the network has no score head, and GUIs show those as the lead
                parts.append(f"info move {to_gtp(c.point, size)} visits {c.visits} utility {u:.6f} "
                             f"winrate {c.winrate:.6f} prior {c.prior:.6f} lcb {lcb:.6f} "
                             f"utilityLcb {2 * lcb - 1:.6f} order {order} pv {pv}")
        line = " ".join(parts)
        if own is not None:
            rows = [own[r * size:(r + 1) * size] for r in range(size - 1, -1, -1)]
            line += " ownership " + " ".join(f"{v:.3f}" for row in rows for v in row)
        return line

    def analyze(self, args: list[str], style: str) -> Stream:
        color, interval, maxmoves, ownership = self._analysis_args(args)
        board = self.board.copy()
        board.to_move = color
        if not hasattr(self.player, "mcts"):
            return Stream(lambda: self._info_line(board, style, maxmoves, ownership), interval)
        mcts = self.player.mcts

        def work() -> bool:
            """Search one slice; False once the tree stops growing."""
            mcts.set_root(board)
            before = mcts.playouts_at_root()
            # a slice always has room for one batch, so a slow network still makes progress
            self.player.analyze(board, maxmoves, seconds=max(SEARCH_SLICE, 1.5 * mcts.last_batch_seconds))
            return mcts.playouts_at_root() > before

        return Stream(lambda: self._info_line(board, style, maxmoves, ownership, seconds=0), interval, work=work)

    def genmove_analyze(self, args: list[str], style: str) -> Stream:
        color, interval, maxmoves, ownership = self._analysis_args(args)
        board = self.board.copy()
        board.to_move = color
        if hasattr(self.player, "mcts") and self.emit is not None:
            return self._searched_genmove_analyze(board, color, interval, style, maxmoves, ownership)
        info = self._info_line(board, style, maxmoves, ownership)
        move = self._choose(color)
        self._play_chosen(move, color)
        return Stream(lambda: info, interval, interrupt=False, tail=lambda: f"play {self._vertex_text(move)}")

    def _searched_genmove_analyze(self, board: Board, color: int, interval: float, style: str, maxmoves: int,
                                  ownership: bool) -> Stream:
        """Stream the search's figures every ``interval`` seconds while it chooses the move, then ``play``."""
        chosen: list[int] = []

        def run() -> str:
            last = time.monotonic()

            def progress(analysis) -> None:
                nonlocal last
                if time.monotonic() - last >= interval:
                    last = time.monotonic()
                    self.emit(self._info_text(board, style, maxmoves, ownership, analysis))

            move = self._choose(color, callback=progress, every=1)
            final = self._info_line(board, style, maxmoves, ownership, seconds=0)
            chosen.append(move)
            self._play_chosen(move, color)
            return final

        return Stream(run, interval, interrupt=False, tail=lambda: f"play {self._vertex_text(chosen[0])}")

    # ------------------------------------------------------------ GoGui views
    def policy_heatmap(self, args: list[str]) -> str:
        analysis = self.player.analyze(self.board, 5)
        probs = analysis.probs
        top = max(float(probs[:-1].max()), 1e-9)
        size = self.size
        influence = " ".join(f"{to_gtp(p, size)} {probs[p] / top:.3f}" for p in range(self.board.n) if probs[p] > 0)
        labels = " ".join(f"{to_gtp(c.point, size)} {int(round(100 * c.prior))}" for c in analysis.candidates
                          if c.point != self.board.n)
        lines = [f"INFLUENCE {influence}"] if influence else []
        if labels:
            lines.append(f"LABEL {labels}")
        lines.append(f"TEXT pass {100 * probs[-1]:.1f}%  winrate {100 * analysis.winrate:.1f}% for "
                     f"{'Black' if self.board.to_move == BLACK else 'White'}")
        return "\n".join(lines)

    def ownership_view(self, args: list[str]) -> str:
        est = self.player.estimate(self.board)
        size = self.size
        influence = " ".join(f"{to_gtp(p, size)} {est.ownership[p]:.2f}" for p in range(self.board.n))
        margin = self.player.final_score(self.board, self.komi, self.rules).margin
        return f"INFLUENCE {influence}\nTEXT area count if the game ended now: {result_string(margin)}"

    def value_view(self, args: list[str]) -> str:
        analysis = self.player.analyze(self.board, 1)
        side = "Black" if self.board.to_move == BLACK else "White"
        return f"{side} to move: value {analysis.value:+.3f}, winrate {100 * analysis.winrate:.1f}%"


GOGUI_COMMANDS = (
    "gfx/Policy heatmap/goengine-policy_heatmap",
    "gfx/Ownership estimate/goengine-ownership",
    "string/Value head/goengine-value",
    "plist/Dead stones/final_status_list dead",
    "string/Final score/final_score",
)


# ----------------------------------------------------------------- the loop
def _read_lines(fd: int, lines: "queue.Queue[str | None]") -> None:
    """Feed preprocessed lines from file descriptor ``fd`` into ``lines``; None at the end.

    Unbuffered ``os.read``: a daemon thread blocked here does not hold a buffer lock at interpreter exit.
    """
    buffer = b""
    try:
        while chunk := os.read(fd, 65536):
            *complete, buffer = (buffer + chunk).split(b"\n")
            for raw in complete:
                lines.put(preprocess(raw))
        if buffer:
            lines.put(preprocess(buffer))
    except OSError as exc:
        log.warning("input closed: %s", exc)
    finally:
        lines.put(None)


class _Output:
    """GTP's stdout. A stream's ``=id`` head waits in ``head`` until its first line is ready, so that a stream
    that fails at once can still answer ``?``."""

    def __init__(self, stdout: BinaryIO):
        self.stdout = stdout
        self.head = ""

    def write(self, text: str) -> None:
        text, self.head = self.head + text, ""
        self.stdout.write(text.encode("utf-8"))
        self.stdout.flush()


def serve(engine: Engine, stdin_fd: int, stdout: BinaryIO) -> None:
    """Answer GTP commands read from file descriptor ``stdin_fd`` until ``quit`` or end of input."""
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(stdin_fd, lines), daemon=True).start()
    out = _Output(stdout)
    engine.emit = lambda text: out.write(text + "\n")
    pending: list[str | None] = []  # the line that ended an analysis, answered next
    while (line := pending.pop() if pending else _next_line(engine, lines)) is not None:
        if not line:
            continue
        cid, name, args = parse_command(line)
        log.debug("<< %s", line)
        try:
            result = engine.run(name, args)
            if isinstance(result, Stream):
                pending.append(_stream(cid, name, result, lines, out))
                continue
        except GtpFailure as exc:
            out.write(format_response(cid, False, str(exc)))
            continue
        out.write(format_response(cid, True, result))
        if name == "quit":
            return


def _next_line(engine: Engine, lines: "queue.Queue[str | None]") -> str | None:
    """The next input line; while none has come, the engine may ponder (stopped between two batches of search)."""
    if lines.empty():
        engine.ponder_until(lambda: not lines.empty())
    return lines.get()


def _stream(cid: str | None, name: str, stream: Stream, lines: "queue.Queue[str | None]", out: _Output) -> str | None:
    """Write ``stream``'s response; the input line that ended it ("" if none did). ``GtpFailure`` when it fails
    before its first line; a failure after that ends the response and the session goes on."""
    out.head = f"={cid or ''}\n"
    try:
        out.write(stream.line() + "\n")
        if not stream.interrupt:
            out.write(stream.tail() + "\n\n")
            return ""
    except Exception as exc:
        failure = internal_error(name, exc)  # logged either way
        if out.head:  # nothing written yet: the command fails
            out.head = ""
            raise failure from exc
        out.write("\n")
        return ""
    line = _stream_until_input(stream, lines, out)
    out.write("\n")
    return line


def _stream_until_input(stream: Stream, lines: "queue.Queue[str | None]", out: _Output) -> str | None:
    """Repeat ``stream``'s line every interval, searching in slices in between, until an input line arrives."""
    due = time.monotonic() + stream.interval if stream.interval > 0 else math.inf
    work = stream.work
    while True:
        wait = 0.0 if work else min(max(0.0, due - time.monotonic()), MAX_INTERVAL)
        try:
            return lines.get(timeout=wait)
        except queue.Empty:
            pass
        try:
            if work and not work():
                work = None
            if time.monotonic() >= due:
                out.write(stream.line() + "\n")
                due = time.monotonic() + stream.interval
        except Exception:  # keep the session alive: end this analysis, wait for the next command
            log.exception("analysis failed")
            work, due = None, math.inf


# ----------------------------------------------------------------- terminal play
def play_in_terminal(player: "Player", size: int, komi: float, human: int, sgf_path: str | None,
                     read: Callable[[str], str] = input, out=print) -> Game:
    """A game between a person (typing D4, pass, undo, resign) and the engine on a text board. Ctrl-C ends it
    unfinished; the game is saved either way."""
    board = Board(size)
    result = ""
    interrupted = False
    try:
        while not result:
            out(render_ascii(board))
            if board.passes >= 2:
                break
            if board.to_move == human:
                try:
                    text = read(f"{'Black' if human == BLACK else 'White'} move (D4, pass, undo, resign): ").strip()
                except EOFError:
                    text = "resign"
                low = text.lower()
                if low == "resign":
                    result = f"{'W' if human == BLACK else 'B'}+R"
                elif low == "undo":
                    steps = 2 if len(board.moves) >= 2 else len(board.moves)
                    for _ in range(steps):
                        board.undo()
                    if not steps:
                        out("nothing to undo")
                else:
                    try:
                        board.play(from_gtp(text, size), human)
                    except (ValueError, IllegalMove) as exc:
                        out(f"cannot play {text!r}: {exc}")
            else:
                move = player.choose_move(board, komi=komi)
                if move < 0:
                    result = f"{'B' if human == BLACK else 'W'}+R"
                    out("engine resigns")
                else:
                    board.play(move)
                    out(f"engine plays {to_gtp(move, size)}")
    except KeyboardInterrupt:  # Ctrl-C: the game so far is saved, unfinished
        interrupted = True
        out("\ninterrupted: the game is saved unfinished")
    game = Game(size=size, komi=komi, moves=list(board.moves))
    game.info.black, game.info.white = ("you", NAME) if human == BLACK else (NAME, "you")
    if result:
        game.info.result = parse_result(result)
    elif not interrupted:
        final = player.final_score(board, komi)
        set_result(game, final.margin)
        out(f"final score (dead stones removed, area rules): {final.result}")
    if result:
        out(f"result: {result}")
    path = sgf_path or time.strftime("game-%Y%m%d-%H%M%S.sgf")
    with open(path, "wb") as fh:
        fh.write(game_to_sgf(game))
    out(f"game saved as {path}")
    return game


# ----------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    ap = command_parser("goengine GTP v2 engine (stdin/stdout); --play for a terminal game")
    ap.add_argument("--weights", help="model file (default: the shipped policy/weights/default.pt)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--runtime", default="auto", choices=RUNTIMES,
                    help="how the network runs: eager (torch fp32), bf16 (torch bfloat16, fast on CPUs with "
                         "AVX512-BF16 or AMX), auto (bf16 where the CPU has it, else eager; the default)")
    ap.add_argument("--temperature", type=float, default=0.0, help="0 plays the policy's best move; >0 samples")
    ap.add_argument("--opening-moves", type=int, default=0,
                    help="sample the first N moves of a game (from the policy; with search, in proportion to the "
                         "visits), so that matches differ")
    ap.add_argument("--seed", type=int, default=None, help="random seed for sampling and playouts")
    ap.add_argument("--resign-threshold", type=float, default=0.95,
                    help="resign when the value head is below minus this (0: never resign)")
    ap.add_argument("--playouts", type=int, default=None,
                    help="tree-search playouts per move at most; 0: no search, the raw policy (default: search "
                         f"for the GTP clock's share of the time, else {DEFAULT_SECONDS:g} s a move)")
    ap.add_argument("--time-per-move", type=float, default=None,
                    help="seconds of tree search per move at most (alone: search until the time is up)")
    ap.add_argument("--ponder", action="store_true",
                    help="search on the opponent's time after each genmove, until the next command")
    ap.add_argument("--c-puct", type=float, default=SearchConfig.c_puct,
                    help="search: exploration weight on the policy prior")
    ap.add_argument("--fpu-reduction", type=float, default=SearchConfig.fpu_reduction,
                    help="search: an unvisited move is valued at its parent's value minus this")
    ap.add_argument("--score-playouts", type=int, default=64,
                    help="random playouts per dead-stone / final-score estimate")
    ap.add_argument("--log-file", help="write the log here instead of stderr")
    ap.add_argument("--verbose", action="store_true", help="log every command")
    ap.add_argument("--play", action="store_true", help="play a game in the terminal instead of speaking GTP")
    ap.add_argument("--color", default="black", help="--play: your colour (black or white)")
    ap.add_argument("--size", type=int, default=19, help="--play: board size (GTP: the initial size)")
    ap.add_argument("--komi", type=float, default=7.5, help="initial komi")
    ap.add_argument("--sgf", help="--play: where to save the game (default: game-YYYYmmdd-HHMMSS.sgf)")
    return ap


def build_player(args: argparse.Namespace, policy) -> "Player":
    """The raw policy with ``--playouts 0``, else the tree search: by default on the GTP clock when one is set,
    else ``DEFAULT_SECONDS`` a move, as GUIs start engines with no flags."""
    from policy.player import PolicyPlayer
    from policy.search_player import MCTSPlayer
    player = PolicyPlayer(policy, temperature=args.temperature, seed=args.seed, opening_moves=args.opening_moves,
                          resign_threshold=args.resign_threshold, playouts=args.score_playouts)
    if args.playouts == 0:
        return player
    unclocked = DEFAULT_SECONDS if args.playouts is None and args.time_per_move is None else None
    return MCTSPlayer(policy, playouts=args.playouts or 10**9, time_per_move=args.time_per_move, fallback=player,
                      resign_threshold=args.resign_threshold, unclocked_seconds=unclocked,
                      config=SearchConfig(c_puct=args.c_puct, fpu_reduction=args.fpu_reduction))


def _option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, or None: every value is checked before the engine starts."""
    finite = (("--temperature", args.temperature), ("--resign-threshold", args.resign_threshold),
              ("--time-per-move", args.time_per_move), ("--c-puct", args.c_puct),
              ("--fpu-reduction", args.fpu_reduction))
    checks = [(v is None or math.isfinite(v), f"{option} must be a finite number") for option, v in finite] + [
        (re.fullmatch(r"cpu|auto|cuda(:\d+)?", args.device), "--device must be cpu, cuda, cuda:N or auto"),
        (args.threads >= 0, "--threads must be 0 or more"),
        (args.temperature >= 0, "--temperature must be 0 or more"),
        (0 <= args.resign_threshold <= 1, "--resign-threshold must be from 0 to 1"),
        (args.playouts is None or args.playouts >= 0, "--playouts must be 0 or more"),
        (not (args.ponder and args.playouts == 0), "--ponder needs the search (not --playouts 0)"),
        (args.time_per_move is None or args.time_per_move > 0, "--time-per-move must be positive"),
        (args.c_puct > 0, "--c-puct must be positive"),
        (0 <= args.fpu_reduction <= 2, "--fpu-reduction must be from 0 to 2"),
        (args.score_playouts >= 1, "--score-playouts must be 1 or more"),
        (args.opening_moves >= 0, "--opening-moves must be 0 or more"),
        (args.color.lower() in ("b", "black", "w", "white"), "--color must be black or white"),
    ]
    for ok, message in checks:
        if not ok:
            return message
    for option, check, value in (("--size", check_size, args.size), ("--komi", check_komi, args.komi)):
        try:
            check(value)
        except ValueError as exc:
            return f"{option}: {exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (problem := _option_problem(args)) is not None:
        parser.error(problem)
    handler = logging.FileHandler(args.log_file) if args.log_file else logging.StreamHandler(sys.stderr)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler],
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sleep_waiting_threads()
    import torch
    from policy.checkpoint import ModelFileError
    from policy.inference import Policy
    from policy.search_player import EVAL_CACHE_ENTRIES
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        cache = EVAL_CACHE_ENTRIES if args.playouts != 0 else 0
        policy = Policy.load(args.weights, args.device, args.runtime, cache)
        player = build_player(args, policy)
    except (ModelFileError, ValueError) as exc:
        print(f"gtp_server: {exc}", file=sys.stderr)
        return 2
    log.info("loaded %s on %s, %s runtime", args.weights or "the default model", policy.device, policy.runtime)
    if args.play:
        human = BLACK if args.color.lower() in ("b", "black") else WHITE
        play_in_terminal(player, args.size, args.komi, human, args.sgf)
        return 0
    serve(Engine(player, args.size, args.komi, args.ponder), sys.stdin.fileno(), sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
