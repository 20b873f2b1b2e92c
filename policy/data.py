"""From SGF archives to training examples: pack games read through ``goengine.dataset``, and sample batches.

A *pack* holds whole games as move sequences (``.npz``, zlib-compressed), about 260 bytes a game: positions are
replayed to feature planes on the fly, so 200,000 games fit in well under 60 MB. Games are filtered,
de-duplicated by main line and split by game (``goengine.dataset.split_of`` of the main-line key), never by
position, so the copies of one main line land in one split only. Each pack also stores the main-line keys of its
games, to find the games two packs share (``overlap``).

Batches are a pure function of (seed, step): ``BatchSampler.batch(step)`` always returns the same examples,
which makes a resumed run continue exactly where an interrupted one stopped, with any number of loader workers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from goengine.atomic import atomic_write
from goengine.board import BLACK
from goengine.dataset import (SPLITS, WHITE_FLAG, DataFilter, UniqueReader, count_in, decode_moves, encode_moves,
                              key_of_codes, main_line_key, split_of)
from goengine.features import DEFAULT_FEATURES, FeatureSet
from goengine.game import Game, Result
from goengine.ownership import OwnershipLabels
from goengine.symmetry import move_permutation, transform_planes

__all__ = ["SPLITS", "WHITE_FLAG", "DataFilter", "PackedGames", "build_packs", "overlap", "BatchSampler",
           "fixed_examples", "decisive_winner", "value_target"]

PACK_FILTER = DataFilter(min_moves=40, allow_handicap=False)  # ``build_packs``' filter when none is given


def decisive_winner(result: Result) -> int:
    """BLACK or WHITE for a game decided on the board (by score or resignation), else 0 (no value target)."""
    return (result.winner or 0) if result.reason in ("score", "resign") else 0


@dataclass
class PackedGames:
    """Games as flat arrays: ``moves`` (uint16 codes, ``goengine.dataset.encode_moves``), ``offsets`` (G+1),
    results, komi and the games' main-line keys (``keys``; None for packs written before keys were stored)."""
    size: int
    moves: np.ndarray
    offsets: np.ndarray
    winner: np.ndarray  # int8: 1 Black, 2 White, 0 none / draw
    komi: np.ndarray  # float32, NaN when unknown
    summary: dict = field(default_factory=dict)
    keys: np.ndarray | None = None  # uint64 main-line keys

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def num_positions(self) -> int:
        return int(self.offsets[-1])

    def game_moves(self, i: int) -> list[tuple[int, int]]:
        return decode_moves(self.moves[self.offsets[i]:self.offsets[i + 1]])

    def game(self, i: int) -> Game:
        g = Game(size=self.size, moves=self.game_moves(i))
        winner = int(self.winner[i])
        if winner:  # packs keep the winners of games decided by score or resignation
            g.info.result = Result("B+" if winner == BLACK else "W+", winner, None, "score")
        k = float(self.komi[i])
        g.komi = None if np.isnan(k) else k
        return g

    def main_line_keys(self) -> np.ndarray:
        """The main-line key of every game: stored in the pack, or for an older pack computed from its moves
        (exact for the games without setup stones, which is all of a pack made without ``--allow-handicap``)."""
        if self.keys is not None:
            return self.keys
        return np.array([key_of_codes(self.size, self.moves[self.offsets[i]:self.offsets[i + 1]])
                         for i in range(len(self))], dtype=np.uint64)

    @classmethod
    def from_games(cls, games: list[Game], size: int, summary: dict | None = None) -> "PackedGames":
        lengths = np.array([len(g.moves) for g in games], dtype=np.int64)
        offsets = np.zeros(len(games) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        moves = np.concatenate([encode_moves(g.moves) for g in games]) if games else np.zeros(0, np.uint16)
        winner = np.array([decisive_winner(g.info.result) for g in games], dtype=np.int8)
        komi = np.array([np.nan if g.komi is None else g.komi for g in games], dtype=np.float32)
        keys = np.array([main_line_key(g) for g in games], dtype=np.uint64)
        return cls(size, moves, offsets, winner, komi, dict(summary or {}), keys)

    def subset(self, index: np.ndarray) -> "PackedGames":
        parts = [self.moves[self.offsets[i]:self.offsets[i + 1]] for i in index]
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        moves = np.concatenate(parts) if parts else np.zeros(0, np.uint16)
        keys = None if self.keys is None else self.keys[index]
        return PackedGames(self.size, moves, offsets, self.winner[index], self.komi[index], dict(self.summary), keys)

    def save(self, path: str | Path) -> None:
        arrays = {"size": np.int64(self.size), "moves": self.moves, "offsets": self.offsets, "winner": self.winner,
                  "komi": self.komi, "keys": self.main_line_keys(),
                  "summary": np.frombuffer(json.dumps(self.summary).encode(), dtype=np.uint8)}
        atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))

    @classmethod
    def load(cls, path: str | Path) -> "PackedGames":
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"pack not found: {path}")
        try:
            with np.load(path) as z:
                return cls(int(z["size"]), z["moves"], z["offsets"], z["winner"], z["komi"],
                           json.loads(bytes(z["summary"]).decode()), z["keys"] if "keys" in z.files else None)
        except (ValueError, KeyError, OSError, EOFError) as exc:
            raise ValueError(f"{path} is not a readable game pack: {exc}") from exc


def overlap(pack: PackedGames, reference: PackedGames) -> int:
    """How many games of ``pack`` have their main line in ``reference`` (a training pack, say)."""
    return count_in(pack.main_line_keys(), reference.main_line_keys())


