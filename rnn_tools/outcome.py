"""Task 1, the outcome curve: after every move, the probability that Black wins (many-to-many, causal).

Input per move: the move token and board features after it (stones, prisoners, a crude area estimate from stone
influence, stones in atari, komi) and the policy network's value head read as Black's expected result
(``ValueFeature``). The model is a one-directional LSTM, so the output after move ``N`` depends on the first
``N`` moves only. Scoring is at fixed prefix lengths (50, 100, 150, 200 moves, on games longer than that), never
at the final move, where the last mover of a resigned game usually is the winner.
"""
from __future__ import annotations

import os
import pickle

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from goengine.board import BLACK, WHITE
from goengine.dataset import DataFilter, YearRange
from goengine.game import Game, positions_after
from policy.checkpoint import DEFAULT_WEIGHTS, features_of, model_from_record, read_record

from .data import iter_batches, read_split
from .encoding import MoveVocab, pad_batch
from .metrics import accuracy, game_interval, roc_auc
from .models import ProbabilityAverage, SequenceTagger
from .training import KeepBest, fit, load_model, save_model

PREFIXES = (50, 100, 150, 200)
FEATURES = ("mover is black", "black stones/100", "white stones/100", "black prisoners/20", "white prisoners/20",
            "black area estimate/100", "white area estimate/100", "black stones in atari/10",
            "white stones in atari/10", "komi/10", "komi unknown", "move number/300",
            "value network: Black's expected result")
KEPT_REASONS = ("resign", "score")
DEFAULT_KOMI = 6.5
VALUE_STRIDE = 5


def accept_for_outcome(game: Game) -> str | None:
    """Skip games without a usable winner (draw, Void, ?, time-outs, forfeits)."""
    result = game.info.result
    if not result.decisive:
        return f"result {result.reason}"
    if result.reason not in KEPT_REASONS:
        return f"result by {result.reason}"
    return None


def outcome_filter(size: int, years: YearRange | None = None) -> DataFilter:
    """The games the task reads besides ``accept_for_outcome``: even games of ``size``, and with
    ``years = (first, last)`` only games dated in that range (either end open; undated games are left out)."""
    return DataFilter(size=size, allow_handicap=False, years=years)


class ValueFeature:
    """The policy network's value head, read as Black's expected result (-1 to 1) after each move.

    The network costs about 3 ms a position on one core, so it is evaluated after every ``stride``-th move and
    its last value is held in between (0 before the first): the feature stays causal. The record of the
    network travels inside the outcome model file, so a later change of the shipped policy cannot change what
    an outcome model reads.
    """

    def __init__(self, record: dict, stride: int = VALUE_STRIDE):
        self.record = record
        self.model = model_from_record(record, "value network")
        self.features = features_of(record)
        self.stride = stride

    @classmethod
    def from_file(cls, path: str | None = None, stride: int = VALUE_STRIDE) -> "ValueFeature":
        """The network of a policy model file (the shipped one when ``path`` is None)."""
        return cls(read_record(path or DEFAULT_WEIGHTS), stride)

    @torch.no_grad()
    def black_values(self, game: Game, limit: int | None = None) -> np.ndarray:
        """``(T,)`` values after each of the first ``limit`` moves (all when None), from Black's side."""
        count = min(len(game.moves), limit or len(game.moves))
        # the position after move m is the one before move m + 1: the final position of a game has no planes
        planes, _, colors = self.features.encode_game(game, limit=count + 1)
        after = np.arange(self.stride, min(count, len(planes) - 1) + 1, self.stride)
        values = np.zeros(count, dtype=np.float32)
        if len(after):
            v = self.model(torch.from_numpy(planes[after]).float())[1].numpy()
            black = np.where(colors[after] == BLACK, v, -v)
            held = np.searchsorted(after, np.arange(1, count + 1), side="right") - 1
            values = np.where(held >= 0, black[np.maximum(held, 0)], 0.0).astype(np.float32)
        return values


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


def game_features(game: Game, value: ValueFeature, limit: int | None = None) -> tuple[list[int], np.ndarray]:
    """Move tokens and the ``(T, len(FEATURES))`` features after each of the first ``limit`` moves (all when
    None). ``ValueError`` if the game has no moves."""
    if not game.moves:
        raise ValueError(f"{game.source or 'game'}: no moves")
    moves = game.moves[:limit] if limit else game.moves
    t, n = len(moves), game.size
    stones = np.zeros((t, n, n), dtype=np.int8)
    feats = np.zeros((t, len(FEATURES)), dtype=np.float32)
    komi = game.komi
    for i, (board, color, _) in zip(range(t), positions_after(game)):
        _after(board, i, color, stones, feats)
    black, white = influence_area(stones)
    feats[:, 5], feats[:, 6] = black / 100, white / 100
    feats[:, 9] = (DEFAULT_KOMI if komi is None else komi) / 10
    feats[:, 10] = komi is None
    feats[:, 11] = np.arange(1, t + 1) / 300
    feats[:, 12] = value.black_values(game, t)
    return MoveVocab(n).encode(p for _, p in moves), feats


