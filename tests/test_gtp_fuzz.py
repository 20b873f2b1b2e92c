"""Fuzzing the GTP server: thousands of random and mutated command lines, every command with every wrong arity and
numbers at the limits of every type (with and without tree search), and hundreds of mutated SGF files.

All input is sent at once (pipelined) and the output read to the end: every non-empty line must get exactly one
well-formed response, in order, with its id echoed, and the server must exit normally at the end of input.
"""
from __future__ import annotations

import glob
import os
import random
import re

import pytest

from gtp_server import Engine
from gtp_session import GtpSession, make_tiny_model

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
COMMANDS = ["protocol_version", "name", "version", "known_command", "list_commands", "boardsize", "clear_board",
            "komi", "play", "genmove", "undo", "fixed_handicap", "place_free_handicap", "set_free_handicap",
            "loadsgf", "printsgf", "reg_genmove", "final_score", "final_status_list", "time_settings", "time_left",
            "showboard", "kgs-genmove_cleanup", "kgs-time_settings", "kgs-rules", "list_stones", "lz-analyze",
            "lz-genmove_analyze", "kata-analyze", "kata-genmove_analyze", "gogui-analyze_commands",
            "goengine-policy_heatmap", "goengine-ownership", "goengine-value", "Play", "GENMOVE", "nonsense"]
EXPENSIVE = {"genmove", "reg_genmove", "final_score", "final_status_list", "kgs-genmove_cleanup", "kata-analyze",
             "lz-genmove_analyze", "kata-genmove_analyze", "goengine-ownership"}
WORDS = ["b", "w", "B", "W", "black", "white", "BLACK", "x", "pass", "PASS", "a1", "A1", "d4", "D4", "e5", "j9",
         "J9", "i5", "t19", "z25", "Z25", "A0", "A-1", "aa", "", "0", "1", "2", "3", "5", "7", "9", "13", "19",
         "25", "26", "-1", "99999999999999999999", "6.5", "-7.5", "1e308", "nan", "inf", "alive", "dead", "seki",
         "none", "absolute", "canadian", "byoyomi", "chinese", "japanese", "aga", "new_zealand", "ownership",
         "true", "interval", "maxmoves", "minmoves", "avoid", "allow", "é", "\u00a0", "☃", "%s", "{}", "\\"]
RESPONSE_HEAD = re.compile(r"^([=?])(\d*)(?: (.*))?$")


def random_line(rng: random.Random, sgf_paths: list[str]) -> str:
    name = rng.choice(COMMANDS)
    if name in EXPENSIVE and rng.random() < 0.7:
        name = rng.choice(["play", "name", "undo", "list_stones", "showboard"])
    if name == "boardsize":
        args = [rng.choice(["2", "3", "5", "7", "9", "9", "9", "13", "19", "0", "1", "26", "x", "-3"])]
    elif name == "play":
        args = [rng.choice(["b", "w", "B", "W", "white", "x"]),
                rng.choice(WORDS[:20]) if rng.random() < 0.3 else
                rng.choice("ABCDEFGHJKLMNOPQRSTZ") + str(rng.randint(0, 20))]
    elif name == "loadsgf" and sgf_paths:
        args = [rng.choice(sgf_paths)] + ([str(rng.randint(-1, 300))] if rng.random() < 0.5 else [])
    elif name == "printsgf":
        args = []
    else:
        args = [rng.choice(WORDS) for _ in range(rng.randint(0, 4))]
    line = " ".join([name] + args)
    if rng.random() < 0.3:
        line = f"{rng.randint(0, 10 ** rng.randint(1, 12))} {line}"
    if rng.random() < 0.1:
        line += " # comment " + rng.choice(WORDS)
    if rng.random() < 0.1:
        line = line.replace(" ", "\t")
    if rng.random() < 0.1:
        line += "\r"
    return line


