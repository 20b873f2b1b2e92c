"""Task 3a, bidirectional tagging: for each move, will the stone it places be captured later? (many-to-many)

Three inputs, two kinds of network. ``board`` (the default): four planes after every move (Black stones, White
stones, the stone placed, the stones it removed) read by a board-shaped recurrent cell (``models.BoardTagger``),
whose logits are read at the move's point. A backward cell then sees its own point's stone removed later: the
answer is in the input, and the task checks that the bidirectional model reads the future. ``board-stones``: the
same without the plane of removed stones; the answer still reaches a backward cell, as its point turning empty
in the stone planes. ``flat``: the move token plus three facts after it (mover is Black,
liberties of the new stone's group, stones it captured) read by an ordinary RNN (``models.SequenceTagger``).
A one-directional model must guess from the past; a bidirectional one also reads the moves that follow. Elman,
LSTM and GRU are trained both ways and scored by F1 of the "captured later" class on every stone-placing move of
the held-out games, with a 95% interval resampled by game.
"""
from __future__ import annotations

import sys

import numpy as np
import torch
from torch import nn

from goengine.board import BLACK, WHITE
from goengine.dataset import DataFilter
from goengine.game import Game, positions_after

from .data import iter_batches, read_split
from .encoding import MoveVocab, pad_batch
from .metrics import binary_f1, game_interval
from .models import BoardTagger, SequenceTagger
from .training import fit

N_FEATURES = 3
N_PLANES = 4
INPUTS = ("board", "board-stones", "flat")


def capture_tags(game: Game) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """(move tokens, features ``(T, 3)``, tags ``(T,)``, stones after every move ``(T, size²)``): tag 1 when the
    stone placed is captured later, -1 for a pass (not scored). ``ValueError`` for a game without moves or with
    an illegal move."""
    if not game.moves:
        raise ValueError(f"{game.source or 'game'}: no moves")
    t = len(game.moves)
    tags = np.zeros(t, dtype=np.int64)
    feats = np.zeros((t, N_FEATURES), dtype=np.float32)
    boards = np.zeros((t, game.size * game.size), dtype=np.int8)
    placed_by = {}
    for i, (board, _, _) in enumerate(positions_after(game)):
        _after(board, i, game, placed_by, tags, feats)
        boards[i] = np.frombuffer(bytes(board.stones), dtype=np.int8)
    return MoveVocab(game.size).encode(p for _, p in game.moves), feats, tags, boards


def board_planes(boards: np.ndarray, points: np.ndarray, size: int) -> np.ndarray:
    """``(T, 4, size, size)`` after each move: Black stones, White stones, the stone placed (none for a pass:
    ``points`` < 0), the stones it removed."""
    t = len(boards)
    before = np.vstack([np.zeros((1, boards.shape[1]), boards.dtype), boards[:-1]])
    planes = np.zeros((t, N_PLANES, boards.shape[1]), np.float32)
    planes[:, 0] = boards == BLACK
    planes[:, 1] = boards == WHITE
    placed = points >= 0
    planes[np.flatnonzero(placed), 2, points[placed]] = 1
    planes[:, 3] = (before != 0) & (boards == 0)
    return planes.reshape(t, N_PLANES, size, size)


def planes_of(inputs: str) -> int:
    """Planes a board input gives: all four, or without the removed stones for ``board-stones``."""
    return N_PLANES - 1 if inputs == "board-stones" else N_PLANES


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
            tokens, feats, tags, boards = capture_tags(game)
        except ValueError:
            continue
        out.append({"tokens": tokens[:max_len], "features": feats[:max_len], "tags": tags[:max_len],
                    "boards": boards[:max_len], "size": game.size})
    return out


def collate(batch: list[dict], inputs: str = "board") -> tuple[tuple, torch.Tensor]:
    """(the model's inputs, tags ``(B, T)`` with -1 on passes and padding) for ``board`` or ``flat`` input."""
    tokens, lengths = pad_batch([e["tokens"] for e in batch])
    tags = torch.full(tokens.shape, -1, dtype=torch.long)
    for i, e in enumerate(batch):
        tags[i, :len(e["tokens"])] = torch.from_numpy(e["tags"])
    if inputs == "flat":
        feats = torch.zeros(len(batch), tokens.shape[1], N_FEATURES)
        for i, e in enumerate(batch):
            feats[i, :len(e["tokens"])] = torch.from_numpy(e["features"])
        return (tokens, lengths, feats), tags
    size = batch[0]["size"]
    points = tokens - MoveVocab.offset
    points[(points < 0) | (points >= size * size)] = -1  # padding and passes
    planes = torch.zeros(len(batch), tokens.shape[1], planes_of(inputs), size, size)
    for i, e in enumerate(batch):
        n = len(e["tokens"])
        planes[i, :n] = torch.from_numpy(board_planes(e["boards"], points[i, :n].numpy(), size)[:, :planes_of(inputs)])
    return (planes, lengths, points), tags


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    inputs, tags = batch
    logits = model(*inputs)[..., 0]
    mask = tags >= 0
    return nn.functional.binary_cross_entropy_with_logits(logits[mask], tags[mask].float())


