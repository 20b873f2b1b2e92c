"""GTP v2 transcripts through a real ``python gtp_server.py`` subprocess: framing, every command, every error."""
from __future__ import annotations

import pytest

from goengine.sgf import parse_sgf
from gtp_session import GtpSession, make_tiny_model

REQUIRED = ["protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
            "clear_board", "komi", "play", "genmove"]
EXTRA = ["undo", "fixed_handicap", "place_free_handicap", "set_free_handicap", "loadsgf", "printsgf", "reg_genmove",
         "final_score", "final_status_list", "time_settings", "time_left", "showboard", "kgs-genmove_cleanup",
         "kgs-time_settings", "kgs-rules", "list_stones", "lz-analyze", "lz-genmove_analyze", "kata-analyze",
         "gogui-analyze_commands"]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    return make_tiny_model(str(tmp_path_factory.mktemp("model") / "tiny.pt"))


@pytest.fixture(scope="module")
def gtp(model):
    session = GtpSession(model)
    yield session
    assert session.close() == 0


@pytest.fixture
def g(gtp):
    """The shared session on a fresh 9x9 board with komi 7.5 and no time limits."""
    for command in ("boardsize 9", "clear_board", "komi 7.5", "kgs-rules chinese", "kgs-time_settings none"):
        gtp.ok(command)
    return gtp


def stones(g) -> tuple[str, str]:
    return g.ok("list_stones black"), g.ok("list_stones white")


def state(g) -> tuple:
    """Everything a failed command must leave alone."""
    return stones(g), g.ok("showboard"), g.ok("printsgf")


# ----------------------------------------------------------------- framing
def test_required_commands_and_identity(g):
    assert g.ok("protocol_version") == "2"
    assert g.ok("name") == "goengine"
    version = g.ok("version")
    assert int(version.split(".")[1]) >= 15  # Lizzie 0.7.4 reads this as a Leela Zero minor version
    listed = g.ok("list_commands").split("\n")
    for command in REQUIRED + EXTRA:
        assert command in listed
        assert g.ok(f"known_command {command}") == "true"
    assert g.ok("known_command no_such_thing") == "false"
    assert g.ok("known_command PLAY") == "false"  # command names are case-sensitive


def test_ids_echoed_if_and_only_if_sent(g):
    g.send("17 name\nname\n0 protocol_version\n99 no_such_command\nno_such_command\n")
    assert g.response() == (True, "17", "goengine")
    assert g.response() == (True, None, "goengine")
    assert g.response() == (True, "0", "2")
    assert g.response() == (False, "99", "unknown command")
    assert g.response() == (False, None, "unknown command")


def test_raw_bytes_of_responses(g):
    g.send("3 boardsize 9\n")
    assert g.raw_line() == "=3" and g.raw_line() == ""
    g.send("4 boardsize 0\n")
    assert g.raw_line() == "?4 unacceptable size" and g.raw_line() == ""


def test_preprocessing_comments_cr_tabs_control_characters(g):
    g.send("# a whole comment line\n\n   \n\t\n5\tplay\tb\td4 # trailing comment\r\n6 pl\x01ay w\x7f E5\r\n"
           "7 list_stones\tBLACK\n")
    assert g.response() == (True, "5", "")
    assert g.response() == (True, "6", "")
    assert g.response() == (True, "7", "D4")
    assert g.ok("list_stones w") == "E5"


def test_pipelined_commands_answer_in_order(g):
    lines = [f"{i} play {'b' if i % 2 else 'w'} {v}" for i, v in enumerate(["a1", "b2", "c3", "d4", "e5"], 1)]
    g.send("\n".join(lines + ["6 genmove b", "7 list_stones b", "8 name"]) + "\n")
    answers = [g.response() for _ in range(8)]
    assert [a[1] for a in answers] == [str(i) for i in range(1, 9)]
    assert all(a[0] for a in answers)
    assert answers[7][2] == "goengine"


