"""The game review (``review``): annotated SGF, graph, page, summary, resuming and bad files, on 9x9 games searched
with the shipped model at a few playouts a position."""
from __future__ import annotations

import json
import os
import re
import struct

import pytest
import torch
from sgfmill import sgf

from goengine.board import BLACK, WHITE
from goengine.coords import from_gtp
from goengine.game import Game
from goengine.sgf import game_to_sgf
from policy.inference import Policy
from review.analysis import Budget, MoveReview, analyse_game
from review.batch import Settings, base_name, review_batch
from review.cli import main
from review.graph import graph_width, winrate_png
from review.marks import Thresholds, biggest_losses, mark

PLAYOUTS = 32  # the planted blunder is the biggest loss from 16 playouts on; 32 leaves a margin

# A 9x9 position: Black's wall on column D and a six-stone chain (F5-H6) inside White's side, joined to the wall
# by either of the miai points E5 and E6. White's move 6 at E6 puts the chain in atari, Black's move 7 at A5 leaves
# it there instead of connecting at E5, and White's move 8 at E5 takes it.
BLACK_SETUP = "D1 D2 D3 D4 D5 D6 D7 D8 D9 F6 G6 H6 F5 G5 H5"
WHITE_SETUP = "E9 E8 E7 F7 G7 H7 J7 J6 J5 E4 F4 G4 H4 J4 E3 E2 E1"
PLANTED_MOVES = "B5 H2 B7 G8 C3 E6 A5 E5 C8 G3 A2 H8 B3 G2 C6 H9"
BLUNDER = 7


def planted_game(**info) -> Game:
    point = lambda v: from_gtp(v, 9)  # noqa: E731
    game = Game(size=9, komi=7.5, setup_black=sorted(map(point, BLACK_SETUP.split())),
                setup_white=sorted(map(point, WHITE_SETUP.split())),
                moves=[(BLACK if i % 2 == 0 else WHITE, point(v)) for i, v in enumerate(PLANTED_MOVES.split())])
    game.info.black, game.info.white = info.get("black", "Planted B"), info.get("white", "Planted W")
    game.info.result.raw = "W+R"
    return game


def write_game(path, game: Game) -> str:
    with open(path, "wb") as fh:
        fh.write(game_to_sgf(game))
    return str(path)


@pytest.fixture(scope="module")
def policy() -> Policy:
    torch.set_num_threads(1)
    return Policy.load()


@pytest.fixture(scope="module")
def reviewed(policy, tmp_path_factory):
    """One batch run over the planted game: (output folder, summary)."""
    folder = tmp_path_factory.mktemp("review")
    source = write_game(folder / "planted.sgf", planted_game())
    out = folder / "out"
    result = review_batch([source], str(out), policy, Settings(Budget(PLAYOUTS)), progress=False)
    assert result.reviewed == ["planted"] and not result.problems
    with open(out / "summary.json", encoding="utf-8") as fh:
        return out, json.load(fh)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------- the planted blunder
def test_the_planted_blunder_is_marked_bm_and_among_the_biggest_losses(reviewed):
    out, summary = reviewed
    entry = summary["games"]["planted"]
    assert BLUNDER in entry["marks"]["BM"]
    mistakes = entry["mistakes"]
    assert len(mistakes) == 5 and BLUNDER in [m["move"] for m in mistakes]
    blunder = next(m for m in mistakes if m["move"] == BLUNDER)
    assert blunder["played"] == "A5" and blunder["preferred"] == "E5" and blunder["mark"] == "BM"
    assert blunder["loss"] >= 10 and blunder["black_before"] - blunder["black_after"] == pytest.approx(
        blunder["loss"], abs=0.11)
    main_line = sgf.Sgf_game.from_bytes((out / "planted.sgf").read_bytes()).get_main_sequence()
    assert main_line[BLUNDER].get_move() == ("b", (4, 0)) and main_line[BLUNDER].get("BM") == 1


def test_search_reuses_the_tree_between_moves(policy):
    game = planted_game()
    review = analyse_game(game, policy, Budget(PLAYOUTS))
    assert all(m.visits >= PLAYOUTS for m in review.moves)
    assert review.playouts < PLAYOUTS * (len(game.moves) + 1)  # the move played came with its visits
    assert [m.black_after for m in review.moves[:-1]] == [m.black_before for m in review.moves[1:]]
    assert review.final_black == review.moves[-1].black_after