def mutate(data: bytes, rng: random.Random, edits: int) -> bytes:
    """Random byte flips, insertions, deletions and truncation."""
    out = bytearray(data)
    for _ in range(edits):
        kind = rng.random()
        pos = rng.randrange(len(out) + 1)
        if kind < 0.3 and out:
            out[min(pos, len(out) - 1)] = rng.randrange(256)
        elif kind < 0.6:
            out[pos:pos] = bytes([rng.choice([rng.randrange(256), ord("#"), 9, 13, 0, ord(" "), ord("[")])])
        elif kind < 0.9 and out:
            del out[pos:pos + rng.randint(1, 5)]
        else:
            del out[pos:]
    return bytes(out)


def expected_heads(lines: list[bytes]) -> list[str | None]:
    """The id each line's response must echo (None: no id), per the spec's preprocessing; empty lines skipped."""
    heads = []
    for raw in lines:
        text = raw.decode("utf-8", "replace")
        text = "".join(ch for ch in text if ch == "\t" or (ord(ch) >= 32 and ord(ch) != 127))
        text = text.split("#", 1)[0].replace("\t", " ").strip()
        if not text:
            continue
        words = text.split()
        heads.append(words[0] if words[0].isdigit() and words[0].isascii() else None)
    return heads


def responses(output: list[str]) -> list[tuple[bool, str | None, list[str]]]:
    """Split the whole output into responses, checking the framing of each."""
    out, i = [], 0
    while i < len(output):
        m = RESPONSE_HEAD.match(output[i])
        assert m, f"line {i} is not a response head: {output[i][:100]!r}"
        body = [m.group(3) or ""]
        i += 1
        while output[i] != "":
            body.append(output[i])
            i += 1
        i += 1
        out.append((m.group(1) == "=", m.group(2) or None, body))
    return out


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    return make_tiny_model(str(tmp_path_factory.mktemp("model") / "tiny.pt"))


def run_session(model: str, cwd: str, lines: list[bytes], *options: str) -> list[tuple[bool, str | None, list[str]]]:
    session = GtpSession(model, "--resign-threshold", "0", *options, cwd=cwd)
    session.send(b"\n".join(lines) + b"\n")
    session.proc.stdin.close()
    output = []
    while (line := session.raw_line(timeout=120)) is not None:
        output.append(line)
    assert session.close() == 0
    answers = responses(output)
    assert [cid for _, cid, _ in answers] == expected_heads(lines)
    return answers


def drop_quit(lines: list[bytes]) -> list[bytes]:
    """Lines whose command is ``quit`` would end the session early: leave them out."""
    kept = []
    for raw in lines:
        words = raw.decode("utf-8", "replace").split("#", 1)[0].split()
        if words and words[0].isdigit():
            words = words[1:]
        if not (words and "quit" in words[0]):
            kept.append(raw)
    return kept


def test_random_and_mutated_command_lines(model, tmp_path):
    rng = random.Random(20240601)
    lines = [random_line(rng, []).encode("utf-8") for _ in range(2000)]
    corpus = lines[:200] + [b"play b d4", b"10 genmove w", b"lz-analyze 1", b"kata-analyze b 1 ownership true"]
    lines += [mutate(rng.choice(corpus), rng, rng.randint(1, 4)).replace(b"\n", b" ") for _ in range(1500)]
    lines += [bytes(rng.randrange(256) for _ in range(rng.randint(0, 40))).replace(b"\n", b"") for _ in range(300)]
    lines += [b"x" * 100000, b"play " + b"b " * 5000, b"\x00" * 10, "Ｇｅｎｍｏｖｅ b".encode()]
    rng.shuffle(lines)
    answers = run_session(model, str(tmp_path), drop_quit(lines))
    assert len(answers) > 3000
    assert sum(ok for ok, _, _ in answers) > 500  # not everything fails


