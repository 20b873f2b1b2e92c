"""SGF text <-> ``Game``, through sgfmill's parser and writer, tolerant of what real servers write.

Reading keeps the main line only. Repairs (each noted in ``Game.notes``): setup stones in a node after the root
(Fox puts handicap stones in node 2), handicap stones missing altogether (``HA[2]`` to ``HA[5]``, no ``AB``,
White moves first: placed on the GTP fixed points), komi written as 650 or 375, passes as ``B[]`` or ``B[tt]``, names encoded
twice as UTF-8, missing KM/RE, text in another encoding than its ``CA`` property (or UTF-8 without one) says. A
collection file whose whole parse fails is split into games and each is tried on its own, so one broken game does not
lose its neighbours.
"""
from __future__ import annotations

import codecs
import os
import re
import stat

from sgfmill import sgf, sgf_grammar

from .board import BLACK, WHITE, Board
from .coords import check_size, from_sgf, to_sgf
from .game import Game, GameInfo, parse_komi, parse_result
from .handicap import fixed_handicap, max_fixed_handicap
from .scoring import result_string


class SgfError(ValueError):
    """An SGF text (or one game inside it) that cannot be used; the message names the source, ``reason`` is the
    skip reason readers count it under."""

    def __init__(self, message: str, reason: str = "unparsable game"):
        super().__init__(message)
        self.reason = reason


class SgfProblem(str):
    """An entry of ``parse_sgf``'s errors: the message, with the skip ``reason`` as an attribute."""
    reason: str

    def __new__(cls, message: str, reason: str = "unparsable game") -> "SgfProblem":
        problem = super().__new__(cls, message)
        problem.reason = reason
        return problem


# Where a game's text is not in the encoding its CA property names (UTF-8 without one), it is in one of these: Chinese
# (GB18030, Big5), Japanese (Shift-JIS as cp932), Korean (EUC-KR as cp949) or Western European (cp1252, which holds
# Latin-1's letters). Detection is chardet's, restricted to them: on short texts such as names an unrestricted guess
# is often a Cyrillic or Central European code page. chardet rather than charset-normalizer: on the 211 reviews of
# the Go Teaching Ladder set with such text they disagree on 71, mostly Latin-1 comments ("don´t", "Möller") that
# charset-normalizer reads as Big5 or cp932.
LEGACY_ENCODINGS = ("utf-8", "gb18030", "big5", "cp932", "cp949", "cp1252")


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decodes(raw: bytes, charset: str) -> bool:
    try:
        raw.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_with_lost_bytes(raw: bytes) -> bool:
    """UTF-8 in which every byte that does not decode sits next to a ``?``: text that went once through cp1252,
    whose five undefined bytes became ``?`` (Fox writes such names and comments). Read as UTF-8, each damaged
    character becomes U+FFFD; an encoding detector reads the whole value as cp1252 mojibake instead."""
    start = 0
    while True:
        try:
            raw[start:].decode("utf-8")
            return True
        except UnicodeDecodeError as exc:
            bad_from, bad_to = start + exc.start, start + exc.end
            if b"?" not in raw[max(0, bad_from - 1):bad_to + 1]:
                return False
            start = bad_to


def text_charsets(values: list[bytes], declared: str | None) -> tuple[str, str | None, str | None]:
    """How to decode one game's text values: (charset, fallback, note).

    ``charset`` is the ``CA`` property's when Python knows it, else UTF-8. Values it does not decode are read with
    ``fallback``: UTF-8 if they are UTF-8 with bytes lost to ``?``, else the encoding chardet finds in all of them
    together (more text makes a surer guess than one name). ``note`` records the repair for ``Game.notes``.
    """
    charset = (_codec(declared) if declared else None) or "utf-8"
    failing = [v for v in values if not _decodes(v, charset)]
    if not failing:
        return charset, None, None
    wrong = ", CA wrong" if declared else ""
    if all(_utf8_with_lost_bytes(v) for v in failing):
        return charset, "utf-8", f"text in UTF-8 with characters lost to '?'{wrong}"
    import chardet  # only here: most files need no detection, and code that reads packs only never loads it
    found = chardet.detect(b"\n".join(failing), include_encodings=LEGACY_ENCODINGS, prefer_superset=True,
                           compat_names=False)["encoding"]
    return charset, found, f"text encoding {found} detected{wrong}"


