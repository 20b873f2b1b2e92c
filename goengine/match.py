"""Play GTP engines against each other: ``python -m goengine.match ENGINE1 ENGINE2 --games N``.

Colours alternate (engine 1 takes Black in the odd-numbered games). The runner keeps its own board as referee: an
illegal move, a crash, a timeout or an answer that is not GTP loses the game, with the reason recorded. Games that
end with two passes (or at the move limit) are scored by a neutral scorer: Benson's algorithm plus random playouts
(``goengine.deadstones``), or a referee GTP engine given with ``--referee``. Each engine's own ``final_score`` is
recorded beside it. Every game is written as SGF with its result; a summary table closes the run.

An engine command may hold ``{game}``, replaced by the game's number: ``gnugo --mode gtp --seed {game}`` or
``python gtp_server.py --seed {game} --opening-moves 8`` make every game of a match differ (such an engine is
started afresh for each game). GNU Go scores by Japanese rules unless it is given ``--chinese-rules``.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field

from .board import BLACK, WHITE, Board, IllegalMove
from .cli import command_parser
from .coords import from_gtp, to_gtp
from .deadstones import final_score
from .game import Game, parse_result
from .gtp_client import EngineDied, GtpClient, GtpError
from .scoring import result_string
from .sgf import game_to_sgf


@dataclass
class GameResult:
    number: int
    black: str  # engine labels
    white: str
    winner: str | None  # the winning engine's label, None for a draw
    result: str  # B+R, W+3.5, B+F (forfeit: illegal move, crash, timeout), 0
    reason: str  # resign, score, move limit, illegal move ..., crash ..., timeout ...
    moves: int
    seconds_per_move: dict[str, float] = field(default_factory=dict)
    engine_scores: dict[str, str] = field(default_factory=dict)  # each engine's own final_score
    sgf: str = ""


class Player:
    """One engine of the match: its command, a label, the running process and its move times."""

    def __init__(self, command: str, label: str, timeout: float):
        self.template, self.label, self.timeout = command, label, timeout
        self.command = command.replace("{game}", "1")
        self.client: GtpClient | None = None

    def new_game(self, number: int) -> None:
        """Take the command for game ``number``; an engine whose command names ``{game}`` is restarted."""
        command = self.template.replace("{game}", str(number))
        if command != self.command:
            self.stop()
            self.command = command

    def start(self) -> GtpClient:
        if self.client is None or self.client.process.poll() is not None:
            self.client = GtpClient(self.command)
        return self.client

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def send(self, command: str) -> str:
        return self.start().send(command, self.timeout)


def _score_with_referee(referee: str, board: Board, komi: float, timeout: float) -> str:
    with GtpClient(referee) as ref:
        ref.send(f"boardsize {board.size}", timeout)
        ref.send("clear_board", timeout)
        ref.send(f"komi {komi:g}", timeout)
        for color, point in board.moves:
            ref.send(f"play {'b' if color == BLACK else 'w'} {to_gtp(point, board.size)}", timeout)
        return ref.send("final_score", timeout).split()[0]


def play_game(number: int, black: Player, white: Player, size: int, komi: float, max_moves: int,
              referee: str | None = None, playouts: int = 64) -> tuple[GameResult, Game]:
    """One game between two started engines; the result and the game record."""
    players = {BLACK: black, WHITE: white}
    board = Board(size)
    times: dict[str, list[float]] = {black.label: [], white.label: []}
    forfeit: tuple[int, str] | None = None  # (loser colour, reason)
    resigned: int | None = None
    for color, p in players.items():
        try:
            for command in (f"boardsize {size}", "clear_board", f"komi {komi:g}"):
                p.send(command)
        except (GtpError, EngineDied) as exc:
            forfeit = (color, f"setup failed: {exc}")
            break
    while forfeit is None and resigned is None and board.passes < 2 and board.move_number < max_moves:
        color = board.to_move
        mover, other = players[color], players[3 - color]
        letter = "b" if color == BLACK else "w"
        start = time.monotonic()
        try:
            answer = mover.send(f"genmove {letter}").strip()
        except (GtpError, EngineDied) as exc:
            forfeit = (color, f"{'timeout' if 'no answer' in str(exc) else 'crash'}: {exc}")
            break
        times[mover.label].append(time.monotonic() - start)
        if answer.lower() == "resign":
            resigned = color
            break
        try:
            point = from_gtp(answer, size)
            board.play(point, color)
        except (ValueError, IllegalMove) as exc:
            forfeit = (color, f"illegal move {answer!r}: {exc}")
            break
        try:
            other.send(f"play {letter} {to_gtp(point, size)}")
        except GtpError as exc:
            forfeit = (3 - color, f"rejected the legal move {to_gtp(point, size)}: {exc}")
        except EngineDied as exc:
            forfeit = (3 - color, f"crash: {exc}")
    engine_scores: dict[str, str] = {}
    if forfeit is not None:
        loser, reason = forfeit
        result = f"{'W' if loser == BLACK else 'B'}+F"
    elif resigned is not None:
        result, reason = f"{'W' if resigned == BLACK else 'B'}+R", "resign"
    else:
        reason = "score" if board.passes >= 2 else "move limit"
        for p in (black, white):
            try:
                engine_scores[p.label] = p.send("final_score").split()[0]
            except (GtpError, EngineDied, IndexError):
                engine_scores[p.label] = "?"
        if referee:
            result = _score_with_referee(referee, board, komi, 120.0)
        else:
            result = result_string(final_score(board, komi, playouts=playouts).margin)
    parsed = parse_result(result)
    winner = None if parsed.winner is None else players[parsed.winner].label
    game = Game(size=size, komi=komi, moves=list(board.moves))
    game.info.black, game.info.white = black.label, white.label
    game.info.result = parsed
    game.info.rules = "Chinese"
    game.comments[0] = f"{result} ({reason})"
    seconds = {label: (sum(t) / len(t) if t else 0.0) for label, t in times.items()}
    return GameResult(number, black.label, white.label, winner, result, reason, board.move_number, seconds,
                      engine_scores), game


def run_match(commands: list[str], labels: list[str], games: int, size: int, komi: float, max_moves: int,
              sgf_dir: str | None, referee: str | None = None, timeout: float = 300.0, playouts: int = 64,
              log=print, json_path: str | None = None) -> list[GameResult]:
    """Play ``games`` games with alternating colours; write SGF files (and the results so far as JSON after
    every game, when ``json_path`` is given); return the results."""
    players = [Player(c, label, timeout) for c, label in zip(commands, labels)]
    results = []
    if sgf_dir:
        os.makedirs(sgf_dir, exist_ok=True)
    try:
        for number in range(1, games + 1):
            black, white = (players[0], players[1]) if number % 2 else (players[1], players[0])
            for p in players:
                p.new_game(number)
            result, game = play_game(number, black, white, size, komi, max_moves, referee, playouts)
            if sgf_dir:
                result.sgf = os.path.join(sgf_dir, f"game{number:03d}.sgf")
                with open(result.sgf, "wb") as fh:
                    fh.write(game_to_sgf(game))
            results.append(result)
            if json_path:
                with open(json_path, "w") as fh:
                    json.dump([asdict(r) for r in results], fh, indent=1)
            log(f"game {number}: {black.label} (B) vs {white.label} (W): {result.result} ({result.reason}), "
                f"{result.moves} moves, own scores {result.engine_scores}")
            if scores_disagree(result):
                log(f"warning: game {number}: the engines' own scores {result.engine_scores} disagree with each other "
                    f"or with the result {result.result} (a GNU Go without --chinese-rules counts by Japanese rules)")
            for p in players:  # an engine that died is restarted for the next game
                if p.client is not None and p.client.process.poll() is not None:
                    p.stop()
    finally:
        for p in players:
            p.stop()
    return results


def scores_disagree(result: GameResult) -> bool:
    """Whether the engines' own final scores of a counted game differ from each other or from the result."""
    scores = {s.upper() for s in result.engine_scores.values() if s and s != "?"}
    return bool(scores) and (len(scores) > 1 or scores != {result.result.upper()})


