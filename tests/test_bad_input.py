"""Hostile input: commands, numbers and files a careful user (or a broken GUI) may send. Nothing may crash or hang.

The GTP cases run ``gtp_server.serve`` in a thread on pipes, with stand-in players, so that they are fast and can
make a player fail or search slowly on purpose.
"""
from __future__ import annotations

import argparse
import logging
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import threading
import time

import gymnasium as gym
import numpy as np
import pytest

from goengine.archive import GameReader
from goengine.board import Board
from goengine.dataset import DataFilter
from goengine.deadstones import Estimate
from goengine.env import GoEnv
from goengine.game import Game
from goengine.match import main as match_main
from goengine.scoring import Score
from goengine.sgf import MAX_FILE_BYTES, SgfError, parse_sgf, read_file, read_game
from gtp_server import Engine, GtpFailure, main, serve
from policy.checkpoint import save_model
from policy.data import PackedGames
from policy.evaluate import main as evaluate_main
from policy.export import main as export_main
from policy.model import ModelConfig, PolicyValueNet
from policy.pack import main as pack_main
from policy.player import Analysis, Candidate
from policy.train import main as train_main
from rnn_tools.cli import main as rnn_tools_main
from rnn_tools.data import read_unique

REPLY_TIMEOUT = 5.0  # seconds; far above what any reply here needs, far below the hangs these tests catch


class FakePlayer:
    """Answers at once: pass, one candidate at A1 with ``winrate`` (NaN makes every analysis line fail)."""

    def __init__(self, winrate: float = 0.5):
        self.winrate = winrate

    def analyze(self, board: Board, max_moves: int = 10, seconds: float | None = None) -> Analysis:
        return Analysis(0.0, np.zeros(board.n + 1), [Candidate(0, 0.5, self.winrate, [0])])

    def estimate(self, board: Board, time_budget: float | None = None) -> Estimate:
        return Estimate(np.zeros(board.n), (), ())

    def choose_move(self, board: Board, komi: float = 7.5, rules: str = "area", cleanup: bool = False,
                    time_budget: float | None = None, callback=None, every: int = 0) -> int:
        if callback is not None:
            callback(self.analyze(board))
        return board.n

    def final_score(self, board: Board, komi: float, rules: str = "area") -> Score:
        return Score(0.0, komi, ())


class FakeTree:
    def __init__(self):
        self.playouts = 0
        self.last_batch_seconds = 0.0

    def set_root(self, board: Board) -> None:
        pass

    def playouts_at_root(self) -> int:
        return self.playouts


class FakeSearchPlayer(FakePlayer):
    """A searching player: ``analyze(seconds=s)`` keeps busy for ``s`` seconds, as a real search does."""

    def __init__(self, winrate: float = 0.5):
        super().__init__(winrate)
        self.mcts = FakeTree()

    def analyze(self, board: Board, max_moves: int = 10, seconds: float | None = None) -> Analysis:
        end = time.monotonic() + (seconds or 0.0)
        while time.monotonic() < end:
            time.sleep(0.01)
        self.mcts.playouts += 1
        return super().analyze(board, max_moves)


class Server:
    """``serve`` in a daemon thread on pipes: raw lines in, raw lines out."""

    def __init__(self, player: FakePlayer):
        in_r, self.in_w = os.pipe()
        out_r, out_w = os.pipe()
        self.stdout = os.fdopen(out_w, "wb")
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._serve, args=(Engine(player, 9), in_r), daemon=True)
        self.thread.start()
        threading.Thread(target=self._read, args=(os.fdopen(out_r, "rb"),), daemon=True).start()

    def _serve(self, engine: Engine, in_r: int) -> None:
        try:
            serve(engine, in_r, self.stdout)
        finally:
            self.stdout.close()

    def _read(self, stdout) -> None:
        for raw in stdout:
            self.lines.put(raw.decode("utf-8").removesuffix("\n"))
        self.lines.put(None)

    def send(self, text: str) -> None:
        os.write(self.in_w, text.encode("utf-8"))

    def line(self) -> str | None:
        return self.lines.get(timeout=REPLY_TIMEOUT)

    def response(self) -> list[str]:
        """The lines of the next response, without its blank line."""
        lines = []
        while (line := self.line()) != "":
            assert line is not None, "the server ended"
            lines.append(line)
        return lines

    def close(self) -> None:
        """End of input: the server must stop at once."""
        if self.thread.is_alive():
            os.close(self.in_w)
        self.thread.join(REPLY_TIMEOUT)
        assert not self.thread.is_alive()


