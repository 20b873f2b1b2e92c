#!/usr/bin/env python3
"""Count the engine's tactical blunders in match games: self-ataris of strings of 3+ stones, and strings of 3+
left in atari that GNU Go's ``defend`` could have saved (``goengine.blunders`` defines both).

Usage::

    python scripts/tactical_blunders.py docs/matches/gnugo10-raw docs/matches/gnugo10-search1s [--json out.json]

Each folder is one match written by ``python -m goengine.match``: ``results.json`` says who played Black and
White in each game, and the SGF files lie beside it. The engine analysed is ``--engine LABEL``; by default the one
label of the match that does not start with "gnugo". One GNU Go process (``--gnugo``) reads all the games.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from dataclasses import asdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from goengine.blunders import LEFT_IN_ATARI, MIN_SIZE, SELF_ATARI, find_blunders  # noqa: E402
from goengine.board import BLACK, WHITE  # noqa: E402
from goengine.game import ReplayError  # noqa: E402
from goengine.gtp_client import EngineDied, GtpClient, GtpError  # noqa: E402
from goengine.sgf import SgfError, read_game  # noqa: E402

GNUGO = "/usr/games/gnugo --mode gtp --chinese-rules"


class MatchError(ValueError):
    """A match folder that cannot be read: no results.json, a malformed one, or no engine to analyse."""


def read_match(folder: str, engine: str | None) -> tuple[str, list[tuple[str, int, dict]]]:
    """The engine's label and, for each game of the match in ``folder``, (SGF path, engine's colour, result)."""
    path = os.path.join(folder, "results.json")
    try:
        with open(path, encoding="utf-8") as fh:
            results = json.load(fh)
    except (OSError, ValueError) as exc:
        raise MatchError(f"{path}: cannot read the match results: {exc}") from None
    if not isinstance(results, list) or not all(isinstance(r, dict) and {"number", "black", "white"} <= r.keys()
                                                for r in results):
        raise MatchError(f"{path}: not a match runner's results (a list of games with number, black and white)")
    labels = {r[key] for r in results for key in ("black", "white")}
    if engine is None:
        others = sorted(label for label in labels if not str(label).lower().startswith("gnugo"))
        if len(others) != 1:
            raise MatchError(f"{path}: cannot tell which engine to analyse among {sorted(labels)}: give --engine")
        engine = others[0]
    games = []
    for r in results:
        if engine not in (r["black"], r["white"]):
            raise MatchError(f"{path}: game {r['number']}: {engine!r} played neither colour")
        name = os.path.basename(r.get("sgf") or f"game{int(r['number']):03d}.sgf")
        games.append((os.path.join(folder, name), BLACK if r["black"] == engine else WHITE, r))
    return engine, games


def analyse(matches: list[tuple[str, str, list[tuple[str, int, dict]]]], gnugo: str, min_size: int) -> list[dict]:
    """One record per game of the matches (folder, engine label, games as ``read_match`` gives them): the file,
    the engine's colour and result, its move count and its blunders."""
    rows = []
    with GtpClient(gnugo) as reader:
        for folder, label, games in matches:
            for path, color, result in games:
                game = read_game(path)
                found = find_blunders(game, color, reader, min_size)
                rows.append({"match": folder, "game": os.path.basename(path), "engine": label,
                             "color": "B" if color == BLACK else "W",
                             "won": result.get("winner") == label, "result": result.get("result", ""),
                             "moves": sum(1 for mover, _ in game.moves if mover == color),
                             SELF_ATARI: [asdict(b) for b in found if b.kind == SELF_ATARI],
                             LEFT_IN_ATARI: [asdict(b) for b in found if b.kind == LEFT_IN_ATARI]})
    return rows


def table(rows: list[dict], min_size: int) -> str:
    """Per game and per match: the engine's moves, self-ataris and strings left in atari; then every finding."""
    lines = [f"strings of {min_size}+ stones; 'turns': the engine's moves in a row that left the string in atari; "
             "'next': the opponent captured it with the move after",
             f"{'match':<32} {'game':<12} {'col':>3} {'result':>8} {'moves':>5} {'self-atari':>10} "
             f"{'left in atari':>13}"]

    def line(match: str, game: str, color: str, result: str, part: list[dict]) -> str:
        return (f"{match:<32} {game:<12} {color:>3} {result:>8} {sum(r['moves'] for r in part):>5} "
                f"{sum(len(r[SELF_ATARI]) for r in part):>10} {sum(len(r[LEFT_IN_ATARI]) for r in part):>13}")

    for match in dict.fromkeys(r["match"] for r in rows):
        part = [r for r in rows if r["match"] == match]
        for r in part:
            lines.append(line(match, r["game"], r["color"], ("won " if r["won"] else "lost ") + r["result"], [r]))
        wins = sum(r["won"] for r in part)
        lines.append(line(match, "total", "", f"{wins}/{len(part)}", part))
    if len(set(r["match"] for r in rows)) > 1:
        wins = sum(r["won"] for r in rows)
        lines.append(line("all", "total", "", f"{wins}/{len(rows)}", rows))
    findings = [(r, kind, b) for r in rows for kind in (SELF_ATARI, LEFT_IN_ATARI) for b in r[kind]]
    if findings:
        lines.append("")
        lines.append(f"{'match':<32} {'game':<12} {'kind':<13} {'move':>4} {'vertex':>6} {'size':>4} {'played':>6} "
                     f"{'saving':>6} {'turns':>5} {'next':>4}")
        for r, kind, b in findings:
            lines.append(f"{r['match']:<32} {r['game']:<12} {kind:<13} {b['move_number']:>4} {b['vertex']:>6} "
                         f"{b['size']:>4} {b['played']:>6} {b['defence'] or '-':>6} {b['turns']:>5} "
                         f"{'yes' if b['captured_next'] else 'no':>4}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", help="match folders (results.json and the games' SGF files)")
    ap.add_argument("--engine", help="label of the engine to analyse (default: the one not named gnugo...)")
    ap.add_argument("--gnugo", default=GNUGO, help=f"GTP command of the tactical reader (default: {GNUGO})")
    ap.add_argument("--min-size", type=int, default=MIN_SIZE, help="smallest string counted (default: %(default)s)")
    ap.add_argument("--json", help="also write the per-game findings as JSON here")
    args = ap.parse_args(argv)
    if args.min_size < 1:
        ap.error("--min-size must be at least 1")
    try:
        program = shlex.split(args.gnugo)[:1]
    except ValueError as exc:
        ap.error(f"--gnugo: {exc}")
    if not program or shutil.which(program[0]) is None:
        ap.error(f"--gnugo: no such program: {args.gnugo!r}")
    try:
        matches = [(folder, *read_match(folder, args.engine)) for folder in args.folders]
    except MatchError as exc:
        ap.error(str(exc))
    try:
        rows = analyse(matches, args.gnugo, args.min_size)
    except (SgfError, ReplayError, GtpError, EngineDied) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(rows, args.min_size))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"min_size": args.min_size, "games": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