@torch.no_grad()
def predictions(model: nn.Module, examples: list[dict], inputs: str = "board",
                with_games: bool = False) -> tuple[np.ndarray, ...]:
    """(tags, probabilities) over every scored move of ``examples``; with ``with_games`` also the index of each
    move's game in ``examples``."""
    ys, ps, gs = [], [], []
    for start, batch in zip(range(0, len(examples), 32), iter_batches(examples, 32)):
        x, tags = collate(batch, inputs)
        probs = torch.sigmoid(model(*x)[..., 0])
        mask = tags >= 0
        ys.append(tags[mask].numpy())
        ps.append(probs[mask].numpy())
        gs.append(start + torch.nonzero(mask)[:, 0].numpy())
    out = np.concatenate(ys), np.concatenate(ps)
    return out + (np.concatenate(gs),) if with_games else out


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold with the highest F1 on (validation) data."""
    return max(np.arange(0.1, 0.9, 0.05), key=lambda t: binary_f1(y, p > t)[2])


def make_model(inputs: str, kind: str, bidirectional: bool, hidden: int, size: int) -> nn.Module:
    """The network for ``inputs``: a board-shaped cell with ``hidden`` channels, or a flat RNN of ``hidden`` units."""
    if inputs != "flat":
        return BoardTagger(planes_of(inputs), 1, hidden=hidden, kind=kind, bidirectional=bidirectional)
    return SequenceTagger(len(MoveVocab(size)), 1, embed=48, hidden=hidden, features=N_FEATURES, kind=kind,
                          bidirectional=bidirectional)


def train_and_score(paths: list[str], *, every: int = 30, kinds=("elman", "lstm", "gru"), epochs: int = 3,
                    inputs: str = "board", hidden: int | None = None, size: int = 19, progress: bool = True,
                    seed: int = 0) -> dict:
    """Train each kind one-directional and bidirectional; F1 on the test games at the threshold chosen on valid,
    beside the F1 of calling every stone captured.

    ``hidden``: units of the board-shaped cell at each point (8 by default) or of the flat RNN (96). The board
    models take small batches (4 games, learning rate 0.01): every game gives 361 sequences, and what they must
    learn (hold a fact about a point for many moves) shows only after a few hundred steps."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}")
    board = inputs != "flat"
    hidden = hidden or (8 if board else 96)
    batch_size, lr = (4, 1e-2) if board else (32, 3e-3)
    games, _ = read_split(paths, DataFilter(size=size), every=every)
    parts = {k: prepare(v) for k, v in games.items()}
    if not parts["train"]:
        raise ValueError("no usable games to train on")
    results = {"games": {k: len(v) for k, v in parts.items()}, "inputs": inputs, "hidden": hidden,
               "batch_size": batch_size, "learning_rate": lr, "epochs": epochs}
    for kind in kinds:
        for bidirectional in (False, True):
            torch.manual_seed(seed)
            model = make_model(inputs, kind, bidirectional, hidden, size)
            fit(model, lambda e: (collate(b, inputs) for b in iter_batches(parts["train"], batch_size, seed=e)),
                loss_fn, epochs=epochs, lr=lr, clip=1.0, desc=f"{kind} bi={bidirectional}", progress=progress)
            threshold = best_threshold(*predictions(model, parts["val"], inputs))
            y, p, game = predictions(model, parts["test"], inputs, with_games=True)
            precision, recall, f1 = binary_f1(y, p > threshold)
            name = f"{'bi-' if bidirectional else ''}{kind}"
            results[name] = {"f1": f1, "f1_ci95": game_interval(lambda j: binary_f1(y[j], p[j] > threshold)[2], game),
                             "precision": precision, "recall": recall, "threshold": float(threshold),
                             "positive_share": float(y.mean())}
            print(name, results[name], file=sys.stderr, flush=True)
    results["every_stone_captured"] = {"f1": binary_f1(y, np.ones(len(y), bool))[2],
                                       "f1_ci95": game_interval(lambda j: binary_f1(y[j], y[j] >= 0)[2], game)}
    return results