def test_colours_and_vertices_are_case_insensitive(g):
    for color, vertex in (("B", "d4"), ("white", "E5"), ("BLACK", "c3"), ("w", "j9"), ("Black", "A1")):
        g.ok(f"play {color} {vertex}")
    assert g.ok("list_stones b") == "A1 C3 D4"
    assert g.ok("list_stones WHITE") == "E5 J9"
    g.fail("play b i5")  # columns skip I


def test_big_boards_use_columns_beyond_t(g):
    g.ok("boardsize 25")
    g.ok("play b Z25")
    g.ok("play w U1")
    assert g.ok("list_stones b") == "Z25"
    move = g.ok("genmove b")
    assert move[0] in "ABCDEFGHJKLMNOPQRSTUVWXYZ" or move in ("pass", "resign")
    g.fail("boardsize 26")


# ----------------------------------------------------------------- errors leave the state alone
@pytest.mark.parametrize("command, message", [
    ("no_such_command", "unknown command"),
    ("boardsize 1", "unacceptable size"),
    ("boardsize 26", "unacceptable size"),
    ("boardsize x", "syntax error"),
    ("boardsize", "syntax error"),
    ("komi seven", "syntax error"),
    ("komi nan", "syntax error"),
    ("play b d4", "illegal move"),  # occupied
    ("play w a1", "illegal move"),  # suicide
    ("play b z9", "syntax error"),
    ("play purple c3", "syntax error"),
    ("play b", "syntax error"),
    ("genmove red", "syntax error"),
    ("undo 4", "cannot undo"),
    ("undo x", "syntax error"),
    ("fixed_handicap 4", "board not empty"),
    ("place_free_handicap 3", "board not empty"),
    ("set_free_handicap c3 d5", "board not empty"),
    ("loadsgf /no/such/file.sgf", "cannot load file"),
    ("final_status_list maybe", "syntax error"),
    ("time_settings 10 x 1", "syntax error"),
    ("time_left b -5 0", "syntax error"),
    ("kgs-time_settings canadian 10 5", "syntax error"),
    ("kgs-time_settings sudden", "syntax error"),
    ("kgs-rules ing", "unknown rules (use chinese, aga, japanese or new_zealand)"),
    ("lz-analyze b 10 bogus 1", "syntax error"),
    ("list_stones x", "syntax error"),
])
def test_failed_command_changes_nothing(g, command, message):
    for setup in ("play b d4", "play b b1", "play b a2"):
        g.ok(setup)
    before = state(g)
    assert g.fail(command) == message
    assert state(g) == before


def test_failed_handicap_on_empty_board(g):
    before = state(g)
    assert g.fail("fixed_handicap 10") == "invalid number of stones"
    assert g.fail("fixed_handicap 1") == "invalid number of stones"
    assert g.fail("place_free_handicap 81") == "invalid number of stones"
    assert g.fail("set_free_handicap d4") == "bad vertex list"
    assert g.fail("set_free_handicap d4 d4") == "bad vertex list"
    assert g.fail("set_free_handicap d4 z4") == "bad vertex list"
    assert g.fail("set_free_handicap d4 pass") == "bad vertex list"
    assert state(g) == before


def test_ko_recapture_is_illegal(g):
    for move in ("b c5", "w e6", "b d6", "w e4", "b d4", "w f5", "b e5", "w d5"):
        g.ok(f"play {move}")
    assert "E5" not in g.ok("list_stones b")  # white d5 took e5
    before = state(g)
    assert g.fail("play b e5") == "illegal move"  # the immediate recapture of the ko
    assert state(g) == before


# ----------------------------------------------------------------- commands
def test_genmove_plays_a_legal_move_for_the_colour_asked(g):
    g.ok("play b e5")
    move = g.ok("genmove b")  # the same colour twice is allowed
    assert move not in ("resign",)
    if move != "pass":
        assert move in g.ok("list_stones b").split()
    white = g.ok("genmove W")
    if white != "pass":
        assert white in g.ok("list_stones white").split()


def test_undo_and_undo_n(g):
    for move in ("b c3", "w d4", "b e5"):
        g.ok(f"play {move}")
    g.ok("undo")
    assert stones(g) == ("C3", "D4")
    g.ok("undo 2")
    assert stones(g) == ("", "")
    assert g.fail("undo") == "cannot undo"