def decode_text(raw: bytes, charset: str = "utf-8", fallback: str | None = None) -> str:
    """Decode an SGF property value with ``charset``, or ``fallback`` where it fails (see ``text_charsets``);
    repair UTF-8 that was encoded twice (``Ã©`` for ``é``)."""
    try:
        text = raw.decode(charset)
    except UnicodeDecodeError:
        text = raw.decode(fallback or charset, "replace")
    return fix_double_utf8(text)


def fix_double_utf8(text: str) -> str:
    if not any(0x80 <= ord(ch) <= 0xFF for ch in text):
        return text
    try:
        fixed = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return fixed


def _raw_text(node: dict, key: str) -> bytes | None:
    values = node.get(key)
    return sgf_grammar.text_value(values[0]) if values else None


def _text(node: dict, key: str, charsets: tuple[str, str | None]) -> str | None:
    raw = _raw_text(node, key)
    return None if raw is None else decode_text(raw, *charsets).strip()


MAX_FILE_BYTES = 16 * 2**20  # an SGF file read alone (loadsgf) may not be larger
_ROOT_INFO = {"PB": "black", "PW": "white", "BR": "black_rank", "WR": "white_rank", "RU": "rules",
              "DT": "date", "EV": "event", "PC": "place"}
_EXTRA_INFO = ("GN", "RO", "SO", "AN", "TM", "OT", "GC", "US", "AP")
_ROOT_TEXT = ("KM", "RE", "HA", "PL", "C", *_ROOT_INFO, *_EXTRA_INFO)  # the root's text values that are read


