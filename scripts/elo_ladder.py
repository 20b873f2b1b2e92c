"""Elo ladder from match results: ``python scripts/elo_ladder.py RESULTS.json... --anchor gnugo-10``.

Reads the ``--json`` files of ``python -m goengine.match`` (one entry a game: black, white, winner) and prints a
Markdown table of every pairing (wins, the Wilson 95% interval of the win rate and the Elo differences at its ends)
and the ratings of a Bradley-Terry fit with one virtual draw a pairing (``goengine.stats.fit_elo``), the anchor at
0. A pairing won by one side in every game bounds the difference from one side only; the fitted figure then leans on
the prior, and the interval column is what the games alone say.
"""
from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict

from goengine.stats import elo_interval, fit_elo, wilson_interval


def read_results(paths: list[str], aliases: dict[str, str]) -> list[tuple[str, str, float]]:
    """(black, white, Black's score) for every game of the files, players renamed by ``aliases``."""
    games = []
    for path in paths:
        with open(path) as fh:
            for game in json.load(fh):
                black, white = (aliases.get(game[c], game[c]) for c in ("black", "white"))
                winner = aliases.get(game["winner"], game["winner"]) if game.get("winner") else None
                games.append((black, white, 1.0 if winner == black else 0.0 if winner == white else 0.5))
    return games


def _elo(x: float) -> str:
    return "inf" if math.isinf(x) and x > 0 else "-inf" if math.isinf(x) else f"{x:+.0f}"


def ladder_table(games: list[tuple[str, str, float]], anchor: str, prior_games: float = 1.0) -> str:
    pairs: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for a, b, score in games:
        first, second = sorted((a, b))
        pairs[first, second][0] += score if a == first else 1 - score
        pairs[first, second][1] += 1
    ratings = fit_elo(games, anchor, prior_games)
    lines = ["| pairing | games | wins | win rate (95% interval) | Elo difference (95% interval) |",
             "|---|---|---|---|---|"]
    for (a, b), (points, n) in sorted(pairs.items(), key=lambda kv: ratings[kv[0][0]] + ratings[kv[0][1]]):
        if points < n / 2:  # the stronger side first
            a, b, points = b, a, n - points
        lo, hi = wilson_interval(points, n)
        elo_lo, elo_hi = elo_interval(points, n)
        lines.append(f"| {a} vs {b} | {n} | {points:g} | {points / n:.0%} ({lo:.0%}-{hi:.0%}) | "
                     f"{_elo(elo_lo)} to {_elo(elo_hi)} |")
    lines += ["", f"| player | Elo (fit, {anchor} = 0, {prior_games:g} virtual draw a pairing) |", "|---|---|"]
    lines += [f"| {p} | {_elo(r)} |" for p, r in sorted(ratings.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="results JSON files of python -m goengine.match --json")
    parser.add_argument("--anchor", required=True, help="the player rated 0")
    parser.add_argument("--alias", action="append", default=[], metavar="NAME=PLAYER",
                        help="count NAME as PLAYER (one engine under two names in two matches)")
    parser.add_argument("--prior-games", type=float, default=1.0, help="virtual draws a pairing in the fit")
    args = parser.parse_args(argv)
    aliases = dict(a.split("=", 1) for a in args.alias)
    table = ladder_table(read_results(args.results, aliases), args.anchor, args.prior_games)
    print(table)
    return table


if __name__ == "__main__":
    main()
