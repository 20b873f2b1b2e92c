"""Task 1, the outcome curve: after every move, the probability that Black wins (many-to-many, causal).

Input per move: the move token and board features after it (stones, prisoners, a crude area estimate from stone
influence, stones in atari, komi). The model is a one-directional LSTM, so the output after move ``N`` depends
on the first ``N`` moves only. Scoring is at fixed prefix lengths (50, 100, 150, 200 moves, on games longer than
that), never at the final move, where the last mover of a resigned game usually is the winner.
"""
from __future__ import annotations

import os
import pickle
import sys

import numpy as np
import torch
from torch import nn

from goengine.board import BLACK, WHITE
from goengine.game import Game, positions

from .data import by_split, iter_batches, read_unique
from .encoding import MoveVocab, pad_batch
from .metrics import accuracy, roc_auc
from .models import SequenceTagger
from .training import fit, load_model, save_model

PREFIXES = (50, 100, 150, 200)
FEATURES = ("mover is black", "black stones/100", "white stones/100", "black prisoners/20", "white prisoners/20",
            "black area estimate/100", "white area estimate/100", "black stones in atari/10",
            "white stones in atari/10", "komi/10", "komi unknown", "move number/300")
KEPT_REASONS = ("resign", "score")
DEFAULT_KOMI = 6.5


def accept_for_outcome(game: Game) -> str | None:
    """Skip games without a usable winner (draw, Void, ?, time-outs, forfeits) and handicap games."""
    result = game.info.result
    if not result.decisive:
        return f"result {result.reason}"
    if result.reason not in KEPT_REASONS:
        return f"result by {result.reason}"
    if game.handicap > 1 or game.setup_black or game.setup_white:
        return "handicap game"
    return None