def summary(results: list[GameResult], labels: list[str]) -> str:
    """A table: wins and losses per engine and colour, average seconds per move, forfeits."""
    lines = [f"{'engine':<24} {'games':>5} {'wins':>5} {'losses':>6} {'as B':>5} {'as W':>5} {'s/move':>7} "
             f"{'forfeits':>8}"]
    for label in labels:
        mine = [r for r in results if label in (r.black, r.white)]
        wins = [r for r in mine if r.winner == label]
        losses = [r for r in mine if r.winner is not None and r.winner != label]
        as_black = sum(1 for r in wins if r.black == label)
        moves = [r.seconds_per_move.get(label, 0.0) for r in mine]
        forfeits = sum(1 for r in losses if r.result.endswith("+F"))
        lines.append(f"{label:<24} {len(mine):>5} {len(wins):>5} {len(losses):>6} {as_black:>5} "
                     f"{len(wins) - as_black:>5} {(sum(moves) / len(moves) if moves else 0):>7.2f} {forfeits:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = command_parser(__doc__)
    ap.add_argument("engine1", help="command line of the first engine (quote it; {game} becomes the game's number)")
    ap.add_argument("engine2", help="command line of the second engine")
    ap.add_argument("--names", nargs=2, metavar=("NAME1", "NAME2"), help="labels for the two engines")
    ap.add_argument("--games", type=int, default=2, help="games to play; colours alternate")
    ap.add_argument("--size", type=int, default=19, help="board size")
    ap.add_argument("--komi", type=float, default=7.5, help="komi of every game")
    ap.add_argument("--max-moves", type=int, default=0, help="move limit (default: 3 x points)")
    ap.add_argument("--sgf-dir", default="match-games", help="where to write game SGF files")
    ap.add_argument("--referee", help="GTP engine that scores two-pass endings (default: Benson + playouts)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds an engine may take for one answer")
    ap.add_argument("--json", help="also write the results as JSON here (updated after every game)")
    args = ap.parse_args(argv)
    labels = args.names or ["engine1", "engine2"]
    if labels[0] == labels[1]:
        ap.error("the two engines need different names")
    results = run_match([args.engine1, args.engine2], labels, args.games, args.size, args.komi,
                        args.max_moves or 3 * args.size * args.size, args.sgf_dir, args.referee, args.timeout,
                        log=lambda text: print(text, flush=True), json_path=args.json)
    print(summary(results, labels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
