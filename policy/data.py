"""From SGF archives to training examples: filter, de-duplicate, split by game, pack, and sample batches.

A *pack* holds whole games as move sequences (``.npz``, zlib-compressed), about 260 bytes a game: positions are
replayed to feature planes on the fly, so 200,000 games fit in well under 60 MB. Splits are made by game (a
hash of the main line), never by position, and the games of one main line land in one split only.

Batches are a pure function of (seed, step): ``BatchSampler.batch(step)`` always returns the same examples,
which makes a resumed run continue exactly where an interrupted one stopped, with any number of loader workers.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from goengine.archive import GameReader
from goengine.board import BLACK, WHITE
from goengine.features import DEFAULT_FEATURES, FeatureSet
from goengine.game import Game, Result, parse_rank
from goengine.symmetry import move_permutation, transform_planes

WHITE_FLAG = 1 << 15  # high bit of a packed move: played by White
SPLITS = ("train", "val", "test")


def decisive_winner(result: Result) -> int:
    """BLACK or WHITE for a game decided on the board (by score or resignation), else 0 (no value target)."""
    return (result.winner or 0) if result.reason in ("score", "resign") else 0


@dataclass
class DataFilter:
    """Which games to keep. ``None`` switches a criterion off."""
    size: int = 19
    min_moves: int = 40
    min_rank: float | None = None  # both players at least this (9 = 9d, 10+ = pro), where recorded
    allow_handicap: bool = False
    years: tuple[int | None, int | None] = (None, None)  # inclusive date range, where recorded
    exclude_years: tuple[int | None, int | None] | None = None  # e.g. keep a validation period out
    sources: tuple[str, ...] = ()  # keep only games whose source path contains one of these
    exclude_sources: tuple[str, ...] = ()

    def reason_to_skip(self, game: Game) -> str | None:
        if len(game.moves) < self.min_moves:
            return f"fewer than {self.min_moves} moves"
        if not self.allow_handicap and (game.handicap > 1 or game.setup_black or game.setup_white):
            return "handicap or setup stones"
        if self.min_rank is not None:
            for rank in (parse_rank(game.info.black_rank), parse_rank(game.info.white_rank)):
                if rank is not None and rank < self.min_rank:
                    return "rank below minimum"
        year = game.info.year
        lo, hi = self.years
        if (lo is not None or hi is not None) and year is None:
            return "no date"
        if year is not None and ((lo is not None and year < lo) or (hi is not None and year > hi)):
            return "outside date range"
        if self.exclude_years and year is not None:
            elo, ehi = self.exclude_years
            if (elo is None or year >= elo) and (ehi is None or year <= ehi):
                return "in excluded date range"
        if self.sources and not any(s in game.source for s in self.sources):
            return "source not selected"
        if any(s in game.source for s in self.exclude_sources):
            return "source excluded"
        return None


def split_of(key: int, fractions: tuple[float, float, float] = (0.98, 0.01, 0.01)) -> str:
    """Deterministic split of a game by its main-line key."""
    u = (zlib.crc32(key.to_bytes(8, "little", signed=True)) & 0xFFFFFFFF) / 2 ** 32
    if u < fractions[0]:
        return "train"
    return "val" if u < fractions[0] + fractions[1] else "test"


@dataclass
class PackedGames:
    """Games as flat arrays: ``moves`` (uint16, point | WHITE_FLAG), ``offsets`` (G+1), results and komi."""
    size: int
    moves: np.ndarray
    offsets: np.ndarray
    winner: np.ndarray  # int8: 1 Black, 2 White, 0 none / draw
    komi: np.ndarray  # float32, NaN when unknown
    summary: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def num_positions(self) -> int:
        return int(self.offsets[-1])

    def game_moves(self, i: int) -> list[tuple[int, int]]:
        raw = self.moves[self.offsets[i]:self.offsets[i + 1]]
        return [(WHITE if m & WHITE_FLAG else BLACK, int(m & ~WHITE_FLAG & 0xFFFF)) for m in raw.tolist()]

    def game(self, i: int) -> Game:
        g = Game(size=self.size, moves=self.game_moves(i))
        winner = int(self.winner[i])
        if winner:  # packs keep the winners of games decided by score or resignation
            g.info.result = Result("B+" if winner == BLACK else "W+", winner, None, "score")
        k = float(self.komi[i])
        g.komi = None if np.isnan(k) else k
        return g

    @classmethod
    def from_games(cls, games: list[Game], size: int, summary: dict | None = None) -> "PackedGames":
        lengths = np.array([len(g.moves) for g in games], dtype=np.int64)
        offsets = np.zeros(len(games) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        moves = np.fromiter((p | (WHITE_FLAG if c == WHITE else 0) for g in games for c, p in g.moves),
                            dtype=np.uint16, count=int(offsets[-1]))
        winner = np.array([decisive_winner(g.info.result) for g in games], dtype=np.int8)
        komi = np.array([np.nan if g.komi is None else g.komi for g in games], dtype=np.float32)
        return cls(size, moves, offsets, winner, komi, dict(summary or {}))

    def subset(self, index: np.ndarray) -> "PackedGames":
        parts = [self.moves[self.offsets[i]:self.offsets[i + 1]] for i in index]
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        moves = np.concatenate(parts) if parts else np.zeros(0, np.uint16)
        return PackedGames(self.size, moves, offsets, self.winner[index], self.komi[index], dict(self.summary))

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, size=np.int64(self.size), moves=self.moves, offsets=self.offsets,
                            winner=self.winner, komi=self.komi,
                            summary=np.frombuffer(json.dumps(self.summary).encode(), dtype=np.uint8))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "PackedGames":
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"pack not found: {path}")
        try:
            with np.load(path) as z:
                return cls(int(z["size"]), z["moves"], z["offsets"], z["winner"], z["komi"],
                           json.loads(bytes(z["summary"]).decode()))
        except (ValueError, KeyError, OSError, EOFError) as exc:
            raise ValueError(f"{path} is not a readable game pack: {exc}") from exc


def _read_source(args: tuple[str, DataFilter]) -> tuple[str, list[Game], dict]:
    path, filt = args
    reader = GameReader(path, size=filt.size, check_legal=True, accept=filt.reason_to_skip)
    games = []
    for game in reader:
        game.comments = {}
        games.append(game)
    stats = reader.stats
    return path, games, {"files": stats.files, "read": stats.games_read, "kept": stats.games_kept,
                         "skipped": dict(stats.skipped)}


def build_packs(paths: list[str], out_dir: str | Path, filt: DataFilter | None = None,
                fractions: tuple[float, float, float] = (0.98, 0.01, 0.01), workers: int = 2,
                progress: bool = True) -> dict:
    """Read ``paths`` (archives, folders, files) in parallel, filter, de-duplicate by main line, split by game,
    and write ``train.npz``, ``val.npz``, ``test.npz`` under ``out_dir``. Returns the summary (also in each pack).
    """
    from tqdm import tqdm
    filt = filt or DataFilter()
    out_dir = Path(out_dir)
    seen: set[int] = set()
    by_split: dict[str, list[Game]] = {s: [] for s in SPLITS}
    per_source, skipped = {}, Counter()
    ctx = mp.get_context("fork") if workers > 1 else None
    jobs = [(p, filt) for p in paths]
    results = ctx.Pool(workers).imap_unordered(_read_source, jobs) if ctx else map(_read_source, jobs)
    bar = tqdm(total=len(paths), desc="reading", unit="source", disable=not progress)
    for path, games, stats in results:
        dups = 0
        for game in games:
            key = game.main_line_key()
            if key in seen:
                dups += 1
                continue
            seen.add(key)
            by_split[split_of(key, fractions)].append(game)
        stats["duplicates"] = dups
        skipped.update(stats["skipped"])
        skipped["duplicate main line"] += dups
        per_source[path] = stats
        bar.update(1)
        bar.set_postfix(games=sum(len(v) for v in by_split.values()))
    bar.close()
    summary = {"sources": per_source, "filter": asdict(filt), "skipped": dict(skipped),
               "games": {s: len(g) for s, g in by_split.items()},
               "positions": {s: sum(len(x.moves) for x in g) for s, g in by_split.items()}}
    for split, games in by_split.items():
        PackedGames.from_games(games, filt.size, dict(summary, split=split)).save(out_dir / f"{split}.npz")
    return summary


# ------------------------------------------------------------------ sampling examples from a pack
def value_target(winner: int, mover: int) -> float:
    """+1 if the side to move went on to win, -1 if it lost, 0 when there is no decisive result."""
    if winner == 0:
        return 0.0
    return 1.0 if winner == mover else -1.0


class BatchSampler:
    """Random training batches from a pack: ``batch(step)`` depends only on (seed, step).

    Each batch takes ``batch_size // per_game`` random games and ``per_game`` random positions from each,
    replayed to feature planes, each example under one of the 8 symmetries when ``augment``.
    """

    def __init__(self, pack: PackedGames, batch_size: int, seed: int = 0, per_game: int = 2,
                 augment: bool = True, features: FeatureSet = DEFAULT_FEATURES):
        if len(pack) == 0:
            raise ValueError("the training pack holds no games")
        if batch_size % per_game:
            raise ValueError("batch_size must be a multiple of per_game")
        self.pack, self.batch_size, self.seed = pack, batch_size, seed
        self.per_game, self.augment, self.features = per_game, augment, features
        lengths = np.diff(pack.offsets)
        self.weights = lengths / lengths.sum()  # every position equally likely

    def batch(self, step: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, step])
        pack, size = self.pack, self.pack.size
        n_games = self.batch_size // self.per_game
        games = rng.choice(len(pack), size=n_games, p=self.weights)
        planes = np.zeros((self.batch_size, self.features.num_planes, size, size), dtype=np.float32)
        moves = np.zeros(self.batch_size, dtype=np.int64)
        values = np.zeros(self.batch_size, dtype=np.float32)
        value_mask = np.zeros(self.batch_size, dtype=np.float32)
        row = 0
        for g in games.tolist():
            game_moves = pack.game_moves(g)
            picks = sorted(rng.integers(0, len(game_moves), size=self.per_game).tolist())
            row = self._fill(pack.game(g), game_moves, picks, int(pack.winner[g]), planes, moves, values,
                             value_mask, row)
        if self.augment:
            syms = rng.integers(0, 8, size=self.batch_size)
            for i, k in enumerate(syms.tolist()):
                if k:
                    planes[i] = transform_planes(planes[i], k)
                    moves[i] = move_permutation(size, k)[moves[i]]
        return {"planes": planes, "moves": moves, "values": values, "value_mask": value_mask}

    def _fill(self, game: Game, game_moves, picks, winner, planes, moves, values, value_mask, row) -> int:
        board = game.new_board()
        done = 0
        for target in picks:
            for color, point in game_moves[done:target]:
                board.play(point, color)
            done = target
            color, point = game_moves[target]
            board.to_move = color
            self.features.encode(board, planes[row])
            moves[row] = point
            values[row] = value_target(winner, color)
            value_mask[row] = 1.0 if winner else 0.0
            row += 1
        return row


def fixed_examples(pack: PackedGames, max_positions: int, seed: int = 1,
                   features: FeatureSet = DEFAULT_FEATURES) -> dict[str, np.ndarray]:
    """A fixed, unaugmented sample of positions (for validation during training)."""
    sampler = BatchSampler(pack, batch_size=max_positions, seed=seed, per_game=1, augment=False, features=features)
    return sampler.batch(0)
