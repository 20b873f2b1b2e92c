"""Analysis output in the formats GUIs parse, and GUI-like sessions (Sabaki, Lizzie) through a subprocess."""
from __future__ import annotations

import re

import pytest

from gtp_session import GtpSession, make_tiny_model

LZ_INFO = re.compile(r"info move ([A-HJ-Z]\d+|pass) visits (\d+) winrate (\d+) prior (\d+) lcb (\d+) order (\d+) "
                     r"pv((?: (?:[A-HJ-Z]\d+|pass))+)$")
KATA_KEYS = ["move", "visits", "utility", "winrate", "prior", "lcb", "utilityLcb", "order"]


@pytest.fixture(scope="module")
def gtp(tmp_path_factory):
    session = GtpSession(make_tiny_model(str(tmp_path_factory.mktemp("model") / "tiny.pt")))
    yield session
    assert session.close() == 0


def lz_moves(line: str) -> list[dict]:
    """Parse an lz-analyze line as Lizzie does: split at `` info ``, key-value pairs, ``pv`` to the end."""
    assert line.startswith("info ")
    moves = []
    for part in line[5:].split(" info "):
        m = LZ_INFO.match("info " + part)
        assert m, f"bad lz info: {part[:120]!r}"
        visits, winrate, prior, lcb = (int(m.group(i)) for i in (2, 3, 4, 5))
        assert 0 <= winrate <= 10000 and 0 <= prior <= 10000 and 0 <= lcb <= winrate and visits >= 1
        moves.append({"move": m.group(1), "order": int(m.group(6)), "pv": m.group(7).split(), "prior": prior})
    assert [m["order"] for m in moves] == list(range(len(moves)))
    assert all(m["pv"][0] == m["move"] for m in moves)
    return moves


def kata_moves(line: str, size: int, ownership: bool) -> list[dict]:
    own = None
    if ownership:
        line, own = line.split(" ownership ")
        values = [float(v) for v in own.split()]
        assert len(values) == size * size and all(-1 <= v <= 1 for v in values)
    moves = []
    for part in line[5:].split(" info "):
        words = part.split()
        pv = words.index("pv")
        fields = dict(zip(words[:pv:2], words[1:pv:2]))
        assert list(fields) == KATA_KEYS
        assert 0 <= float(fields["winrate"]) <= 1 and 0 <= float(fields["prior"]) <= 1
        assert words[pv + 1] == fields["move"]
        moves.append(fields)
    return moves


def start_board(gtp, size: int = 9) -> None:
    for command in (f"boardsize {size}", "clear_board", "komi 7.5", "play b e5", "play w c3"):
        gtp.ok(command)


def test_lz_analyze_streams_until_the_next_command(gtp):
    start_board(gtp)
    gtp.send("21 lz-analyze 5\n")
    assert gtp.raw_line() == "=21"
    lines = [gtp.raw_line() for _ in range(3)]  # several intervals pass with nothing sent
    for line in lines:
        moves = lz_moves(line)
        assert moves and "E5" not in [m["move"] for m in moves] and "C3" not in [m["move"] for m in moves]
    gtp.send("22 name\n")
    while (line := gtp.raw_line()) != "":
        assert line.startswith("info ")
    assert gtp.response() == (True, "22", "goengine")


def test_analysis_agrees_with_genmove(gtp):
    start_board(gtp)
    gtp.send("lz-analyze 1000\nreg_genmove b\n")
    assert gtp.raw_line() == "="
    best = lz_moves(gtp.raw_line())[0]["move"]
    assert gtp.raw_line() == ""
    assert gtp.response() == (True, None, best)


def test_blank_line_ends_analysis(gtp):
    start_board(gtp)
    gtp.send("lz-analyze b interval 1000 maxmoves 3\n")
    assert gtp.raw_line() == "="
    assert len(lz_moves(gtp.raw_line())) == 3
    gtp.send("\n")
    assert gtp.raw_line() == ""
    assert gtp.ok("name") == "goengine"


