"""The match runner: a short 9x9 game against GNU Go, forfeits for illegal moves and crashes, SGF and summary."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

from goengine.match import run_match, summary
from goengine.sgf import read_game
from gtp_session import SERVER, make_tiny_model

GNUGO = shutil.which("gnugo") or ("/usr/games/gnugo" if os.path.exists("/usr/games/gnugo") else None)

# A minimal GTP engine for the tests: plays the points of MOVES in turn (or misbehaves on cue).
STUB = r'''
import sys
mode = sys.argv[1]
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "clear_board":
        moves = iter(["A1", "B2", "C3", "D4", "E5"] if mode != "illegal" else ["A1", "A1", "A1"])
    if words[0] == "quit":
        print("=\n", flush=True)
        break
    if words[0] == "genmove":
        if mode == "crash":
            sys.exit(3)
        answer = next(moves, "pass") if mode != "passer" else "pass"
    elif words[0] == "final_score":
        answer = "0"
    else:
        answer = ""
    print(f"= {answer}\n", flush=True)
'''


@pytest.fixture
def stub(tmp_path):
    path = tmp_path / "stub.py"
    path.write_text(STUB)
    return lambda mode: f"{sys.executable} {path} {mode}"


def test_illegal_move_and_crash_lose_with_the_reason(stub, tmp_path):
    results = run_match([stub("illegal"), stub("passer")], ["bad", "passer"], 2, 9, 7.5, 50, str(tmp_path / "a"),
                        log=lambda text: None)
    assert [r.winner for r in results] == ["passer", "passer"]
    assert all(r.result.endswith("+F") and r.reason.startswith("illegal move 'A1'") for r in results)
    results = run_match([stub("crash"), stub("passer")], ["crasher", "passer"], 1, 9, 7.5, 50, None,
                        log=lambda text: None)
    assert results[0].winner == "passer" and results[0].reason.startswith("crash")
    table = summary(results, ["crasher", "passer"])
    assert "forfeits" in table and table.splitlines()[1].split()[:4] == ["crasher", "1", "0", "1"]


def test_two_passes_are_scored_by_the_neutral_scorer(stub, tmp_path):
    results = run_match([stub("legal"), stub("passer")], ["player", "passer"], 2, 9, 7.5, 50, str(tmp_path),
                        log=lambda text: None)
    first, second = results
    assert first.black == "player" and second.black == "passer"  # colours alternate
    assert first.reason == "score" and first.result == "B+73.5"  # five black stones own the empty board
    assert first.engine_scores == {"player": "0", "passer": "0"}
    game = read_game(first.sgf)
    assert game.info.result.raw == "B+73.5" and game.info.black == "player" and len(game.moves) == 11


@pytest.mark.skipif(GNUGO is None, reason="GNU Go is not installed")
def test_short_game_against_gnugo(tmp_path):
    model = make_tiny_model(str(tmp_path / "tiny.pt"))
    ours = (f"{sys.executable} {SERVER} --weights {model} --threads 1 --score-playouts 16 --resign-threshold 0 "
            "--playouts 0")
    results = run_match([ours, f"{GNUGO} --mode gtp --level 0 --chinese-rules"], ["goengine", "gnugo"], 1, 9, 7.5,
                        60, str(tmp_path / "games"), timeout=120, log=lambda text: None)
    (result,) = results
    assert result.reason in ("score", "move limit", "resign")  # no forfeit: every move legal, nobody crashed
    assert result.winner in ("goengine", "gnugo")
    game = read_game(result.sgf)
    assert game.size == 9 and len(game.moves) == result.moves and game.info.result.raw == result.result
    assert result.seconds_per_move["goengine"] > 0


def test_game_placeholder_restarts_the_engine_with_each_number(stub, tmp_path):
    seen = tmp_path / "started.txt"
    recorder = tmp_path / "recorder.py"
    recorder.write_text(f"import sys, runpy\nopen({str(seen)!r}, 'a').write(sys.argv[2] + '\\n')\n"
                        f"sys.argv = sys.argv[:2]\nrunpy.run_path({str(tmp_path / 'stub.py')!r}, run_name='__main__')\n")
    (tmp_path / "stub.py").write_text(STUB)
    results = run_match([f"{sys.executable} {recorder} legal {{game}}", stub("passer")], ["seeded", "passer"], 3, 9,
                        7.5, 50, None, log=lambda text: None)
    assert len(results) == 3
    assert seen.read_text().split() == ["1", "2", "3"]  # started once per game, with that game's number


def test_disagreeing_scores_are_flagged():
    from goengine.match import GameResult, scores_disagree
    agree = GameResult(1, "a", "b", "a", "B+7.5", "score", 200, engine_scores={"a": "B+7.5", "b": "B+7.5"})
    assert not scores_disagree(agree)
    japanese = GameResult(1, "a", "b", "a", "B+7.5", "score", 200, engine_scores={"a": "B+7.5", "b": "W+0.5"})
    assert scores_disagree(japanese)
    assert not scores_disagree(GameResult(1, "a", "b", "a", "B+R", "resign", 90))