def _after(board, i: int, color: int, stones: np.ndarray, feats: np.ndarray) -> None:
    arr = np.frombuffer(bytes(board.stones), dtype=np.int8)
    stones[i] = arr.reshape(board.size, board.size)
    libs = np.asarray(board.liberty_counts())
    feats[i, 0] = color == BLACK
    feats[i, 1], feats[i, 2] = (arr == BLACK).sum() / 100, (arr == WHITE).sum() / 100
    feats[i, 3], feats[i, 4] = board.captures[BLACK] / 20, board.captures[WHITE] / 20
    feats[i, 7] = ((arr == BLACK) & (libs == 1)).sum() / 10
    feats[i, 8] = ((arr == WHITE) & (libs == 1)).sum() / 10


def prepare(games: list[Game], value: ValueFeature, max_len: int | None = None,
            progress: bool = False) -> list[dict]:
    """Examples ``{tokens, features, label, moves}``; games that cannot be replayed are left out."""
    out = []
    for game in tqdm(games, desc="outcome features", disable=not progress, leave=False):
        try:
            tokens, feats = game_features(game, value, max_len)
        except ValueError:
            continue
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


def score_prefixes(examples: list[dict], probs: list[np.ndarray], black_prior: float,
                   intervals: bool = False) -> dict:
    """Accuracy and AUC of the model and the baselines at each prefix length, on games longer than it. With
    ``intervals``, ``ci95`` holds 95% intervals bootstrapped by game: of the model's accuracy and AUC, of the
    value network's alone, and of the model's accuracy minus the value network's (paired: the same games drawn
    for both)."""
    report: dict = {"accuracy_at": {}, "auc_at": {}, "games_at": {}, "baselines": {}}
    base = {"majority": {}, "captures": {}, "area_minus_komi": {}, "value_network": {}}
    report["value_network_auc_at"] = {}
    ci: dict = {k: {} for k in ("accuracy_at", "auc_at", "value_network_accuracy_at", "value_network_auc_at",
                                "model_minus_value_network_at")}
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
        value = np.array([examples[i]["features"][n - 1, 12] for i in idx])
        base["value_network"][key] = accuracy(y, value > 0)
        auc = roc_auc(y, value)
        report["value_network_auc_at"][key] = None if np.isnan(auc) else auc
        if intervals:  # one example per game: resampling examples is resampling games
            hit, value_hit = (p > 0.5) == y, (value > 0) == y
            ci["accuracy_at"][key] = game_interval(lambda j: hit[j].mean(), idx)
            ci["auc_at"][key] = game_interval(lambda j: roc_auc(y[j], p[j]), idx)
            ci["value_network_accuracy_at"][key] = game_interval(lambda j: value_hit[j].mean(), idx)
            ci["value_network_auc_at"][key] = game_interval(lambda j: roc_auc(y[j], value[j]), idx)
            ci["model_minus_value_network_at"][key] = game_interval(lambda j: hit[j].mean() - value_hit[j].mean(), idx)
    report["baselines"] = base
    if intervals:
        report["ci95"] = ci
    return report


def load_examples(paths: list[str], value: ValueFeature, *, every: int, limit: int | None, size: int,
                  max_len: int, years: YearRange | None = None, cache: str | None = None,
                  progress: bool = False) -> tuple[dict[str, list[dict]], str]:
    """Examples per split and the reader's summary, from ``cache`` (a pickle) when it exists, else read and kept.

    A cache holds the value network's outputs: delete it when the value network changes."""
    if cache and os.path.exists(cache):
        with open(cache, "rb") as fh:
            return pickle.load(fh)
    games, stats = read_split(paths, outcome_filter(size, years), every=every, limit=limit,
                              accept=accept_for_outcome)
    result = ({k: prepare(v, value, max_len, progress) for k, v in games.items()}, stats.summary())
    if cache:
        with open(cache, "wb") as fh:
            pickle.dump(result, fh)
    return result


def train_member(parts: dict[str, list[dict]], black_prior: float, *, seed: int, epochs: int, hidden: int,
                 embed: int, dropout: float, batch_size: int, size: int, checkpoint: str | None = None,
                 progress: bool = True) -> tuple[SequenceTagger, dict]:
    """One LSTM trained from ``seed``, left at its epoch with the best mean validation accuracy after 100 and
    150 moves (ties to the later epoch); returns it with ``{kept_epoch, history}``."""
    torch.manual_seed(seed)
    model = SequenceTagger(len(MoveVocab(size)), 1, embed=embed, hidden=hidden, features=len(FEATURES),
                           kind="lstm", dropout=dropout, skip=True)

    def validation() -> tuple[float, dict]:
        valid = score_prefixes(parts["val"], curves(model, parts["val"]), black_prior)["accuracy_at"]
        return float(np.mean([valid.get(k, 0.0) for k in ("100", "150")])), {"valid_accuracy_at": valid}

    keep = KeepBest(model, validation, name=f"outcome seed {seed}")
    fit(model, lambda e: (collate(b) for b in iter_batches(parts["train"], batch_size, seed=e + 100 * seed)),
        loss_fn, epochs=epochs, lr=2e-3, clip=1.0, checkpoint=checkpoint, desc=f"outcome seed {seed}",
        after_epoch=keep, progress=progress)
    return model, {"seed": seed, "kept_epoch": keep.restore(), "history": keep.history}