# ---------------------------------------------------------------- the outputs
def test_sgf_reads_back_with_a_comment_at_every_move(reviewed):
    out, summary = reviewed
    game = sgf.Sgf_game.from_bytes((out / "planted.sgf").read_bytes())
    root = game.get_root()
    assert root.get("PB") == "Planted B" and root.get("KM") == 7.5 and "Reviewed by goengine" in root.get("C")
    moves = game.get_main_sequence()[1:]
    assert len(moves) == len(PLANTED_MOVES.split())
    for number, node in enumerate(moves, start=1):
        comment = node.get("C")
        assert comment.startswith(f"Move {number}, ") and "Black's winrate" in comment
        assert re.search(r"\d+\.\d% before, \d+\.\d% after", comment)
    assert moves[-1].has_property("GB") or moves[-1].has_property("GW")
    # where the engine preferred another move, its line is a variation beside the move played
    differ = [m for m in summary["games"]["planted"]["mistakes"] if m["preferred"] != m["played"]]
    assert differ
    for m in differ:
        parent = game.get_main_sequence()[m["move"] - 1]
        assert len(parent) == 2
        colour, (row, col) = parent[1].get_move()
        assert colour == m["color"].lower() and from_gtp(m["preferred"], 9) == row * 9 + col


def test_graph_is_a_png_whose_width_follows_the_game_length(reviewed):
    out, _ = reviewed
    width, height = png_size((out / "planted.png").read_bytes())
    assert width == graph_width(len(PLANTED_MOVES.split())) and height > 0
    short = png_size(winrate_png([0.5] * 31, [3]))
    long = png_size(winrate_png([0.5] * 301, [3, 200]))
    assert short[0] == graph_width(30) < long[0] == graph_width(300)
    assert short[1] == long[1]


def test_page_holds_one_diagram_per_listed_mistake_and_loads_nothing(reviewed):
    out, summary = reviewed
    page = (out / "planted.html").read_text(encoding="utf-8")
    listed = page.count('<section class="mistake">')
    assert listed == len(summary["games"]["planted"]["mistakes"]) == 5
    assert page.count('<svg class="diagram"') == listed
    assert page.count('class="played"') >= listed  # the move played is drawn on every diagram
    for m in summary["games"]["planted"]["mistakes"]:
        assert f"Move {m['move']}: " in page
    assert 'src="data:image/png;base64,' in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)


def test_marks_follow_the_thresholds():
    def move(before: float, after: float, best: int | None = 5, point: int = 7, color: int = BLACK) -> MoveReview:
        return MoveReview(1, color, point, before, after, best, [] if best is None else [best], 32)

    t = Thresholds(blunder=0.10, doubtful=0.05, tesuji=0.05)
    assert mark(move(0.60, 0.45), t) == "BM"
    assert mark(move(0.60, 0.54), t) == "DO"
    assert mark(move(0.60, 0.57), t) is None
    assert mark(move(0.40, 0.50), t) == "TE"
    assert mark(move(0.40, 0.50, best=7), t) is None  # the engine's own choice is no surprise
    assert mark(move(0.40, 0.55, color=WHITE), t) == "BM"  # White's loss is Black's gain
    with pytest.raises(ValueError):
        Thresholds(blunder=0.05, doubtful=0.10)
    losses = biggest_losses([MoveReview(i, BLACK, i, 0.5, 0.5 - i / 100, 0, [0], 8) for i in range(1, 9)]
                            + [MoveReview(9, BLACK, 9, 0.5, 0.6, 0, [0], 8)])
    assert [m.number for m in losses] == [8, 7, 6, 5, 4]


# ---------------------------------------------------------------- batches
def test_names_come_from_the_files():
    assert base_name("games/My game (1).SGF") == "My_game_1"
    assert base_name("coll.sgf#2") == "coll-2"
    assert base_name("pro.tar.xz:folder/12.sgf") == "12"


class Interrupting:
    """The shipped model, until ``calls`` network calls have been made; then Ctrl-C."""

    def __init__(self, policy: Policy, calls: int):
        self.policy, self.calls = policy, calls

    def logits_batch(self, boards):
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        return self.policy.logits_batch(boards)