def test_handicap_placement(g):
    g.ok("boardsize 19")
    assert set(g.ok("fixed_handicap 4").split()) == {"D4", "Q16", "D16", "Q4"}
    assert g.ok("list_stones b") == "D4 Q4 D16 Q16"
    move = g.ok("genmove w")
    assert move == "pass" or move in g.ok("list_stones w").split()
    g.ok("clear_board")
    assert len(g.ok("place_free_handicap 5").split()) == 5
    g.ok("clear_board")
    assert g.ok("set_free_handicap c3 q16 K10") == ""
    assert g.ok("list_stones b") == "C3 K10 Q16"
    assert g.fail("undo") == "cannot undo"  # handicap stones are not moves


def test_reg_genmove_is_deterministic_and_plays_nothing(g):
    g.ok("play b e5")
    before = state(g)
    first = g.ok("reg_genmove w")
    assert all(g.ok("reg_genmove w") == first for _ in range(3))
    assert state(g) == before
    assert g.ok("genmove w") == first


def test_time_commands(g):
    for command in ("time_settings 300 30 5", "time_left b 120 0", "time_left w 25 3", "time_settings 0 1 0",
                    "kgs-time_settings none", "kgs-time_settings absolute 600", "kgs-time_settings canadian 60 30 10",
                    "kgs-time_settings byoyomi 30 10 3", "time_left b 9 2"):
        assert g.ok(command) == ""
    g.ok("kgs-time_settings absolute 1")
    g.ok("time_left b 0.5 0")
    assert g.ok("genmove b")  # answers at once with almost no time left


def test_rules_and_showboard(g):
    for rules in ("chinese", "aga", "japanese", "new_zealand"):
        g.ok(f"kgs-rules {rules}")
    g.ok("play b c3")
    board = g.ok("showboard")
    assert board.startswith("   A B C D E F G H J") and "X" in board


def test_printsgf_round_trip(g, tmp_path):
    g.ok("komi 6.5")
    for move in ("b c3", "w d4", "b pass", "w e5"):
        g.ok(f"play {move}")
    text = g.ok("printsgf")
    games, errors = parse_sgf(text)
    assert not errors and games[0].size == 9 and games[0].komi == 6.5
    assert [m for _, m in games[0].moves] == [20, 30, 81, 40]
    path = tmp_path / "out.sgf"
    assert g.ok(f"printsgf {path}") == ""
    assert parse_sgf(path.read_bytes())[0][0].moves == games[0].moves


SGF = b"(;GM[1]FF[4]SZ[9]KM[5.5]AB[cc][gg]AW[cg];W[ee];B[ec];W[ge];B[gc]C[four])"


def test_loadsgf_whole_game_and_before_move_n(g, tmp_path):
    path = tmp_path / "game.sgf"
    path.write_bytes(SGF)
    g.ok("boardsize 13")
    assert g.ok(f"loadsgf {path}") == ""
    assert stones(g) == ("G3 C7 E7 G7", "C3 E5 G5")
    assert "KM[5.5]" in g.ok("printsgf") and "SZ[9]" in g.ok("printsgf")
    g.ok(f"loadsgf {path} 3")  # the position before move 3: setup, W e5, B e7
    assert stones(g) == ("G3 C7 E7", "C3 E5")
    move = g.ok("genmove w")  # white's turn, as in the file
    assert move == "pass" or move in g.ok("list_stones w").split()
    g.ok(f"loadsgf {path} 1")
    assert stones(g) == ("G3 C7", "C3")


@pytest.mark.parametrize("name", ["komi_650.sgf", "pass_tt.sgf", "pass_empty.sgf", "fox_handicap_node2.sgf",
                                  "handicap_pl_white.sgf", "small_13x13.sgf", "double_utf8_name.sgf",
                                  "collection.sgf"])
