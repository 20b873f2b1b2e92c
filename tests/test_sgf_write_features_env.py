"""SGF writing (round trip, sgfmill, GNU Go), feature planes and symmetries, the gymnasium env, ASCII rendering."""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess

import gymnasium as gym
import numpy as np
import pytest
from sgfmill import sgf

import goengine  # noqa: F401  (registers goengine/Go-v0)
from goengine import BLACK, WHITE, Board, Game, GameInfo, from_gtp, replay
from goengine.features import FEATURE_SETS, GO_27, GO_40, HISTORY, feature_set, feature_set_for_planes
from goengine.game import parse_result
from goengine.handicap import fixed_handicap
from goengine.render import render_ascii, render_rgb
from goengine.sgf import game_to_sgf, parse_sgf, set_result
from goengine.symmetry import INVERSE, move_permutation, transform_move, transform_planes, transform_policy


def random_moves(size: int, count: int, seed: int, setup: tuple = ((), ()),
                 first: int = BLACK) -> list[tuple[int, int]]:
    """A legal random game as (colour, point) moves, passes included."""
    rng = random.Random(seed)
    board = Board(size)
    if setup[0] or setup[1]:
        board.setup(*setup)
    board.to_move = first
    moves = []
    for _ in range(count):
        legal = board.legal_moves()
        p = rng.choice(legal) if rng.random() > 0.03 else board.pass_move
        moves.append((board.to_move, p))
        board.play(p)
    return moves


