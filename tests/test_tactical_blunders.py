"""Tactical blunders in hand-made 9x9 games: a self-atari of a 3-stone string, a savable 3-stone string left in
atari (GNU Go reads it), and the same fight played well; and the command line on a match folder."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from goengine.blunders import LEFT_IN_ATARI, SELF_ATARI, find_blunders, reader_result
from goengine.board import BLACK, WHITE
from goengine.coords import from_gtp
from goengine.game import Game
from goengine.gtp_client import GtpClient, GtpError
from goengine.sgf import game_to_sgf

GNUGO = shutil.which("gnugo") or ("/usr/games/gnugo" if os.path.exists("/usr/games/gnugo") else None)
needs_gnugo = pytest.mark.skipif(GNUGO is None, reason="GNU Go is not installed (CI installs it)")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# White surrounds Black's C3-D3-E3 on the third line; Black's last move puts it in atari (its one liberty F3).
SURROUND = ["C3", "B3", "D3", "C4", "H8", "D4", "H7", "C2", "H6", "D2", "H5", "E4", "H4", "E2"]


def game(vertices: list[str]) -> Game:
    """A 9x9 game, Black first, moves alternating."""
    moves = [(BLACK if i % 2 == 0 else WHITE, from_gtp(v, 9)) for i, v in enumerate(vertices)]
    return Game(size=9, komi=7.5, moves=moves)


@pytest.fixture()
def reader():
    with GtpClient(f"{GNUGO} --mode gtp --chinese-rules") as client:
        yield client


def test_self_atari_of_three_stones_is_counted() -> None:
    record = game(SURROUND + ["E3", "A9"])  # E3 joins C3-D3 into three stones with F3 the only liberty
    found = find_blunders(record, BLACK)
    assert [(b.kind, b.move_number, b.vertex, b.size) for b in found] == [(SELF_ATARI, 15, "E3", 3)]
    assert not found[0].captured_next  # White played A9, not F3
    captured = find_blunders(game(SURROUND + ["E3", "F3"]), BLACK)
    assert captured[0].captured_next
    assert find_blunders(record, WHITE) == []  # only the given colour's moves count
    assert find_blunders(record, BLACK, min_size=4) == []


@needs_gnugo
def test_savable_string_left_in_atari_is_counted(reader) -> None:
    record = game(SURROUND[:4] + ["E3"] + SURROUND[5:] + ["J1", "F3"])  # Black tenukis at J1; White captures
    found = find_blunders(record, BLACK, reader)
    assert [(b.kind, b.move_number, b.vertex, b.size, b.played, b.defence, b.turns, b.captured_next)
            for b in found] == [(LEFT_IN_ATARI, 15, "C3", 3, "J1", "F3", 1, True)]


@needs_gnugo
def test_string_left_in_atari_twice_is_one_finding(reader) -> None:
    record = game(SURROUND[:4] + ["E3"] + SURROUND[5:] + ["J1", "A9", "J2", "F3"])
    found = find_blunders(record, BLACK, reader)
    assert [(b.move_number, b.turns, b.captured_next) for b in found] == [(15, 2, True)]


@needs_gnugo
def test_clean_game_counts_nothing(reader) -> None:
    saved = game(SURROUND[:4] + ["E3"] + SURROUND[5:] + ["F3", "A9"])  # Black extends out of atari
    assert find_blunders(saved, BLACK, reader) == []
    assert find_blunders(game(["E5", "C3", "G7", "C7", "G3"]), BLACK, reader) == []


def test_reader_results_are_parsed() -> None:
    assert reader_result("1 F3") == (1, "F3")
    assert reader_result("0") == (0, "")
    with pytest.raises(GtpError):
        reader_result("")


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "tactical_blunders.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


@needs_gnugo
def test_command_line_reads_a_match_folder(tmp_path) -> None:
    bad = game(SURROUND[:4] + ["E3"] + SURROUND[5:] + ["J1", "F3"])
    (tmp_path / "game001.sgf").write_bytes(game_to_sgf(bad))
    (tmp_path / "game002.sgf").write_bytes(game_to_sgf(game(SURROUND + ["E3"])))
    results = [{"number": 1, "black": "ours", "white": "gnugo-10", "winner": "gnugo-10", "result": "W+R",
                "sgf": "elsewhere/game001.sgf"},
               {"number": 2, "black": "ours", "white": "gnugo-10", "winner": "ours", "result": "B+R"}]
    (tmp_path / "results.json").write_text(json.dumps(results))
    out = tmp_path / "out.json"
    done = run_script(str(tmp_path), "--json", str(out))
    assert done.returncode == 0, done.stderr
    games = json.loads(out.read_text())["games"]
    assert [(g["game"], g["color"], len(g[SELF_ATARI]), len(g[LEFT_IN_ATARI])) for g in games] == [
        ("game001.sgf", "B", 0, 1), ("game002.sgf", "B", 1, 0)]
    assert run_script(str(tmp_path), "--engine", "nobody").returncode == 2
    assert run_script(str(tmp_path / "missing")).returncode == 2
    assert run_script(str(tmp_path), "--gnugo", "/no/such/gnugo").returncode == 2