def train(paths: list[str], out: str, *, every: int = 10, limit: int | None = None, epochs: int = 6,
          members: int = 5, hidden: int = 32, embed: int = 16, dropout: float = 0.3, batch_size: int = 32,
          max_len: int = 201, years: YearRange | None = None, value_net: str | None = None,
          checkpoint: str | None = None, cache: str | None = None, size: int = 19, progress: bool = True,
          seed: int = 0) -> dict:
    """Read, split by game, train, write the model file; return its metrics on the held-out test games.

    ``max_len`` moves of each game are kept (the last scored prefix is 200). ``years`` keeps games dated in a
    range: train on games the value network ``value_net`` (a policy model file, the shipped one by default)
    was not trained on. ``cache`` keeps the prepared examples between runs. Each of the ``members`` LSTMs is
    small, with dropout and a skip connection that gives the output layer the features (the value network's
    above all) directly: a few thousand games are few labels. Each is trained from its own seed and kept at its
    best validation epoch; the model is the average of their probabilities. ``checkpoint`` gets one file per
    member (``.0``, ``.1``, …) to resume from.
    """
    if members < 1:
        raise ValueError("members must be at least 1")
    value = ValueFeature.from_file(value_net)
    parts, read_summary = load_examples(paths, value, every=every, limit=limit, size=size, max_len=max_len,
                                        years=years, cache=cache, progress=progress)
    if not parts["train"]:
        raise ValueError("no usable games to train on")
    black_prior = float(np.mean([e["label"] for e in parts["train"]]))
    trained, reports = [], []
    for k in range(members):
        model, report = train_member(parts, black_prior, seed=seed + k, epochs=epochs, hidden=hidden, embed=embed,
                                     dropout=dropout, batch_size=batch_size, size=size, progress=progress,
                                     checkpoint=f"{checkpoint}.{k}" if checkpoint else None)
        trained.append(model)
        reports.append(report)
    model = ProbabilityAverage(trained).eval()
    valid = score_prefixes(parts["val"], curves(model, parts["val"]), black_prior)
    test = score_prefixes(parts["test"], curves(model, parts["test"]), black_prior, intervals=True)
    meta = {"task": "outcome", "features": list(FEATURES), "board_size": size, "black_prior": black_prior,
            "value_net": value.record, "value_stride": value.stride,
            "data": {"paths": [str(p) for p in paths], "sample_every": every, "years": list(years or []),
                     "games": {k: len(v) for k, v in parts.items()}, "read": read_summary, "max_len": max_len},
            "members": reports, "valid": valid, "test": test}
    save_model(out, model, meta)
    return meta


class OutcomeModel:
    """A trained outcome model file: the LSTM with the value network it reads."""

    def __init__(self, path: str):
        self.model, self.meta = load_model(path)
        if self.meta.get("features") != list(FEATURES) or "value_net" not in self.meta:
            raise ValueError(f"{path}: an outcome model of an older feature set; train it again")
        self.value = ValueFeature(self.meta["value_net"], self.meta["value_stride"])
        self.size = self.meta["board_size"]

    def examples(self, games: list[Game], max_len: int | None = None, progress: bool = False) -> list[dict]:
        return prepare(games, self.value, max_len, progress)

    def curve(self, game: Game) -> np.ndarray:
        """P(Black wins) after every move of ``game``. ``ValueError`` for another board size or an unplayable game."""
        if game.size != self.size:
            raise ValueError(f"{game.source or 'game'}: board size {game.size}, the model reads {self.size}")
        example = self.examples([game])
        if not example:
            raise ValueError(f"{game.source or 'game'}: cannot be replayed")
        return curves(self.model, example)[0]


def evaluate(paths: list[str], model_path: str, every: int = 1, split: str | None = "test",
             years: YearRange | None = None, progress: bool = False) -> dict:
    """Score a model file on the games of one split under ``paths`` (the test games by default; None: every
    game, the training games included); JSON-ready."""
    outcome = OutcomeModel(model_path)
    parts, stats = read_split(paths, outcome_filter(outcome.size, years), every=every, accept=accept_for_outcome)
    games = parts[split] if split else [g for part in parts.values() for g in part]
    examples = outcome.examples(games, max(PREFIXES) + 1, progress)
    if not examples:
        skipped = ", ".join(f"{k}: {v}" for k, v in stats.skipped.items()) or "nothing read"
        raise ValueError(f"no usable {outcome.size}x{outcome.size} games with a result ({skipped})")
    report = score_prefixes(examples, curves(outcome.model, examples), outcome.meta["black_prior"], intervals=True)
    report["games"], report["split"] = len(examples), split or "all"
    report["skipped"] = dict(stats.skipped)
    return report


def plot_curve(game: Game, model_path: str, out: str) -> None:
    """A PNG of P(Black wins) after every move of ``game``, with the recorded result."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    probs = OutcomeModel(model_path).curve(game)
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