def influence_area(stones: np.ndarray, radius: int = 3, threshold: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Crude area per colour for positions ``stones (T, N, N)`` in {0, 1=black, 2=white}.

    Each stone radiates ``1 / (1 + distance)`` within Manhattan ``radius``; an empty point belongs to the side
    whose net influence passes ``threshold``. Returns (black area, white area), each ``(T,)``.
    """
    signed = (stones == BLACK).astype(np.float32) - (stones == WHITE)
    t, n, _ = signed.shape
    padded = np.zeros((t, n + 2 * radius, n + 2 * radius), dtype=np.float32)
    padded[:, radius:radius + n, radius:radius + n] = signed
    infl = np.zeros_like(signed)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            d = abs(dx) + abs(dy)
            if d <= radius:
                infl += padded[:, radius + dy:radius + dy + n, radius + dx:radius + dx + n] / (1 + d)
    empty = stones == 0
    black = (stones == BLACK).sum((1, 2)) + (empty & (infl > threshold)).sum((1, 2))
    white = (stones == WHITE).sum((1, 2)) + (empty & (infl < -threshold)).sum((1, 2))
    return black, white


def game_features(game: Game) -> tuple[list[int], np.ndarray]:
    """Move tokens and the ``(T, len(FEATURES))`` board features after each move. ``ValueError`` if unusable."""
    if not game.moves:
        raise ValueError(f"{game.source or 'game'}: no moves")
    vocab = MoveVocab(game.size)
    t, n = len(game.moves), game.size
    stones = np.zeros((t, n, n), dtype=np.int8)
    feats = np.zeros((t, len(FEATURES)), dtype=np.float32)
    komi = game.komi
    for i, (board, color, point) in enumerate(positions(game)):
        if i:
            _after(board, i - 1, game.moves[i - 1][0], stones, feats)
    _after(board, t - 1, game.moves[-1][0], stones, feats)
    black, white = influence_area(stones)
    feats[:, 5], feats[:, 6] = black / 100, white / 100
    feats[:, 9] = (DEFAULT_KOMI if komi is None else komi) / 10
    feats[:, 10] = komi is None
    feats[:, 11] = np.arange(1, t + 1) / 300
    return vocab.encode(p for _, p in game.moves), feats


def _after(board, i: int, color: int, stones: np.ndarray, feats: np.ndarray) -> None:
    arr = np.frombuffer(bytes(board.stones), dtype=np.int8)
    stones[i] = arr.reshape(board.size, board.size)
    libs = np.asarray(board.liberty_counts())
    feats[i, 0] = color == BLACK
    feats[i, 1], feats[i, 2] = (arr == BLACK).sum() / 100, (arr == WHITE).sum() / 100
    feats[i, 3], feats[i, 4] = board.captures[BLACK] / 20, board.captures[WHITE] / 20
    feats[i, 7] = ((arr == BLACK) & (libs == 1)).sum() / 10
    feats[i, 8] = ((arr == WHITE) & (libs == 1)).sum() / 10


def prepare(games: list[Game], max_len: int | None = None) -> list[dict]:
    """Examples ``{tokens, features, label, length}``; games that cannot be replayed are left out."""
    out = []
    for game in games:
        try:
            tokens, feats = game_features(game)
        except ValueError:
            continue
        if max_len:
            tokens, feats = tokens[:max_len], feats[:max_len]
        label = float(game.info.result.winner == BLACK) if game.info.result.decisive else float("nan")
        out.append({"tokens": tokens, "features": feats, "label": label, "moves": len(game.moves)})
    return out


def collate(examples: list[dict]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    tokens, lengths = pad_batch([e["tokens"] for e in examples])
    feats = torch.zeros(len(examples), tokens.shape[1], len(FEATURES))
    for i, e in enumerate(examples):
        feats[i, :len(e["tokens"])] = torch.from_numpy(e["features"])
    labels = torch.tensor([e["label"] for e in examples], dtype=torch.float32)
    return tokens, lengths, feats, labels


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    """Binary cross-entropy on every real step against the game's final winner."""
    tokens, lengths, feats, labels = batch
    logits = model(tokens, lengths, feats)[..., 0]
    mask = torch.arange(tokens.shape[1])[None, :] < lengths[:, None]
    target = labels[:, None].expand_as(logits)
    losses = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return (losses * mask).sum() / mask.sum()


@torch.no_grad()
def curves(model: nn.Module, examples: list[dict], batch_size: int = 64) -> list[np.ndarray]:
    """P(Black wins) after every move, one array per example."""
    out = []
    for batch in iter_batches(examples, batch_size):
        tokens, lengths, feats, _ = collate(batch)
        probs = torch.sigmoid(model(tokens, lengths, feats)[..., 0])
        out += [probs[i, :int(n)].numpy() for i, n in enumerate(lengths)]
    return out


def capture_rule(example: dict, n: int, black_prior: float) -> float:
    """Baseline: the side that has taken more stones after ``n`` moves wins; ties go to the majority class."""
    diff = example["features"][n - 1, 3] - example["features"][n - 1, 4]
    return 1.0 if diff > 0 else 0.0 if diff < 0 else float(black_prior >= 0.5)


def area_rule(example: dict, n: int) -> float:
    """Baseline: estimated area after ``n`` moves minus komi, Black wins if positive."""
    f = example["features"][n - 1]
    return float((f[5] - f[6]) * 100 - f[9] * 10 > 0)


def score_prefixes(examples: list[dict], probs: list[np.ndarray], black_prior: float) -> dict:
    """Accuracy and AUC of the model and the baselines at each prefix length, on games longer than it."""
    report: dict = {"accuracy_at": {}, "auc_at": {}, "games_at": {}, "baselines": {}}
    base = {"majority": {}, "captures": {}, "area_minus_komi": {}}
    for n in PREFIXES:
        idx = [i for i, e in enumerate(examples) if e["moves"] > n and len(e["tokens"]) >= n]
        key = str(n)
        report["games_at"][key] = len(idx)
        if not idx:
            continue
        y = np.array([examples[i]["label"] for i in idx])
        p = np.array([probs[i][n - 1] for i in idx])
        report["accuracy_at"][key] = accuracy(y, p > 0.5)
        auc = roc_auc(y, p)
        report["auc_at"][key] = None if np.isnan(auc) else auc  # one class only: no AUC (and valid JSON)
        base["majority"][key] = accuracy(y, np.full(len(y), float(black_prior >= 0.5)))
        base["captures"][key] = accuracy(y, [capture_rule(examples[i], n, black_prior) for i in idx])
        base["area_minus_komi"][key] = accuracy(y, [area_rule(examples[i], n) for i in idx])
    report["baselines"] = base
    return report


def load_examples(paths: list[str], every: int, limit: int | None, size: int, max_len: int,
                  cache: str | None = None) -> tuple[dict[str, list[dict]], str]:
    """Examples per split and the reader's summary, from ``cache`` (a pickle) when it exists, else read and kept."""
    if cache and os.path.exists(cache):
        with open(cache, "rb") as fh:
            return pickle.load(fh)
    games, stats = read_unique(paths, every=every, limit=limit, accept=accept_for_outcome, size=size)
    result = {k: prepare(v, max_len) for k, v in by_split(games).items()}, stats.summary()
    if cache:
        with open(cache, "wb") as fh:
            pickle.dump(result, fh)
    return result


def train(paths: list[str], out: str, *, every: int = 10, limit: int | None = None, epochs: int = 4,
          hidden: int = 64, batch_size: int = 32, max_len: int = 201, checkpoint: str | None = None,
          cache: str | None = None, size: int = 19, progress: bool = True, seed: int = 0) -> dict:
    """Read, split by game, train, write the model file; return its metrics on the held-out test games.

    ``max_len`` moves of each game are kept (the last scored prefix is 200). ``cache`` keeps the prepared
    examples between runs.
    """
    torch.manual_seed(seed)
    parts, read_summary = load_examples(paths, every, limit, size, max_len, cache)
    train_ex = parts["train"]
    if not train_ex:
        raise ValueError("no usable games to train on")
    black_prior = float(np.mean([e["label"] for e in train_ex]))
    model = SequenceTagger(len(MoveVocab(size)), 1, embed=32, hidden=hidden, features=len(FEATURES), kind="lstm")
    history = []

    def report(epoch: int, loss: float) -> None:
        valid = score_prefixes(parts["valid"], curves(model, parts["valid"]), black_prior)
        history.append({"epoch": epoch + 1, "loss": loss, "valid_accuracy_at": valid["accuracy_at"]})
        print(f"epoch {epoch + 1}: loss {loss:.4f} valid accuracy {valid['accuracy_at']}", file=sys.stderr,
              flush=True)

    fit(model, lambda e: (collate(b) for b in iter_batches(train_ex, batch_size, seed=e)), loss_fn,
        epochs=epochs, lr=2e-3, clip=1.0, checkpoint=checkpoint, desc="outcome", after_epoch=report,
        progress=progress)
    test = score_prefixes(parts["test"], curves(model, parts["test"]), black_prior)
    meta = {"task": "outcome", "features": list(FEATURES), "board_size": size, "black_prior": black_prior,
            "data": {"paths": [str(p) for p in paths], "sample_every": every, "games": {k: len(v) for k, v in
                     parts.items()}, "read": read_summary, "max_len": max_len},
            "history": history, "test": test}
    save_model(out, model, meta)
    return meta


def evaluate(paths: list[str], model_path: str, every: int = 1, split: str | None = None) -> dict:
    """Score a model file on games under ``paths`` (all of them, or one split); JSON-ready."""
    model, meta = load_model(model_path)
    games, stats = read_unique(paths, every=every, accept=accept_for_outcome, size=meta["board_size"])
    if split:
        games = by_split(games)[split]
    examples = prepare(games)
    if not examples:
        skipped = ", ".join(f"{k}: {v}" for k, v in stats.skipped.items()) or "nothing read"
        raise ValueError(f"no usable {meta['board_size']}x{meta['board_size']} games with a result ({skipped})")
    report = score_prefixes(examples, curves(model, examples), meta["black_prior"])
    report["games"] = len(examples)
    report["skipped"] = dict(stats.skipped)
    return report


def plot_curve(game: Game, model_path: str, out: str) -> None:
    """A PNG of P(Black wins) after every move of ``game``, with the recorded result."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    model, meta = load_model(model_path)
    if game.size != meta["board_size"]:
        raise ValueError(f"{game.source or 'game'}: board size {game.size}, the model reads {meta['board_size']}")
    example = prepare([game])
    if not example:
        raise ValueError(f"{game.source or 'game'}: cannot be replayed")
    probs = curves(model, example)[0]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(np.arange(1, len(probs) + 1), probs, color="black", lw=1.2)
    ax.axhline(0.5, color="grey", lw=0.6, ls="--")
    for n in PREFIXES:
        ax.axvline(n, color="tab:blue", lw=0.4, alpha=0.5)
    info = game.info
    ax.set_title(f"{info.black or 'Black'} (B) vs {info.white or 'White'} (W), {info.date}  result {info.result.raw}",
                 fontsize=9)
    ax.set_xlabel("move")
    ax.set_ylabel("P(Black wins)")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