def build_packs(paths: list[str], out_dir: str | Path, filt: DataFilter | None = None,
                fractions: tuple[float, float, float] = (0.98, 0.01, 0.01), workers: int = 2,
                progress: bool = True, exclude: PackedGames | None = None) -> dict:
    """Read ``paths`` (archives, folders, files) in parallel through ``goengine.dataset.UniqueReader`` (filter,
    legal games only, de-duplication by main line), split by game, and write ``train.npz``, ``val.npz`` and
    ``test.npz`` under ``out_dir``. ``exclude``: a pack whose games are left out (skip reason ``in the training
    pack``). Returns the summary (also in each pack): counts per source, skips by reason, games and positions
    per split."""
    from tqdm import tqdm
    filt = filt or PACK_FILTER
    if filt.size is None:
        raise ValueError("a pack holds games of one board size: set the filter's size")
    reader = UniqueReader(paths, filt, check_legal=True, workers=workers, keep_comments=False,
                          exclude=() if exclude is None else exclude.main_line_keys().tolist(),
                          exclude_reason="in the training pack")
    by_split: dict[str, list[Game]] = {s: [] for s in SPLITS}
    with tqdm(desc="reading", unit=" games", disable=not progress) as bar:
        for game in reader:
            by_split[split_of(main_line_key(game), fractions)].append(game)
            bar.update(1)
    summary = {"sources": reader.sources, "filter": asdict(filt), "fractions": list(fractions),
               "skipped": dict(reader.stats.skipped), "games": {s: len(g) for s, g in by_split.items()},
               "positions": {s: sum(len(x.moves) for x in g) for s, g in by_split.items()}}
    for split, games in by_split.items():
        PackedGames.from_games(games, filt.size, dict(summary, split=split)).save(Path(out_dir) / f"{split}.npz")
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
    replayed to feature planes, each example under one of the 8 symmetries when ``augment``. With ``ownership``
    labels a batch also holds ``ownership`` (per point, +1 where the side to move owns it at the end, -1 where the
    opponent does, 0 neutral) and ``ownership_mask`` (1 for the examples of labelled games); ``labelled_share``
    of each batch's games are then drawn from the labelled games alone (0: all games alike).
    """

    def __init__(self, pack: PackedGames, batch_size: int, seed: int = 0, per_game: int = 2,
                 augment: bool = True, features: FeatureSet = DEFAULT_FEATURES,
                 ownership: OwnershipLabels | None = None, labelled_share: float = 0.0):
        if len(pack) == 0:
            raise ValueError("the training pack holds no games")
        if batch_size % per_game:
            raise ValueError("batch_size must be a multiple of per_game")
        self.pack, self.batch_size, self.seed = pack, batch_size, seed
        self.per_game, self.augment, self.features = per_game, augment, features
        lengths = np.diff(pack.offsets)
        self.weights = lengths / lengths.sum()  # every position equally likely
        self.ownership, self.own_rows = ownership, None
        if ownership is not None:
            if ownership.size != pack.size:
                raise ValueError(f"ownership labels of {ownership.size}x{ownership.size} for a pack of "
                                 f"{pack.size}x{pack.size} games")
            self.own_rows = ownership.rows_for(pack.main_line_keys())
        if not 0 <= labelled_share <= 1 or (labelled_share and ownership is None):
            raise ValueError("labelled_share must be from 0 to 1, and needs ownership labels")
        self.labelled_share, self.labelled = labelled_share, None
        if labelled_share:
            self.labelled = np.flatnonzero(self.own_rows >= 0)
            if not len(self.labelled):
                raise ValueError("no game of the pack has an ownership label")
            self.labelled_weights = lengths[self.labelled] / lengths[self.labelled].sum()

    def batch(self, step: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, step])
        pack, size = self.pack, self.pack.size
        n_games = self.batch_size // self.per_game
        games = rng.choice(len(pack), size=n_games, p=self.weights)
        if self.labelled is not None:
            n_labelled = round(self.labelled_share * n_games)
            games[:n_labelled] = rng.choice(self.labelled, size=n_labelled, p=self.labelled_weights)
        planes = np.zeros((self.batch_size, self.features.num_planes, size, size), dtype=np.float32)
        moves = np.zeros(self.batch_size, dtype=np.int64)
        values = np.zeros(self.batch_size, dtype=np.float32)
        value_mask = np.zeros(self.batch_size, dtype=np.float32)
        labelled = self.own_rows is not None
        owners = np.zeros((self.batch_size, size, size) if labelled else (0, size, size), dtype=np.float32)
        owner_mask = np.zeros(self.batch_size if labelled else 0, dtype=np.float32)
        row = 0
        for g in games.tolist():
            game_moves = pack.game_moves(g)
            picks = sorted(rng.integers(0, len(game_moves), size=self.per_game).tolist())
            first = row
            row = self._fill(pack.game(g), game_moves, picks, int(pack.winner[g]), planes, moves, values,
                             value_mask, row)
            if labelled and self.own_rows[g] >= 0:
                black_view = self.ownership.maps[self.own_rows[g]].reshape(size, size)
                for i in range(first, row):
                    mover = game_moves[picks[i - first]][0]
                    owners[i] = black_view if mover == BLACK else -black_view
                    owner_mask[i] = 1.0
        if self.augment:
            syms = rng.integers(0, 8, size=self.batch_size)
            for i, k in enumerate(syms.tolist()):
                if k:
                    planes[i] = transform_planes(planes[i], k)
                    moves[i] = move_permutation(size, k)[moves[i]]
                    if labelled:
                        owners[i] = transform_planes(owners[i], k)
        batch = {"planes": planes, "moves": moves, "values": values, "value_mask": value_mask}
        if labelled:
            batch.update(ownership=owners.reshape(self.batch_size, -1), ownership_mask=owner_mask)
        return batch

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