@pytest.fixture
def server():
    servers: list[Server] = []
    yield lambda player=None: servers.append(Server(player or FakePlayer())) or servers[-1]
    for s in servers:
        s.close()


# ----------------------------------------------------------------- analysis never crashes or hangs
@pytest.mark.parametrize("command", ["lz-analyze b 99999999999999999999", "kata-analyze w interval 9999999999999",
                                     "lz-analyze 0", "kata-analyze b maxmoves 99999999999999999999"])
@pytest.mark.parametrize("player", [FakePlayer, FakeSearchPlayer])
def test_analysis_with_any_interval_ends_at_the_next_command(server, command, player):
    gtp = server(player())
    gtp.send(f"1 {command}\n")
    assert gtp.line() == "=1"
    assert gtp.line().startswith("info move A1 ")
    time.sleep(0.2)
    gtp.send("2 name\n")
    assert all(line.startswith("info ") for line in gtp.response())
    assert gtp.response() == ["=2 goengine"]


@pytest.mark.parametrize("player", [FakePlayer, FakeSearchPlayer])
def test_analysis_ends_at_end_of_input(server, player):
    gtp = server(player())
    gtp.send("kata-analyze b interval 9999999999999\n")
    assert gtp.line() == "="
    gtp.close()


def test_searched_analysis_streams_lines_between_slices(server):
    gtp = server(FakeSearchPlayer())
    gtp.send("lz-analyze b 1\n")
    assert gtp.line() == "="
    assert all(gtp.line().startswith("info ") for _ in range(3))
    gtp.send("name\n")
    gtp.response()
    assert gtp.response() == ["= goengine"]


@pytest.mark.parametrize("command", ["lz-genmove_analyze b 10", "kata-genmove_analyze w", "lz-analyze b 10",
                                     "kata-analyze w 10 ownership true"])
