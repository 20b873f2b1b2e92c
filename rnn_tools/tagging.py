"""Task 3a, bidirectional tagging: for each move, will the stone it places be captured later? (many-to-many)

Input per move: the move token plus three facts after it (mover is Black, liberties of the new stone's group,
stones it captured). A one-directional model must guess from the past; a bidirectional one also reads the moves
that follow. Elman, LSTM and GRU are trained both ways and scored by F1 of the "captured later" class on every
stone-placing move of the held-out games.
"""
from __future__ import annotations

import sys

import numpy as np
import torch
from torch import nn

from goengine.board import BLACK
from goengine.game import Game, positions_after

from .data import by_split, iter_batches, read_unique
from .encoding import MoveVocab, pad_batch
from .metrics import binary_f1
from .models import SequenceTagger
from .training import fit

N_FEATURES = 3


def capture_tags(game: Game) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(move tokens, features ``(T, 3)``, tags ``(T,)``): tag 1 when the stone placed is captured later,
    -1 for a pass (not scored). ``ValueError`` for a game without moves or with an illegal move."""
    if not game.moves:
        raise ValueError(f"{game.source or 'game'}: no moves")
    t = len(game.moves)
    tags = np.zeros(t, dtype=np.int64)
    feats = np.zeros((t, N_FEATURES), dtype=np.float32)
    placed_by = {}
    for i, (board, _, _) in enumerate(positions_after(game)):
        _after(board, i, game, placed_by, tags, feats)
    return MoveVocab(game.size).encode(p for _, p in game.moves), feats, tags


def _after(board, i: int, game: Game, placed_by: dict, tags: np.ndarray, feats: np.ndarray) -> None:
    """Update tags and features once move ``i`` is on ``board``."""
    color, point = game.moves[i]
    feats[i, 0] = color == BLACK
    if point == board.pass_move:
        tags[i] = -1
        return
    gone = [p for p, j in placed_by.items() if board.stones[p] == 0]
    for p in gone:
        tags[placed_by.pop(p)] = 1
    placed_by[point] = i
    feats[i, 1] = min(board.liberties(point), 4) / 4
    feats[i, 2] = min(len(gone), 10) / 10


def prepare(games: list[Game], max_len: int = 250) -> list[dict]:
    out = []
    for game in games:
        try:
            tokens, feats, tags = capture_tags(game)
        except ValueError:
            continue
        out.append({"tokens": tokens[:max_len], "features": feats[:max_len], "tags": tags[:max_len]})
    return out


def collate(batch: list[dict]):
    tokens, lengths = pad_batch([e["tokens"] for e in batch])
    feats = torch.zeros(len(batch), tokens.shape[1], N_FEATURES)
    tags = torch.full(tokens.shape, -1, dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e["tokens"])
        feats[i, :n] = torch.from_numpy(e["features"])
        tags[i, :n] = torch.from_numpy(e["tags"])
    return tokens, lengths, feats, tags


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    tokens, lengths, feats, tags = batch
    logits = model(tokens, lengths, feats)[..., 0]
    mask = tags >= 0
    return nn.functional.binary_cross_entropy_with_logits(logits[mask], tags[mask].float())


@torch.no_grad()
def predictions(model: nn.Module, examples: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(tags, probabilities) over every scored move of ``examples``."""
    ys, ps = [], []
    for batch in iter_batches(examples, 64):
        tokens, lengths, feats, tags = collate(batch)
        probs = torch.sigmoid(model(tokens, lengths, feats)[..., 0])
        mask = tags >= 0
        ys.append(tags[mask].numpy())
        ps.append(probs[mask].numpy())
    return np.concatenate(ys), np.concatenate(ps)


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold with the highest F1 on (validation) data."""
    return max(np.arange(0.1, 0.9, 0.05), key=lambda t: binary_f1(y, p > t)[2])


def train_and_score(paths: list[str], *, every: int = 30, kinds=("elman", "lstm", "gru"), epochs: int = 3,
                    hidden: int = 96, size: int = 19, progress: bool = True, seed: int = 0) -> dict:
    """Train each kind one-directional and bidirectional; F1 on the test games at the threshold chosen on valid."""
    games, _ = read_unique(paths, every=every, size=size)
    parts = {k: prepare(v) for k, v in by_split(games).items()}
    if not parts["train"]:
        raise ValueError("no usable games to train on")
    results = {"games": {k: len(v) for k, v in parts.items()}}
    for kind in kinds:
        for bidirectional in (False, True):
            torch.manual_seed(seed)
            model = SequenceTagger(len(MoveVocab(size)), 1, embed=48, hidden=hidden, features=N_FEATURES, kind=kind,
                                   bidirectional=bidirectional)
            fit(model, lambda e: (collate(b) for b in iter_batches(parts["train"], 32, seed=e)), loss_fn,
                epochs=epochs, lr=3e-3, clip=1.0, desc=f"{kind} bi={bidirectional}", progress=progress)
            threshold = best_threshold(*predictions(model, parts["valid"]))
            y, p = predictions(model, parts["test"])
            precision, recall, f1 = binary_f1(y, p > threshold)
            name = f"{'bi-' if bidirectional else ''}{kind}"
            results[name] = {"f1": f1, "precision": precision, "recall": recall, "threshold": float(threshold),
                             "positive_share": float(y.mean())}
            print(name, results[name], file=sys.stderr, flush=True)
    return results