def test_mutated_sgf_files_for_loadsgf(model, tmp_path):
    rng = random.Random(7)
    seeds = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(FIXTURES, "*.sgf")))]
    paths = []
    for i in range(300):
        path = tmp_path / f"m{i}.sgf"
        path.write_bytes(mutate(rng.choice(seeds), rng, rng.randint(1, 6)))
        paths.append(str(path))
    lines = []
    for path in paths:
        lines.append(f"loadsgf {path}{' ' + str(rng.randint(0, 60)) if rng.random() < 0.5 else ''}".encode())
        lines.append(rng.choice([b"list_stones b", b"showboard", b"play b a1", b"undo", b"printsgf"]))
    lines += [b"genmove b", b"final_score"]
    answers = run_session(model, str(tmp_path), lines)
    loads = answers[0:600:2]
    assert sum(ok for ok, _, _ in loads) > 20  # some mutated files are still readable
    assert all(ok or body == ["cannot load file"] for ok, _, body in loads)


# Numbers at the limits of the types a GTP argument is read as (int, float, vertex, colour), and what is almost one.
EXTREMES = ["0", "-0", "1", "-1", "+5", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807",
            "9223372036854775808", "-9223372036854775809", "99999999999999999999", "9" * 400, "1.5", "-0.0", "1e308",
            "1e309", "-1e309", "5e-324", "1e-400", "3.4028235e38", "nan", "NaN", "-nan", "inf", "-inf", "Infinity",
            "0x1f", "1_000", "１２", "٣", "b", "w", "BLACK", "white", "pass", "resign", "A1", "a1", "T19", "Z25", "A26",
            "T0", "I5", "interval", "maxmoves", "minmoves", "ownership", "true", "avoid", "allow", "rootInfo", "x"]
ANALYSIS = ["lz-analyze", "kata-analyze", "lz-genmove_analyze", "kata-genmove_analyze"]


def extreme_lines(rng: random.Random) -> list[bytes]:
    """Every command (but quit) with 0 to 5 arguments drawn from ``EXTREMES``, under ordinary and extreme ids, with
    analysis commands (extreme intervals and options) between them."""
    commands = [name for name in Engine(None, 9).handlers if name != "quit"]
    lines = []
    for name in commands:
        for arity in range(6):
            for _ in range(3):
                lines.append(" ".join([name] + [rng.choice(EXTREMES) for _ in range(arity)]))
    lines += [f"{cid} name" for cid in ("0", "00", "2147483648", "9" * 400, "-1", "٣", "１")]
    lines += ["boardsize 2", "genmove b", "boardsize 25", "genmove w", "kata-analyze b 1 ownership true",
              "boardsize 7", "clear_board"] + ["genmove b", "genmove w", "kgs-genmove_cleanup b", "reg_genmove w"] * 5
    rng.shuffle(lines)
    for i in range(0, len(lines), 12):  # analysis interleaved, each stopped by the line after it
        words = [rng.choice(ANALYSIS), rng.choice(["b", "w", ""]), rng.choice(["1", "0", "10", "9" * 30])]
        words += [rng.choice(EXTREMES) for _ in range(rng.randint(0, 4))]
        lines.insert(i, " ".join(w for w in words if w))
    return ["boardsize 7".encode()] + [line.encode() for line in lines]


@pytest.mark.parametrize("search", [["--playouts", "0"], ["--playouts", "6"]], ids=["no search", "search"])
def test_every_command_with_every_arity_and_extreme_numbers(model, tmp_path, search):
    lines = extreme_lines(random.Random(14))
    answers = run_session(model, str(tmp_path), lines, *search)
    assert len(answers) == len(lines) > 600
    failures = [body[0] for ok, _, body in answers if not ok]
    assert not [f for f in failures if f.startswith("internal error")]
    assert sum(ok for ok, _, _ in answers) > 100  # not everything fails
    moves = [body[0] for line, (ok, _, body) in zip(lines, answers) if ok and b"genmove" in line.split(b" ")[0]]
    assert len(moves) >= 10  # the engine (with search: the tree) chose moves between the hostile lines