def test_loadsgf_real_world_files(g, name):
    import os
    path = os.path.join(os.path.dirname(__file__), "fixtures", name)
    g.ok(f"loadsgf {path}")
    assert g.ok("genmove b") and g.ok("final_score")


@pytest.mark.parametrize("content", [b"", b"(;GM[1]SZ[9];B[ee];W[ee])", b"(;SZ[99])", b"not sgf at all",
                                     b"(;GM[1]SZ[9];B[ee]", b"\xff\xfe\x00garbage"])
def test_loadsgf_broken_files_fail_cleanly(g, tmp_path, content):
    path = tmp_path / "broken.sgf"
    path.write_bytes(content)
    g.ok("play b c3")
    before = state(g)
    g.send(f"loadsgf {path}\n")
    result = g.response()
    if result[0]:  # a file the readers can repair is fine, but it must have been loaded
        assert g.ok("name") == "goengine"
    else:
        assert result[2] == "cannot load file"
        assert state(g) == before


# A GNU Go self-play game (level 1, Chinese rules): GNU Go scores it W+6.5 with the white stone at J8 dead.
FINISHED = (b"(;GM[1]FF[4]SZ[9]KM[7.5];B[ee];W[cf];B[eg];W[cc];B[gc];W[gg];B[ch];W[de];B[ed];W[eb];B[fb];W[ge];"
            b"B[db];W[cb];B[ec];W[ef];B[ff];W[df];B[gf];W[hf];B[fg];W[gh];B[gd];W[he];B[fe];W[ib];B[bg];W[bf];"
            b"B[hb];W[ag];B[ic];W[ah];B[ca];W[cg];B[bb];W[dh];B[eh];W[bc];B[dg];W[bh];B[di];W[ab];B[ba];W[fh];"
            b"B[dd];W[cd];B[hd];W[fi];B[ie];W[ig];B[ei];W[bi];B[ci];W[dc];B[da];W[hh];B[id];W[if];B[ea];W[ac];"
            b"B[aa];W[tt];B[tt])")


def test_final_score_and_status_of_a_finished_game(g, tmp_path):
    path = tmp_path / "finished.sgf"
    path.write_bytes(FINISHED)
    g.ok(f"loadsgf {path}")
    assert g.ok("final_score") == "W+6.5"
    assert g.ok("final_status_list dead") == "J8"
    alive = g.ok("final_status_list alive").split()
    assert "E5" in alive and "C6" in alive and "J8" not in alive
    assert g.ok("final_status_list seki") == ""
    assert g.ok("genmove w") == "pass"  # black passed, white is ahead: the game ends


def test_genmove_cleanup_captures_dead_stones(g, tmp_path):
    path = tmp_path / "finished.sgf"
    path.write_bytes(FINISHED)
    g.ok(f"loadsgf {path}")
    for _ in range(6):  # black takes J8 off the board before it passes
        if "J8" not in g.ok("list_stones w"):
            break
        assert g.ok("kgs-genmove_cleanup b") != "pass"
        g.ok("play w pass")
    assert "J8" not in g.ok("list_stones w")


def test_quit_and_end_of_input(model):
    session = GtpSession(model)
    session.send("1 name\n2 quit\n3 name\n")
    assert session.response() == (True, "1", "goengine")
    assert session.response() == (True, "2", "")
    assert session.raw_line() is None  # nothing after quit
    assert session.proc.wait(30) == 0
    session.stderr.close()
    eof = GtpSession(model)
    eof.send("name\n")
    eof.proc.stdin.close()
    assert eof.response() == (True, None, "goengine")
    assert eof.proc.wait(30) == 0
    eof.stderr.close()


def test_logging_goes_to_stderr_only(model, tmp_path):
    log = tmp_path / "err.log"
    session = GtpSession(model, "--verbose", stderr_path=str(log))
    session.send("boardsize 9\nplay b c3\ngenmove w\nbogus\nquit\n")
    out = []
    while (line := session.raw_line()) is not None:
        out.append(line)
    session.close()
    heads = [line for line in out if line]
    assert all(line[0] in "=?" for line in heads)
    assert "<< genmove w" in log.read_text()
