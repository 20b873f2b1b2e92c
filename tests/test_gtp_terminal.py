"""Terminal play (``python gtp_server.py --play``): moves typed as D4, pass, undo, resign; score and SGF at the end."""
from __future__ import annotations

import subprocess
import sys

from goengine.sgf import read_game
from gtp_server import play_in_terminal
from gtp_session import ROOT, SERVER, make_tiny_model
from policy.player import PolicyPlayer
from test_player import FakePolicy


def scripted(lines: list[str]):
    feed = iter(lines)

    def read(prompt: str) -> str:
        line = next(feed, None)
        if line is None:
            raise EOFError  # what input() does at the end of input
        return line
    return read


def test_a_game_with_undo_bad_input_and_passes(tmp_path):
    player = PolicyPlayer(FakePolicy(["C3", "D4", "B2"]), resign_threshold=0)
    shown: list[str] = []
    path = tmp_path / "game.sgf"
    game = play_in_terminal(player, 5, 0.5, 1, str(path),
                            read=scripted(["c3", "z9", "c3", "undo", "b4"] + ["pass"] * 20),
                            out=shown.append)
    text = "\n".join(shown)
    assert "engine plays" in text and "cannot play 'z9'" in text and "cannot play 'c3'" in text
    assert "final score" in text and f"game saved as {path}" in text
    saved = read_game(str(path))
    assert saved.moves == game.moves and saved.moves[0] == (1, 16)  # B4 after the undo
    assert saved.info.result.raw == game.info.result.raw != ""


def test_resign_and_end_of_input(tmp_path):
    player = PolicyPlayer(FakePolicy(["C3"]), resign_threshold=0)
    game = play_in_terminal(player, 5, 0.5, 2, str(tmp_path / "r.sgf"), read=scripted(["resign"]), out=lambda s: None)
    assert game.info.result.raw == "B+R"
    game = play_in_terminal(player, 5, 0.5, 1, str(tmp_path / "e.sgf"), read=scripted([]), out=lambda s: None)
    assert game.info.result.raw == "W+R"  # closing the input resigns


def test_play_option_runs_a_game(tmp_path):
    model = make_tiny_model(str(tmp_path / "tiny.pt"))
    sgf = tmp_path / "cli.sgf"
    run = subprocess.run([sys.executable, SERVER, "--weights", model, "--play", "--size", "5", "--sgf", str(sgf),
                          "--resign-threshold", "0"], input="c3\nresign\n", capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "A B C D E" in run.stdout and "result: W+R" in run.stdout
    assert read_game(str(sgf)).moves[0] == (1, 12)


def test_ctrl_c_saves_the_game_unfinished(tmp_path):
    player = PolicyPlayer(FakePolicy(["C3", "D4"]), resign_threshold=0)
    feed = iter(["b4"])

    def read(prompt: str) -> str:
        line = next(feed, None)
        if line is None:
            raise KeyboardInterrupt  # the person presses Ctrl-C at the second prompt
        return line

    shown: list[str] = []
    path = tmp_path / "stopped.sgf"
    game = play_in_terminal(player, 5, 0.5, 1, str(path), read=read, out=shown.append)
    assert "interrupted" in "\n".join(shown) and f"game saved as {path}" in shown[-1]
    saved = read_game(str(path))
    assert saved.moves == game.moves and len(saved.moves) == 2 and not saved.info.result.raw