def _points(values: list[bytes], size: int) -> list[int]:
    """SGF point list values (with ``aa:cc`` rectangles) -> flat points; passes dropped."""
    out = []
    for v in values:
        text = v.decode("ascii", "replace").strip()
        if ":" in text:
            a, b = text.split(":", 1)
            pa, pb = from_sgf(a, size), from_sgf(b, size)
            r0, r1 = sorted((pa // size, pb // size))
            c0, c1 = sorted((pa % size, pb % size))
            out.extend(r * size + c for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
        else:
            p = from_sgf(text, size)
            if p != size * size:
                out.append(p)
    return out


def game_from_tree(tree, source: str = "") -> Game:
    """Interpret one parsed game tree (sgfmill ``Coarse_game_tree``) as a ``Game``; ``SgfError`` if unusable."""
    nodes = list(sgf_grammar.main_sequence_iter(tree))
    root = nodes[0]
    declared = root["CA"][0].decode("ascii", "replace").strip() if root.get("CA") else ""
    texts = [raw for key in _ROOT_TEXT if (raw := _raw_text(root, key)) is not None]
    texts += [sgf_grammar.text_value(node["C"][0]) for node in nodes[1:] if node.get("C")]
    charset, fallback, note = text_charsets(texts, declared or None)
    charsets = (charset, fallback)
    game = Game(source=source)
    if note:
        game.notes.append(note)
    try:
        size_text = root.get("SZ", [b"19"])[0].decode("ascii").strip()
        sides = {int(side) for side in size_text.split(":")}
        if len(sides) > 1:
            raise SgfError(f"{source}: rectangular board SZ[{size_text}]", "rectangular board")
        game.size = check_size(sides.pop())
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, SgfError):
            raise
        raise SgfError(f"{source}: unsupported board size {root.get('SZ')!r}") from exc
    gm = root.get("GM", [b"1"])[0].strip()
    if gm not in (b"1", b""):
        raise SgfError(f"{source}: not a game of Go (GM[{gm.decode('ascii', 'replace')}])")
    size = game.size

    komi_text = _text(root, "KM", charsets)
    try:
        game.komi, repaired = parse_komi(komi_text)
    except ValueError as exc:
        raise SgfError(f"{source}: {exc}") from exc
    if repaired:
        game.notes.append(f"komi {komi_text} read as {game.komi:g}")
    if komi_text is None:
        game.notes.append("no komi")
    info = GameInfo()
    for key, attr in _ROOT_INFO.items():
        value = _text(root, key, charsets)
        if value is not None:
            setattr(info, attr, value)
    for key in _EXTRA_INFO:
        value = _text(root, key, charsets)
        if value:
            info.extra[key] = value
    info.result = parse_result(_text(root, "RE", charsets))
    if "RE" not in root:
        game.notes.append("no result")
    game.info = info
    try:
        game.handicap = int((_text(root, "HA", charsets) or "0").strip() or 0)
    except ValueError:
        game.handicap = 0
    pl = _text(root, "PL", charsets)
    if pl:
        game.first_player = BLACK if pl.upper().startswith("B") else WHITE

    pass_move = size * size
    try:
        top = 97 + size  # SGF letters a.. for this size
        for index, node in enumerate(nodes):
            if "AB" in node or "AW" in node or "AE" in node:
                if game.moves:
                    raise SgfError(f"{source}: setup stones after move {len(game.moves)}")
                if index > 0:
                    game.notes.append(f"setup stones in node {index + 1}")
                added_black, added_white = set(_points(node.get("AB", []), size)), set(_points(node.get("AW", []), size))
                both = added_black & added_white
                if both:
                    raise SgfError(f"{source}: point {to_sgf(min(both), size)} is set up as both black and white "
                                   f"(AB and AW in node {index + 1})", "setup stones of both colours on a point")
                black = set(game.setup_black) | added_black
                white = set(game.setup_white) | added_white
                for p in _points(node.get("AE", []), size):
                    black.discard(p)
                    white.discard(p)
                game.setup_black, game.setup_white = sorted(black - white), sorted(white)
                if index > 0 and "PL" in node and not game.moves:
                    game.first_player = BLACK if node["PL"][0].upper().startswith(b"B") else WHITE
            for key, color in (("B", BLACK), ("W", WHITE)):
                if key in node:
                    value = node[key][0]
                    if len(value) == 2 and 97 <= value[0] < top and 97 <= value[1] < top:  # plain "pd"
                        game.moves.append((color, (size - 1 - (value[1] - 97)) * size + value[0] - 97))
                        continue
                    raw = value.decode("ascii", "replace").strip()
                    point = from_sgf(raw, size)
                    if raw.lower() == "tt" and size <= 19 and point == pass_move:
                        if "pass written as tt" not in game.notes:
                            game.notes.append("pass written as tt")
                    game.moves.append((color, point))
            comment = _text(node, "C", charsets) if "C" in node else None
            if comment:
                game.comments[len(game.moves)] = comment
    except ValueError as exc:
        if isinstance(exc, SgfError):
            raise
        raise SgfError(f"{source}: {exc}") from exc
    if (2 <= game.handicap <= min(5, max_fixed_handicap(size)) and not game.setup_black
            and not game.setup_white and game.moves and game.moves[0][0] == WHITE):
        # Fox omits the stones of some handicap games (HA[n], no AB, White first): put them on the fixed points.
        # Only up to 5 stones (corners and centre): for 6-9 Fox's side points differ from GTP's.
        game.setup_black = sorted(fixed_handicap(size, game.handicap))
        game.notes.append("handicap stones missing, placed on the fixed points")
    if game.handicap and not game.setup_black and game.moves and all(
            c == BLACK for c, _ in game.moves[:game.handicap]) and game.handicap > 1:
        game.notes.append("handicap stones played as moves")
    if game.setup_black or game.setup_white:
        try:
            Board(size).setup(game.setup_black, game.setup_white)
        except ValueError as exc:  # a setup group without liberties: no position to replay the moves from
            raise SgfError(f"{source}: {exc}", "setup group without liberties") from exc
    return game


def _split_collection(data: bytes) -> list[bytes]:
    """Cut a collection into the texts of its games at each ``(;`` that starts a line (a fallback)."""
    starts = [m.start() for m in re.finditer(rb"(?:^|\n)\s*\(\s*;", data)]
    if not starts:
        return [data]
    starts.append(len(data))
    return [data[a:b] for a, b in zip(starts, starts[1:]) if data[a:b].strip()]


def parse_sgf(data: bytes | str, source: str = "") -> tuple[list[Game], list[str]]:
    """Parse SGF text holding one game or a collection. Return (games, errors), errors naming the source.

    Never raises for bad content: an unusable game becomes one entry in ``errors``.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        trees = sgf_grammar.parse_sgf_collection(data)
        chunks = None
    except ValueError:
        trees, chunks = None, _split_collection(data)
    games, errors = [], []
    if trees is not None:
        many = len(trees) > 1
        for i, tree in enumerate(trees):
            name = f"{source}#{i + 1}" if many else source
            try:
                games.append(game_from_tree(tree, name))
            except (SgfError, ValueError, IndexError) as exc:
                errors.append(_problem(exc, name))
        return games, errors
    many = len(chunks) > 1
    for i, chunk in enumerate(chunks):
        name = f"{source}#{i + 1}" if many else source
        try:
            tree = sgf_grammar.parse_sgf_game(chunk)
            games.append(game_from_tree(tree, name))
        except (SgfError, ValueError, IndexError) as exc:
            errors.append(_problem(exc, name))
    return games, errors


def _problem(exc: Exception, name: str) -> SgfProblem:
    """The error entry for a game of ``name`` that could not be used: message naming the source, skip reason."""
    msg = str(exc)
    return SgfProblem(msg if msg.startswith(name) else f"{name}: {msg or 'unparsable SGF'}",
                      getattr(exc, "reason", "unparsable game"))


def read_file(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``; ``SgfError`` for anything else (a pipe, a directory, a device) or a
    file over ``limit`` bytes. Never blocks: the file is opened non-blocking and checked before it is read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SgfError(f"{path}: cannot read file: {exc.strerror or exc}", "unreadable file") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SgfError(f"{path}: not a regular file", "unreadable file")
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise SgfError(f"{path}: larger than {limit} bytes", "file too large")
    return data


def read_game(path: str) -> Game:
    """Read the first game of an SGF file; ``SgfError`` (naming the file) when it cannot be used."""
    data = read_file(path)
    games, errors = parse_sgf(data, path)
    if not games:
        raise SgfError(errors[0] if errors else f"{path}: no game found")
    return games[0]


def game_to_sgf(game: Game) -> bytes:
    """Write a ``Game`` (setup, moves, komi, result, players, comments) as SGF that sgfmill and GNU Go read."""
    sg = sgf.Sgf_game(size=game.size)
    root = sg.get_root()
    root.set("CA", "UTF-8")
    root.set("AP", ("goengine", "1"))
    if game.komi is not None:
        root.set("KM", float(game.komi))
    if game.handicap:
        root.set("HA", int(game.handicap))
    info = game.info
    for key, attr in (("PB", "black"), ("PW", "white"), ("BR", "black_rank"), ("WR", "white_rank"),
                      ("RU", "rules"), ("DT", "date"), ("EV", "event"), ("PC", "place")):
        value = getattr(info, attr)
        if value:
            root.set(key, value)
    if info.result.raw:
        root.set("RE", info.result.raw)
    size = game.size

    def rc(p: int) -> tuple[int, int]:
        return divmod(p, size)

    if game.setup_black or game.setup_white:
        root.set_setup_stones([rc(p) for p in game.setup_black], [rc(p) for p in game.setup_white])
    if game.first_player:
        root.set("PL", "b" if game.first_player == BLACK else "w")
    if game.comments.get(0):
        root.set("C", game.comments[0])
    node = root
    for i, (color, point) in enumerate(game.moves, start=1):
        node = node.new_child()
        node.set_move("b" if color == BLACK else "w", None if point == size * size else rc(point))
        if game.comments.get(i):
            node.set("C", game.comments[i])
    return sg.serialise(wrap=79)


def set_result(game: Game, margin: float | None = None, winner: int | None = None, reason: str = "score") -> None:
    """Record a result on ``game``: a margin from Black's view, or a winner by resign/time/forfeit."""
    if margin is not None:
        game.info.result = parse_result(result_string(margin))
    elif winner is not None:
        letter = {"resign": "R", "time": "T", "forfeit": "F"}.get(reason, "R")
        game.info.result = parse_result(f"{'B' if winner == BLACK else 'W'}+{letter}")


__all__ = ["SgfError", "parse_sgf", "read_file", "read_game", "game_to_sgf", "game_from_tree", "set_result", "to_sgf"]