@pytest.mark.parametrize("player", [FakePlayer, FakeSearchPlayer])
def test_a_failing_analysis_is_an_internal_error(server, caplog, command, player):
    """A player whose figures are NaN (a broken model) fails the command; the session goes on."""
    gtp = server(player(winrate=float("nan")))
    with caplog.at_level(logging.ERROR, logger="gtp"):
        gtp.send(f"7 {command}\n8 name\n")
        assert gtp.response() == ["?7 internal error: ValueError"]
        assert gtp.response() == ["=8 goengine"]
    assert any("internal error in" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("command", ["kata-analyze b 10", "kata-analyze w 10 ownership true",
                                     "kata-genmove_analyze b 10"])
def test_kata_analyze_reports_no_score_without_a_score_head(server, command):
    """The playout count minus komi is no lead (-7.5 on an empty board): GUIs would show it as one."""
    gtp = server(FakePlayer())
    gtp.send(f"{command}\n")
    assert gtp.line() == "="
    info = gtp.line()
    assert info.startswith("info move A1 ") and "score" not in info
    gtp.send("name\n")
    gtp.response()
    assert gtp.response() == ["= goengine"]


def test_ownership_view_says_what_its_number_is():
    text = Engine(FakePlayer(), 9).run("goengine-ownership", []).splitlines()[-1]
    assert text == "TEXT area count if the game ended now: W+7.5"  # no stones: komi alone


# ----------------------------------------------------------------- numbers: used, clamped or refused
@pytest.mark.parametrize("command, args", [
    ("time_settings", ["1e300", "30", "5"]),
    ("time_settings", ["300", "30", "99999999999999999999"]),
    ("time_left", ["b", "100", "99999999999999999999"]),
    ("kgs-time_settings", ["canadian", "60", "30", "99999999999999999999"]),
    ("kgs-time_settings", ["absolute", "1e308"]),
    ("fixed_handicap", ["99999999999999999999"]),
    ("place_free_handicap", ["99999999999999999999"]),
    ("boardsize", ["9" * 5000]),
    ("undo", ["9" * 5000]),
    ("lz-analyze", ["b", "9" * 5000]),
])
def test_numbers_out_of_range_are_refused(command, args):
    engine = Engine(FakePlayer(), 9)
    with pytest.raises(GtpFailure) as failure:
        engine.run(command, args)
    assert "internal error" not in str(failure.value)


def test_analysis_numbers_are_clamped():
    engine = Engine(FakePlayer(), 9)
    _, interval, maxmoves, _ = engine._analysis_args(["b", "interval", "9" * 30, "maxmoves", "9" * 30])
    assert interval == 3600.0 and maxmoves == 82


# ----------------------------------------------------------------- numbers that are not numbers
BAD_KOMI = ["nan", "inf", "-inf", "1e400", "1e300", "-2e5"]


@pytest.mark.parametrize("komi", BAD_KOMI)
def test_sgf_komi_that_is_not_a_number_is_refused(tmp_path, komi):
    games, errors = parse_sgf(f"(;GM[1]SZ[9]KM[{komi}];B[ee])", "bad.sgf")
    assert not games and len(errors) == 1 and "komi" in errors[0]
    path = tmp_path / "bad.sgf"
    path.write_text(f"(;GM[1]SZ[9]KM[{komi}];B[ee])")
    with pytest.raises(SgfError):
        read_game(str(path))
    engine = Engine(FakePlayer(), 9)
    with pytest.raises(GtpFailure, match="cannot load file"):
        engine.run("loadsgf", [str(path)])
    assert engine.komi == 7.5


@pytest.mark.parametrize("komi", BAD_KOMI)
def test_komi_command_and_environment_use_the_same_rule(komi):
    with pytest.raises(GtpFailure, match="syntax error"):
        Engine(FakePlayer(), 9).run("komi", [komi])
    with pytest.raises(ValueError, match="komi"):
        GoEnv(komi=float(komi))


def test_usual_komi_still_read():
    games, _ = parse_sgf("(;GM[1]SZ[9]KM[650];B[ee])")
    assert games[0].komi == 6.5
    assert GoEnv(komi=-5.5).komi == -5.5


@pytest.mark.parametrize("options, message", [
    (["--temperature", "nan"], "--temperature must be a finite number"),
    (["--temperature", "-1"], "--temperature must be 0 or more"),
    (["--device", "tpu"], "--device must be"),
    (["--playouts", "-5"], "--playouts must be 0 or more"),
    (["--time-per-move", "0"], "--time-per-move must be positive"),
    (["--time-per-move", "inf"], "--time-per-move must be a finite number"),
    (["--resign-threshold", "nan"], "--resign-threshold must be a finite number"),
    (["--threads", "-2"], "--threads must be 0 or more"),
    (["--score-playouts", "0"], "--score-playouts must be 1 or more"),
    (["--opening-moves", "-1"], "--opening-moves must be 0 or more"),
    (["--c-puct", "0"], "--c-puct must be positive"),
    (["--fpu-reduction", "inf"], "--fpu-reduction must be a finite number"),
    (["--fpu-reduction", "-0.5"], "--fpu-reduction must be from 0 to 2"),
    (["--komi", "nan"], "--komi: komi must be a finite number"),
    (["--komi", "1e400"], "--komi: komi must be a finite number"),
    (["--size", "30"], "--size: board size must be"),
    (["--play", "--color", "red"], "--color must be black or white"),
])
def test_bad_options_stop_the_engine_at_start(capsys, options, message):
    with pytest.raises(SystemExit) as stop:
        main(options)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert ": error: " + message in err[-1]


# ----------------------------------------------------------------- loadsgf reads regular files only
def loadsgf_answer(path: str) -> str:
    """``loadsgf path``'s failure message, from a thread so that a server that blocks fails the test."""
    answer: list[str] = []

    def load() -> None:
        try:
            Engine(FakePlayer(), 9).run("loadsgf", [path])
            answer.append("loaded")
        except GtpFailure as exc:
            answer.append(str(exc))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(REPLY_TIMEOUT)
    assert answer, "loadsgf blocked"
    return answer[0]


def test_loadsgf_refuses_a_named_pipe_at_once(tmp_path):
    fifo = tmp_path / "game.sgf"
    os.mkfifo(fifo)
    assert loadsgf_answer(str(fifo)) == "cannot load file"


def test_loadsgf_refuses_a_directory_and_a_huge_file(tmp_path):
    assert loadsgf_answer(str(tmp_path)) == "cannot load file"
    huge = tmp_path / "huge.sgf"
    with open(huge, "wb") as fh:
        fh.write(b"(;GM[1]SZ[9];B[ee])")
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert loadsgf_answer(str(huge)) == "cannot load file"
    with pytest.raises(SgfError, match="larger than"):
        read_file(str(huge))
    with pytest.raises(SgfError, match="not a regular file"):
        read_file(str(tmp_path))


def test_loadsgf_still_reads_a_regular_file(tmp_path):
    path = tmp_path / "game.sgf"
    path.write_bytes(b"(;GM[1]SZ[9]KM[6.5];B[ee];W[cc])")
    assert read_file(str(path), limit=100).startswith(b"(;GM[1]")
    assert loadsgf_answer(str(path)) == "loaded"


# ----------------------------------------------------------------- SGF text in another encoding
def sgf_bytes(name: str, comment: str, encoding: str, ca: bytes = b"") -> bytes:
    return (b"(;GM[1]SZ[9]KM[6.5]" + ca + b"PB[" + name.encode(encoding) + b"]PW[x]C[" + comment.encode(encoding)
            + b"];B[ee])")


@pytest.mark.parametrize("name, encoding", [("井山裕太", "shift_jis"), ("이세돌", "euc_kr"), ("Müller", "latin-1")])
@pytest.mark.parametrize("ca", [b"", b"CA[UTF-8]"])
def test_text_in_an_undeclared_encoding_is_detected_and_counted(tmp_path, name, encoding, ca):
    comment = f"{name}: a calm answer"
    (tmp_path / "game.sgf").write_bytes(sgf_bytes(name, comment, encoding, ca))
    reader = GameReader(str(tmp_path), size=9)
    [game] = list(reader)
    assert (game.info.black, game.comments[0]) == (name, comment)
    repairs = {note: n for note, n in reader.stats.notes.items() if note.startswith("text encoding")}
    assert list(repairs.values()) == [1] and list(repairs)[0].endswith(", CA wrong") == bool(ca)
    assert "text encoding" in reader.stats.summary()


def test_comment_data_gets_the_same_repair(tmp_path):
    """rnn_tools reads comments through the same SGF reader."""
    (tmp_path / "review.sgf").write_bytes(sgf_bytes("Jürgen", "Schwarz hätte früher schneiden können", "latin-1"))
    games, _ = read_unique(str(tmp_path), DataFilter(size=9), check_legal=False)
    assert games[0].comments[0] == "Schwarz hätte früher schneiden können"


def test_utf8_with_characters_lost_to_question_marks_stays_utf8():
    """Fox: UTF-8 that went through cp1252, whose undefined bytes (0x90 in 锐) became '?'."""
    event = "韩国新锐战".encode("utf-8").replace(b"\x90", b"?")
    games, _ = parse_sgf(b"(;GM[1]SZ[9]PB[\xe6\x9f\xaf\xe6\xb4\x81]EV[" + event + b"];B[ee])")
    assert games[0].info.black == "柯洁"
    assert games[0].info.event.startswith("韩国新") and games[0].info.event.endswith("战")
    assert games[0].notes[0] == "text in UTF-8 with characters lost to '?'"


@pytest.mark.parametrize("data", [sgf_bytes("井山裕太", "本因坊", "shift_jis", b"CA[Shift_JIS]"),
                                  sgf_bytes("이세돌", "좋은 수", "utf-8"), sgf_bytes("이세돌", "좋은 수", "euc_kr", b"CA[EUC-KR]")])
def test_text_in_its_declared_encoding_needs_no_detection(data):
    games, _ = parse_sgf(data)
    assert games[0].info.black in ("井山裕太", "이세돌")
    assert not any(note.startswith("text") for note in games[0].notes)


# ----------------------------------------------------------------- SGF setup stones
def test_a_setup_group_without_liberties_is_skipped_under_its_own_reason(tmp_path):
    (tmp_path / "dead.sgf").write_bytes(b"(;GM[1]SZ[9]AB[aa]AW[ab][ba];B[ee];W[cc])")
    reader = GameReader(str(tmp_path), size=9, check_legal=True)
    assert list(reader) == []
    assert dict(reader.stats.skipped) == {"setup group without liberties": 1}
    assert reader.stats.errors == [f"{tmp_path / 'dead.sgf'}: setup leaves a group without liberties at A9"]
    with pytest.raises(GtpFailure, match="cannot load file"):
        Engine(FakePlayer(), 9).run("loadsgf", [str(tmp_path / "dead.sgf")])


# ----------------------------------------------------------------- resuming a training run
RUN = ["--blocks", "1", "--filters", "8", "--batch-size", "8", "--steps", "4", "--lr", "0.01", "--warmup", "1",
       "--workers", "0", "--checkpoint-every", "2", "--no-progress", "--seed", "1", "--device", "cpu"]


def write_pack(path, seed: int) -> str:
    """Eight 9x9 games of 30 random legal moves."""
    rng, games = random.Random(seed), []
    for _ in range(8):
        board, game = Board(9), Game(size=9, komi=7.5)
        for _ in range(30):
            point = rng.choice([p for p in board.legal_moves() if p != board.n])
            game.moves.append((board.to_move, point))
            board.play(point)
        games.append(game)
    PackedGames.from_games(games, 9).save(path)
    return str(path)


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """A run folder stopped after 2 of 4 steps, and the pack it trains on."""
    root = tmp_path_factory.mktemp("resume")
    pack = write_pack(root / "train.npz", 0)
    train_main([*RUN, "--train", pack, "--out", str(root / "run"), "--stop-at", "2"])
    return root


def resume(stopped_run, tmp_path, *flags: str) -> dict:
    """Resume a copy of the stopped run with the flags it was started with, then ``flags``."""
    shutil.copytree(stopped_run / "run", tmp_path / "run")
    return train_main([*RUN, "--train", str(stopped_run / "train.npz"), "--out", str(tmp_path / "run"), "--resume",
                       *flags])


def refused_resume(stopped_run, tmp_path, capsys, *flags: str) -> str:
    """The message of a resume that must be refused; the run folder must be left as it was."""
    with pytest.raises(SystemExit) as stop:
        resume(stopped_run, tmp_path, *flags)
    assert stop.value.code == 2
    for name in ("checkpoint.pt", "metrics.csv"):
        assert (tmp_path / "run" / name).read_bytes() == (stopped_run / "run" / name).read_bytes()
    return capsys.readouterr().err


@pytest.mark.parametrize("flags, difference", [
    (["--pooling"], "--pooling False -> True"),
    (["--blocks", "2"], "--blocks 1 -> 2"),
    (["--optimizer", "sgd"], "--optimizer adamw -> sgd"),
    (["--lr", "0.02"], "--lr 0.01 -> 0.02"),
    (["--batch-size", "16"], "--batch-size 8 -> 16"),
    (["--seed", "2"], "--seed 1 -> 2"),
    (["--schedule", "wsd"], "--schedule cosine -> wsd"),
])
def test_resume_refuses_settings_that_change_the_run(stopped_run, tmp_path, capsys, flags, difference):
    err = refused_resume(stopped_run, tmp_path, capsys, *flags)
    assert f"\n  {difference}\n" in err and "Traceback" not in err
    assert "may change only --steps" in err


def test_resume_lists_every_difference_and_a_changed_pack(stopped_run, tmp_path, capsys):
    other = write_pack(tmp_path / "other.npz", 1)
    err = refused_resume(stopped_run, tmp_path, capsys, "--lr", "0.02", "--seed", "2", "--train", other)
    listed = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert listed[:2] == ["--lr 0.01 -> 0.02", "--seed 1 -> 2"]
    assert listed[2] == (f"--train {stopped_run / 'train.npz'} (8 games, 240 positions) -> {other} (another pack: "
                         f"8 games, 240 positions)")


def test_resume_may_change_the_length_and_the_reporting(stopped_run, tmp_path):
    moved = str(shutil.copy(stopped_run / "train.npz", tmp_path / "moved.npz"))  # the same pack, another file
    last = resume(stopped_run, tmp_path, "--steps", "6", "--train", moved, "--checkpoint-every", "3",
                  "--eval-every", "3", "--threads", "1", "--export", str(tmp_path / "model.pt"))
    assert last["step"] == 6 and (tmp_path / "model.pt").exists()


@pytest.mark.parametrize("damage, message", [("half", "truncated"), ("empty", "truncated"),
                                             ("model file", "a model file, not a training checkpoint")])
def test_resume_from_a_damaged_checkpoint_says_so(stopped_run, tmp_path, capsys, damage, message):
    shutil.copytree(stopped_run / "run", tmp_path / "run")
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    if damage == "model file":
        save_model(PolicyValueNet(ModelConfig(blocks=1, filters=8)), checkpoint)
    else:
        checkpoint.write_bytes(checkpoint.read_bytes()[:checkpoint.stat().st_size // 2 if damage == "half" else 0])
    with pytest.raises(SystemExit) as stop:
        train_main([*RUN, "--train", str(stopped_run / "train.npz"), "--out", str(tmp_path / "run"), "--resume"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err and message in err and "Traceback" not in err


# ----------------------------------------------------------------- the environment
def test_env_step_after_the_end_needs_a_reset():
    env = GoEnv(size=5)
    env.reset()
    env.step(25)
    assert env.step(25)[2]  # two passes: terminated
    with pytest.raises(gym.error.ResetNeeded, match="reset"):
        env.step(25)
    env.reset()
    env.step(0)
    assert env.step(0)[2]  # occupied: an illegal move ends the episode too
    with pytest.raises(gym.error.ResetNeeded):
        env.step(1)
    env.reset()
    assert not env.step(np.int64(3))[2]


def test_env_step_after_truncation_needs_a_reset():
    env = GoEnv(size=5, max_moves=2)
    env.reset()
    env.step(0)
    assert env.step(1)[3]  # truncated
    with pytest.raises(gym.error.ResetNeeded):
        env.step(2)


@pytest.mark.parametrize("action", [2.7, 2.0, np.float32(3.0), "2", None, 26, -1])
def test_env_refuses_actions_that_are_not_points(action):
    env = GoEnv(size=5)
    env.reset()
    with pytest.raises(ValueError):
        env.step(action)
    assert env.board.move_number == 0


# ----------------------------------------------------------------- evaluation of nothing
def test_evaluate_a_missing_path_fails(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        evaluate_main([str(tmp_path / "no-such-dir")])
    assert stop.value.code == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_evaluate_refuses_a_corrupt_baseline_before_scoring(tmp_path, capsys):
    (tmp_path / "game.sgf").write_text("(;GM[1]SZ[19];B[pd];W[dp])")
    (tmp_path / "broken.pt").write_bytes(b"not a model")
    with pytest.raises(SystemExit) as stop:
        evaluate_main([str(tmp_path / "game.sgf"), "--baseline", str(tmp_path / "broken.pt")])
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_evaluate_without_positions_fails(tmp_path, capsys):
    (tmp_path / "small.sgf").write_text("(;GM[1]SZ[9];B[ee];W[cc])")  # not the 19x19 asked for
    with pytest.raises(SystemExit) as stop:
        evaluate_main([str(tmp_path)])
    assert stop.value.code == 1
    assert "no positions to evaluate" in capsys.readouterr().err


# ----------------------------------------------------------------- what the user sees
def test_readme_test_command_prints_the_summary_line():
    """``python -m pytest -q`` (README) with the project's ``addopts`` still ends with "N passed"."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_bad_input.py::test_usual_komi_still_read"],
                         capture_output=True, text=True, cwd=root, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"^1 passed", out.stdout, re.MULTILINE), out.stdout


def built_parser(main, monkeypatch) -> argparse.ArgumentParser:
    """The parser a command's ``main`` builds, caught at its ``parse_args`` call."""
    class Built(Exception):
        pass

    def catch(self, *args, **kwargs):
        raise Built(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    with pytest.raises(Built) as built:
        main([])
    return built.value.args[0]


def with_subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subparsers = [a.choices for a in parser._actions if isinstance(a.choices, dict)]
    return [parser] + [p for choices in subparsers for p in choices.values()]


@pytest.mark.parametrize("main", [main, train_main, pack_main, evaluate_main, export_main, match_main, rnn_tools_main],
                         ids=["gtp_server", "train", "pack", "evaluate", "export", "match", "rnn_tools"])
def test_help_is_plain_text_and_shows_every_default(main, monkeypatch):
    for parser in with_subcommands(built_parser(main, monkeypatch)):
        text = parser.format_help()
        assert "``" not in text and "::" not in text, text
        flat = " ".join(text.split())
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS or isinstance(action.choices, dict):
                continue
            assert action.help, f"{parser.prog} {action.option_strings[0]} has no help"
            shown = not (action.default is None or action.default is False or action.default in ([], argparse.SUPPRESS))
            if shown and "(default" not in action.help:
                assert f"(default: {action.default})" in flat, f"{parser.prog} {action.option_strings[0]}"