def test_kata_analyze_keys_and_ownership(gtp):
    start_board(gtp)
    gtp.send("5 kata-analyze W 1000 ownership true\n")
    assert gtp.raw_line() == "=5"
    moves = kata_moves(gtp.raw_line(), 9, ownership=True)
    assert moves
    gtp.send("6 kata-analyze interval 1000 minmoves 12\n")
    assert gtp.raw_line() == ""
    assert gtp.raw_line() == "=6"
    assert len(kata_moves(gtp.raw_line(), 9, ownership=False)) == 12
    gtp.send("7 name\n")
    assert gtp.raw_line() == ""
    assert gtp.response() == (True, "7", "goengine")


def test_genmove_analyze_plays_the_move(gtp):
    start_board(gtp)
    before = gtp.ok("list_stones b").split()
    gtp.send("9 lz-genmove_analyze b 10\n")
    assert gtp.raw_line() == "=9"
    line = gtp.raw_line()
    while line.startswith("info "):
        lz_moves(line)
        line = gtp.raw_line()
    assert line.startswith("play ")
    assert gtp.raw_line() == ""
    move = line.split()[1]
    assert move == "pass" or sorted(before + [move]) == sorted(gtp.ok("list_stones b").split())
    gtp.send("kata-genmove_analyze w\n")
    assert gtp.raw_line() == "="
    assert gtp.raw_line().startswith("info move")
    assert gtp.raw_line().startswith("play ")
    assert gtp.raw_line() == ""


def test_gogui_analyze_commands_all_work(gtp):
    start_board(gtp)
    entries = gtp.ok("gogui-analyze_commands").split("\n")
    kinds = {e.split("/")[0] for e in entries}
    assert "gfx" in kinds and "string" in kinds
    labels = " ".join(entries).lower()
    assert "policy" in labels and "ownership" in labels and "value" in labels
    for entry in entries:
        kind, label, command = entry.split("/", 2)
        text = gtp.ok(command)
        if kind == "gfx":
            assert all(line.split()[0] in ("INFLUENCE", "LABEL", "TEXT") for line in text.split("\n"))
    heat = gtp.ok("goengine-policy_heatmap").split("\n")[0].split()
    assert heat[0] == "INFLUENCE" and all(0 <= float(v) <= 1 for v in heat[2::2])


def test_sabaki_like_session(gtp):
    """Sabaki: pipelined sync with uppercase colours, then analysis interrupted by the next move."""
    gtp.send("".join(f"{i} {c}\n" for i, c in enumerate(
        ["name", "version", "protocol_version", "list_commands", "boardsize 19", "clear_board", "komi 6.5",
         "play B Q16", "play W D4", "play B Q3", "play W D16"], start=1)))
    answers = [gtp.response() for _ in range(11)]
    assert [a[1] for a in answers] == [str(i) for i in range(1, 12)] and all(a[0] for a in answers)
    gtp.send("12 kata-analyze B 50\n")
    assert gtp.raw_line() == "=12"
    kata_moves(gtp.raw_line(), 19, ownership=False)
    gtp.send("13 play B R5\n14 genmove W\n")
    while (line := gtp.raw_line()) != "":
        assert line.startswith("info ")
    assert gtp.response() == (True, "13", "")
    ok, cid, move = gtp.response()
    assert ok and cid == "14" and (move == "pass" or move in gtp.ok("list_stones W").split())
    assert gtp.ok("undo") == ""