def test_an_interrupted_run_started_again_skips_the_games_done(policy, tmp_path):
    first = write_game(tmp_path / "a.sgf", planted_game())
    second = write_game(tmp_path / "b.sgf", planted_game(black="Other B"))
    out = tmp_path / "out"
    settings = Settings(Budget(4))
    counting = Interrupting(policy, 10**6)
    analyse_game(planted_game(), counting, settings.budget)
    one_game = 10**6 - counting.calls
    with pytest.raises(KeyboardInterrupt):  # stopped inside the second game
        review_batch([first, second], str(out), Interrupting(policy, one_game + 3), settings, progress=False)
    assert sorted(os.listdir(out)) == ["a.html", "a.png", "a.sgf", "summary.json"]  # nothing half-written
    done = {name: os.stat(out / name).st_mtime_ns for name in ("a.html", "a.png", "a.sgf")}
    result = review_batch([first, second], str(out), policy, settings, progress=False)
    assert result.skipped == ["a"] and result.reviewed == ["b"]
    assert {name: os.stat(out / name).st_mtime_ns for name in done} == done
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["games"]) == {"a", "b"} and summary["games"]["b"]["black"] == "Other B"
    again = review_batch([first, second], str(out), policy, settings, progress=False)
    assert again.skipped == ["a", "b"] and again.reviewed == []
    other = review_batch([second], str(out), policy, Settings(Budget(5)), progress=False)
    assert other.reviewed == ["b"]  # other settings: reviewed again
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["games"]["b"]["settings"]["playouts"] == 5 and summary["games"]["a"]["settings"]["playouts"] == 4


def test_bad_files_are_reported_and_the_batch_goes_on(policy, tmp_path, capsys):
    (tmp_path / "broken.sgf").write_bytes(b"(;GM[1]SZ[9];B[ee];W[")
    illegal = planted_game()
    illegal.moves.insert(1, (WHITE, illegal.moves[0][1]))  # on the stone Black just played
    folder = tmp_path / "games"
    folder.mkdir()
    write_game(folder / "illegal.sgf", illegal)
    write_game(folder / "good.sgf", planted_game())
    out = tmp_path / "out"
    status = main([str(tmp_path / "broken.sgf"), str(tmp_path / "missing.sgf"), str(folder), "-o", str(out),
                   "--playouts", "4", "--threads", "1", "--no-progress"])
    assert status == 1
    err = capsys.readouterr().err
    assert "reviewed 1 games" in err
    assert re.search(r"not reviewed: .*broken\.sgf: \S", err)
    assert re.search(r"not reviewed: .*missing\.sgf: no such file or directory", err)
    assert re.search(r"not reviewed: .*illegal\.sgf: move 2: ", err)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(summary["games"]) == ["good"] and len(summary["problems"]) == 3
    assert (out / "good.html").exists() and not (out / "illegal.sgf").exists()


@pytest.mark.parametrize("options, message", [
    (["--playouts", "0"], "--playouts must be 1 or more"),
    (["--playouts", "8", "--seconds", "1"], "not allowed with argument"),
    (["--seconds", "nan"], "--seconds must be a finite number"),
    (["--blunder", "3", "--doubtful", "5"], "doubtful <= blunder"),
    (["--threads", "-1"], "--threads must be 0 or more"),
])
def test_bad_options_exit_with_status_2(tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as exc:
        main(["game.sgf", "-o", str(tmp_path / "out")] + options)
    assert exc.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unreadable_summary_stops_before_any_work(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{not json")
    game = write_game(tmp_path / "g.sgf", planted_game())
    assert main([game, "-o", str(out), "--playouts", "2", "--no-progress"]) == 2
    assert "cannot read the review summary" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["summary.json"]


def _chromium_screenshot():
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts",
                        "review_screenshot.py")
    spec = importlib.util.spec_from_file_location("review_screenshot", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_headless_chromium_shows_the_graph_and_the_five_diagrams(reviewed, tmp_path):
    shots = _chromium_screenshot()
    if shots.find_chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    import numpy as np
    from matplotlib.image import imread
    out, _ = reviewed
    png = tmp_path / "page.png"
    shots.screenshot(str(out / "planted.html"), str(png), width=1000, height=1800)
    pixels = np.rint(imread(str(png))[:, :, :3] * 255).astype(int)
    wood = (np.abs(pixels - (0xdc, 0xb3, 0x5c)).sum(axis=2) < 12).sum(axis=1) > 15  # rows through a diagram
    starts = np.flatnonzero(wood[1:] & ~wood[:-1]) + 1
    assert len(starts) == 5  # five boards, one below the other
    red = (np.abs(pixels - (0xc0, 0x39, 0x2b)).sum(axis=2) < 30)
    assert red[:starts[0]].sum() > 20  # the graph's labelled losses, above the first board


def test_a_time_budget_reviews_every_position(policy, tmp_path):
    source = write_game(tmp_path / "g.sgf", planted_game())
    result = review_batch([source], str(tmp_path / "out"), policy, Settings(Budget(None, 0.02)), progress=False)
    assert result.reviewed == ["g"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    settings = summary["games"]["g"]["settings"]
    assert settings["seconds"] == 0.02 and settings["playouts"] is None
    root = sgf.Sgf_game.from_bytes((tmp_path / "out" / "g.sgf").read_bytes()).get_root()
    assert "0.02 s a position" in root.get("C")