def sample_game(size: int = 19) -> Game:
    game = Game(size=size, komi=6.5, handicap=2, setup_black=fixed_handicap(size, 2),
                setup_white=[(size // 2) * (size + 1)], first_player=WHITE,
                info=GameInfo(black="Black [x]", white="Wh\\ite", black_rank="3d", white_rank="1p",
                              result=parse_result("W+12.5"), rules="Japanese", date="2024-05-01", event="test"))
    game.moves = random_moves(size, 80, seed=5, setup=(game.setup_black, game.setup_white), first=WHITE)
    game.comments = {0: "root comment", 1: "first ] move", 40: "uni\u00e7ode \u68cb"}
    return game


def test_sgf_round_trip() -> None:
    game = sample_game()
    data = game_to_sgf(game)
    games, errors = parse_sgf(data, "written")
    assert errors == [] and len(games) == 1
    back = games[0]
    assert back.size == game.size and back.komi == game.komi and back.handicap == game.handicap
    assert sorted(back.setup_black) == sorted(game.setup_black)
    assert sorted(back.setup_white) == sorted(game.setup_white)
    assert back.first_player == WHITE
    assert back.moves == game.moves
    assert back.comments == game.comments
    assert back.info.result.raw == "W+12.5" and back.info.result.margin == 12.5
    assert (back.info.black, back.info.white, back.info.white_rank) == ("Black [x]", "Wh\\ite", "1p")
    assert list(replay(back).stones) == list(replay(game).stones)


def test_set_result_and_sgfmill_reads_output() -> None:
    game = sample_game(9)
    set_result(game, margin=0.0)
    assert game.info.result.raw == "0"
    set_result(game, winner=BLACK, reason="time")
    assert game.info.result.raw == "B+T" and game.info.result.reason == "time"
    parsed = sgf.Sgf_game.from_bytes(game_to_sgf(game))
    assert parsed.get_size() == 9 and parsed.get_komi() == 6.5
    moves = [node.get_move() for node in parsed.get_main_sequence()[1:]]
    assert len(moves) == len(game.moves)
    for (colour, move), (c, p) in zip(moves, game.moves):
        assert colour == ("b" if c == BLACK else "w")
        assert move == (None if p == 81 else divmod(p, 9))
    black, white, _ = parsed.get_root().get_setup_stones()
    assert {r * 9 + c for r, c in black} == set(game.setup_black)


GNUGO = shutil.which("gnugo") or ("/usr/games/gnugo" if os.path.exists("/usr/games/gnugo") else None)


@pytest.mark.skipif(GNUGO is None, reason="GNU Go is not installed")
def test_gnugo_loads_written_file(tmp_path) -> None:
    game = sample_game(9)
    board = replay(game)
    path = tmp_path / "game.sgf"
    path.write_bytes(game_to_sgf(game))
    gtp = f"loadsgf {path}\nshowboard\nquit\n"
    out = subprocess.run([GNUGO, "--mode", "gtp"], input=gtp, capture_output=True, text=True, timeout=60).stdout
    assert out.startswith("= "), out
    seen = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+) ((?:[.+XO] )+)\s*\1\b", line)
        if m:
            row = int(m.group(1)) - 1
            for col, ch in enumerate(m.group(2).split()):
                seen[row * 9 + col] = {"X": BLACK, "O": WHITE}.get(ch, 0)
    assert len(seen) == 81
    assert [seen[p] for p in range(81)] == list(board.stones)


# ------------------------------------------------------------------------------------------------ features
NUM_PLANES = GO_40.num_planes
board_features = GO_40.encode  # planes 0-26 are go-27's, so these tests cover both sets


def test_plane_shape_and_constant_planes() -> None:
    for fs, count in ((GO_27, 27), (GO_40, 40)):
        board = Board(19)
        planes = fs.encode(board)
        assert planes.shape == (fs.num_planes, 19, 19) == (count, 19, 19) and planes.dtype == np.float32
        assert planes[16].all() and planes[26].all() and not planes[:16].any()
        board.play(from_gtp("D4", 19))
        planes = fs.encode(board)
        assert not planes[16].any() and planes[26].all()  # white to move
        assert feature_set(fs.name, fs.version) is fs and feature_set_for_planes(count) is fs
    assert (GO_40.encode(board)[:27] == GO_27.encode(board)).all()
    with pytest.raises(ValueError, match="does not compute"):
        feature_set("go-27", 2)
    layout = GO_40.layout()  # one table: the groups tile the planes without gaps
    assert layout[0][0] == 0 and layout[-1][1] == GO_40.num_planes - 1
    assert all(a[1] + 1 == b[0] for a, b in zip(layout, layout[1:]))
    assert len(FEATURE_SETS) >= 2


def plane_at(planes: np.ndarray, k: int, vertex: str) -> float:
    size = planes.shape[-1]
    return planes[k].reshape(-1)[from_gtp(vertex, size)]


def test_liberty_planes() -> None:
    board = Board(9)
    for v, c in (("E5", BLACK), ("E6", WHITE), ("A1", BLACK), ("B1", WHITE), ("J9", WHITE), ("D5", BLACK)):
        board.play(from_gtp(v, 9), c)
    board.to_move = BLACK
    planes = board_features(board)  # black's view
    assert plane_at(planes, 17, "A1") == 1  # 1 liberty
    assert plane_at(planes, 20, "E5") == 1 and plane_at(planes, 20, "D5") == 1  # group of 2 with 5 libs -> 4+
    assert plane_at(planes, 22, "J9") == 1 and plane_at(planes, 22, "B1") == 1  # white, 2 liberties
    assert plane_at(planes, 23, "E6") == 1  # 3 liberties
    counts = board.liberty_counts()
    for k, lo in zip(range(4), (1, 2, 3, 4)):
        mine = planes[17 + k].reshape(-1)
        theirs = planes[21 + k].reshape(-1)
        for p in range(81):
            in_band = counts[p] == lo if lo < 4 else counts[p] >= 4
            assert mine[p] == (board.stones[p] == BLACK and in_band)
            assert theirs[p] == (board.stones[p] == WHITE and in_band)


def test_ko_point_in_plane_25() -> None:
    board = Board(5)
    board.setup(black=[from_gtp(v, 5) for v in ("B3", "C2", "C4")],
                white=[from_gtp(v, 5) for v in ("C3", "D4", "E3", "D2")])
    assert board.play(from_gtp("D3", 5), BLACK) == [from_gtp("C3", 5)]
    assert board.illegal_reason(from_gtp("C3", 5)) == "ko"
    planes = board_features(board)  # white to move
    assert plane_at(planes, 25, "C3") == 1 and planes[25].sum() == 1
    board.play(board.pass_move, WHITE)
    board.play(board.pass_move, BLACK)  # the ko is over after a pass
    assert not board_features(board)[25].any()
    corner = Board(5)
    corner.setup(black=[from_gtp("A2", 5), from_gtp("B1", 5)])
    assert plane_at(board_features(corner), 25, "A1") == 0  # black may play its own eye
    corner.to_move = WHITE
    assert plane_at(board_features(corner), 25, "A1") == 1  # suicide for white


def test_history_planes() -> None:
    board = Board(9)
    moves = random_moves(9, 12, seed=11)
    snapshots = [bytes(board.stones)]
    for c, p in moves:
        board.play(p, c)
        snapshots.append(bytes(board.stones))
    planes = board_features(board)
    me, opp = board.to_move, 3 - board.to_move
    for k in range(HISTORY):
        then = np.frombuffer(snapshots[-1 - k], dtype=np.uint8).reshape(9, 9)
        assert (planes[k] == (then == me)).all()
        assert (planes[8 + k] == (then == opp)).all()
    early = Board(9)
    early.play(from_gtp("C3", 9))
    planes = board_features(early)
    assert plane_at(planes, 8, "C3") == 1 and not planes[1:8].any() and not planes[9:16].any()


@pytest.mark.parametrize("size,count", [(3, 60), (5, 120), (9, 150), (19, 60)])
def test_game_features_equal_board_features(size: int, count: int) -> None:
    marked = 0
    for seed in range(4):
        game = Game(size=size, moves=random_moves(size, count, seed=seed))
        planes, labels, colors = GO_40.encode_game(game)
        board = game.new_board()
        for i, (c, p) in enumerate(game.moves):
            board.to_move = c
            assert (planes[i] == board_features(board)).all(), (seed, i)
            marked += int(planes[i, 25].sum())
            board.play(p, c)
        assert len(GO_40.encode_game(game, limit=7)[0]) == 7
    if size < 19:
        assert marked > 0  # ko and suicide points occurred


def test_game_features_labels() -> None:
    game = Game(size=9, moves=random_moves(9, 40, seed=3))
    planes, labels, colors = GO_40.encode_game(game)
    assert planes.shape == (40, NUM_PLANES, 9, 9)
    assert labels.tolist() == [p for _, p in game.moves] and colors.tolist() == [c for c, _ in game.moves]
    board = Board(9)
    for i, (c, p) in enumerate(game.moves):
        board.to_move = c
        assert (planes[i] == board_features(board)).all()
        board.play(p, c)


# ------------------------------------------------------------------------------------------------ symmetry
@pytest.mark.parametrize("k", range(8))
def test_symmetry_planes_and_labels_agree(k: int) -> None:
    size = 7
    moves = [(c, p) for c, p in random_moves(size, 30, seed=k)]
    board, turned = Board(size), Board(size)
    for c, p in moves:
        board.play(p, c)
        turned.play(transform_move(p, size, k), c)
    # go-27: the ladder planes of go-40 may differ where a reading's budget runs out (test_tactics covers them)
    planes, turned_planes = GO_27.encode(board), GO_27.encode(turned)
    assert (transform_planes(planes, k) == turned_planes).all()
    perm = move_permutation(size, k)
    assert sorted(perm.tolist()) == list(range(size * size + 1)) and perm[size * size] == size * size
    # the stone of move p sits where the permutation sends p, in the transformed planes
    one_hot = np.zeros(size * size + 1)
    one_hot[moves[-1][1]] = 1
    moved = transform_policy(one_hot, size, k)
    assert moved[perm[moves[-1][1]]] == 1
    flat = transform_planes(planes, k).reshape(GO_27.num_planes, -1)
    for p in range(size * size):
        assert (flat[:, perm[p]] == planes.reshape(GO_27.num_planes, -1)[:, p]).all()
    back = transform_planes(transform_planes(planes, k), INVERSE[k])
    assert (back == planes).all()
    assert [transform_move(transform_move(p, size, k), size, INVERSE[k]) for p in range(size * size + 1)] == \
        list(range(size * size + 1))


def test_symmetry_0_is_identity_and_rotation_direction() -> None:
    assert move_permutation(19, 0).tolist() == list(range(362))
    # one quarter turn moves a corner to another corner, never to itself
    assert transform_move(from_gtp("A1", 19), 19, 1) in {from_gtp(v, 19) for v in ("A19", "T1", "T19")}


# ------------------------------------------------------------------------------------------------ gymnasium
def test_check_env() -> None:
    from gymnasium.utils.env_checker import check_env
    env = gym.make("goengine/Go-v0", size=5)
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


def test_env_game_and_illegal_action() -> None:
    env = gym.make("goengine/Go-v0", size=5)
    obs, info = env.reset(seed=1)
    assert obs.shape == (NUM_PLANES, 5, 5) and info["action_mask"].sum() == 26
    obs, reward, terminated, truncated, info = env.step(12)
    assert not terminated and info["action_mask"][12] == 0
    obs, reward, terminated, truncated, info = env.step(12)  # occupied
    assert terminated and reward == -1.0 and info["illegal_move"] == "occupied"
    env.reset()
    env.step(25)
    obs, reward, terminated, truncated, info = env.step(25)
    assert terminated and info["result"] == "W+7.5" and reward == 1.0  # white passed last and wins on komi


def test_env_render_modes() -> None:
    env = gym.make("goengine/Go-v0", size=9, render_mode="ansi")
    env.reset()
    env.step(from_gtp("C3", 9))
    text = env.render()
    assert "(X)" in text and text.splitlines()[0].split() == list("ABCDEFGHJ")
    env = gym.make("goengine/Go-v0", size=9, render_mode="rgb_array")
    env.reset()
    env.step(0)
    image = env.render()
    assert image.dtype == np.uint8 and image.shape == (144, 144, 3)
    assert tuple(image[144 - 8, 8]) == (15, 15, 15)  # black stone at A1, bottom left


# ------------------------------------------------------------------------------------------------ rendering
def test_ascii_rendering() -> None:
    board = Board(19)
    board.play(from_gtp("A1", 19), BLACK)
    board.play(from_gtp("T19", 19), WHITE)
    lines = render_ascii(board, mark_last=False).splitlines()
    assert lines[0].split() == list("ABCDEFGHJKLMNOPQRST") and "I" not in lines[0]
    assert lines[1].split()[0] == "19" and lines[19].split()[0] == "1"
    assert lines[19].split()[1] == "X" and lines[1].split()[-2] == "O"
    assert lines[-1].startswith("Black to move")
    assert "(O)" in render_ascii(board)
    assert render_rgb(Board(5), cell=4).shape == (20, 20, 3)