def test_lizzie_like_session(gtp):
    """Lizzie 0.7.4: numbered commands, `=N` checks, version check, lz-analyze restarted after each move."""
    gtp.send("1 name\n2 version\n3 boardsize 19\n4 komi 7.5\n5 lz-analyze 10\n")
    assert gtp.response() == (True, "1", "goengine")
    ok, cid, version = gtp.response()
    assert ok and cid == "2" and int(version.split(".")[1]) >= 15  # Lizzie's rule: Leela Zero 0.15 or later
    assert gtp.response()[:2] == (True, "3") and gtp.response()[:2] == (True, "4")
    assert gtp.raw_line() == "=5"
    first = lz_moves(gtp.raw_line())
    assert first[0]["move"] in [m["move"] for m in first]
    for n, move in ((6, "Q16"), (8, "D4")):
        gtp.send(f"{n} play {'B' if n == 6 else 'W'} {move}\n{n + 1} lz-analyze 10\n")
        while (line := gtp.raw_line()) != "":
            assert line.startswith("info ")
        head = gtp.raw_line()
        assert head == f"={n}"  # Lizzie reads the number after '=' as the command it answers
        assert gtp.raw_line() == ""
        assert gtp.raw_line() == f"={n + 1}"
        lz_moves(gtp.raw_line())
    gtp.send("10 name\n")  # Lizzie ends pondering with `name`
    while (line := gtp.raw_line()) != "":
        assert line.startswith("info ")
    assert gtp.response() == (True, "10", "goengine")


def test_search_mode_reports_real_visits(tmp_path):
    """With ``--playouts`` the engine searches: genmove answers, and analysis shows the tree's visits growing."""
    session = GtpSession(make_tiny_model(str(tmp_path / "tiny.pt")), "--playouts", "24")
    start_board(session)
    move = session.ok("genmove b")
    assert re.fullmatch(r"[A-HJ-Z]\d+|pass|resign", move)
    session.send("lz-genmove_analyze w 5\n")
    assert session.raw_line() == "="
    line = session.raw_line()
    visits = []
    while line.startswith("info "):
        visits.append(sum(int(m) for m in re.findall(r"visits (\d+)", line)))
        lz_moves(line)
        line = session.raw_line()
    assert line.startswith("play ") and session.raw_line() == ""
    assert visits and max(visits) >= 20  # the search's own counts, not one visit per candidate
    session.send("lz-analyze b 50\n")  # each line searches 0.5 s more, so the visits grow from line to line
    assert session.raw_line() == "="
    totals = [sum(int(m) for m in re.findall(r"visits (\d+)", session.raw_line())) for _ in range(4)]
    assert totals == sorted(totals) and totals[-1] > totals[0]
    session.send("name\n")
    while session.raw_line() != "":
        pass
    assert session.response() == (True, None, "goengine")
    assert session.close() == 0


def test_the_engine_searches_by_default(tmp_path):
    """No flags (as a GUI starts it): tree search, on the GTP clock when set, else DEFAULT_SECONDS a move."""
    import gtp_server
    from policy.inference import Policy
    from policy.player import PolicyPlayer
    from policy.search_player import MCTSPlayer
    policy = Policy.load(make_tiny_model(str(tmp_path / "tiny.pt")))
    parse = gtp_server.build_parser().parse_args
    default = gtp_server.build_player(parse([]), policy)
    assert isinstance(default, MCTSPlayer) and default.unclocked_seconds == gtp_server.DEFAULT_SECONDS
    assert default.time_per_move is None  # a GTP clock's budget is not capped
    assert isinstance(gtp_server.build_player(parse(["--playouts", "0"]), policy), PolicyPlayer)
    fixed = gtp_server.build_player(parse(["--playouts", "50"]), policy)
    assert fixed.playouts == 50 and fixed.unclocked_seconds is None
    timed = gtp_server.build_player(parse(["--time-per-move", "2"]), policy)
    assert timed.time_per_move == 2 and timed.unclocked_seconds is None
    assert default.mcts.config.c_puct == 1.5 and default.mcts.config.fpu_reduction == 0.25
    tuned = gtp_server.build_player(parse(["--c-puct", "2.5", "--fpu-reduction", "0.1"]), policy)
    assert tuned.mcts.config.c_puct == 2.5 and tuned.mcts.config.fpu_reduction == 0.1
