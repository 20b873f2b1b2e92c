"""Task 2, move sentiment: is a comment sentence about a move praise (1) or criticism (0)? (many-to-one)

Examples are the sentences of move comments in the Go Teaching Ladder reviews (English) and the Chinese
professional commentary. ``lexicon.label`` gives the label and ``lexicon.mask_cues`` hides the cue words, so the
bidirectional LSTM learns from the surrounding words. Baselines on the same split and the same masked text:
logistic regression on the words present (``bag_of_words``) and on the words and word pairs present
(``bag_of_bigrams``), each kept at its epoch of best validation macro-F1; the class most frequent in the training
sentences; and the VADER general sentiment lexicon (also on the unmasked text, for scale).
"""
from __future__ import annotations

import os
import pickle
import re
import sys

import numpy as np
import torch
from torch import nn

from goengine.dataset import DataFilter
from goengine.game import Game

from .data import iter_batches, read_split
from .encoding import TextVocab, pad_batch, tokenize
from .lexicon import label, mask_cues
from .metrics import accuracy, game_interval, macro_f1
from .models import SequenceClassifier
from .training import KeepBest, fit, load_model, save_model

MAX_TOKENS = 60
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")


def sentences(comment: str) -> list[str]:
    """A comment cut into sentences (English and Chinese punctuation, line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(comment) if len(s.strip()) > 3]


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u9fff]", text))


def examples_from_games(games: list[Game], part: str = "") -> list[dict]:
    """Labelled, masked sentences of the move comments (node 0, the game header, is left out); ``game`` names the
    sentence's game (``part`` and its index) for intervals by game."""
    out = []
    for number, game in enumerate(games):
        for index, comment in game.comments.items():
            if index == 0:
                continue
            for sentence in sentences(comment):
                y = label(sentence)
                if y is not None:
                    out.append({"text": sentence, "masked": mask_cues(sentence), "label": y,
                                "lang": "zh" if is_chinese(sentence) else "en", "game": f"{part}{number}"})
    return out


def accept_commented(game: Game) -> str | None:
    """Games with comments; of the Chinese archive only the ``Cleansgf`` games (the rest are derived files)."""
    if "zh-pro-commentary" in game.source and "/Cleansgf/" not in game.source:
        return "derived file"
    return None if game.comments else "no comments"


def read_commentary(paths: list[str], every: int = 1) -> dict[str, list[dict]]:
    """Examples per split, the split made by game."""
    games, _ = read_split(paths, DataFilter(size=None), every=every, accept=accept_commented, check_legal=False)
    return {k: examples_from_games(v, f"{k}/") for k, v in games.items()}


def encode(vocab: TextVocab, text: str) -> list[int]:
    return vocab.encode(tokenize(text)[:MAX_TOKENS]) or [vocab.stoi["<unk>"]]


def collate(vocab: TextVocab, batch: list[dict]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    tokens, lengths = pad_batch([encode(vocab, e["masked"]) for e in batch])
    return tokens, lengths, torch.tensor([e["label"] for e in batch])


@torch.no_grad()
def predict(model: nn.Module, vocab: TextVocab, texts: list[str], batch_size: int = 256) -> np.ndarray:
    """P(praise) for each (already masked) text."""
    model.eval()
    out = []
    for chunk in iter_batches(texts, batch_size):
        tokens, lengths = pad_batch([encode(vocab, t) for t in chunk])
        out.append(torch.softmax(model(tokens, lengths), -1)[:, 1].numpy())
    return np.concatenate(out) if out else np.zeros(0)


def ngrams(tokens: list[str], n: int) -> list[str]:
    """The words of ``tokens`` and, with ``n = 2``, the pairs of neighbouring words too."""
    return tokens + ([f"{a} {b}" for a, b in zip(tokens, tokens[1:])] if n == 2 else [])


def bow_logistic(train_ex: list[dict], valid_ex: list[dict], n: int = 1, max_epochs: int = 10, seed: int = 0):
    """Baseline: logistic regression on which n-grams (words, or words and word pairs with ``n = 2``) of the
    masked text are present, n-grams seen at least 3 times in training; class-weighted cross-entropy, Adam, kept
    at its epoch of best macro-F1 on ``valid_ex`` (the epoch count is tuned on validation). Returns
    ``(predict, kept_epoch)``, ``predict(examples)`` giving P(praise)."""
    torch.manual_seed(seed)
    grams = [ngrams(tokenize(e["masked"])[:MAX_TOKENS], n) for e in train_ex]
    vocab = TextVocab.build(grams, max_size=200_000, min_freq=3)
    weights = torch.tensor(_class_weights(train_ex), dtype=torch.float32)
    linear = nn.EmbeddingBag(len(vocab), 2, mode="sum")
    nn.init.zeros_(linear.weight)
    linear.config = {}

    def bag(batch: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [sorted(set(vocab.encode(ngrams(tokenize(e["masked"])[:MAX_TOKENS], n)))) or [0] for e in batch]
        offsets = torch.tensor([0] + [len(i) for i in ids[:-1]]).cumsum(0)
        return torch.tensor([t for i in ids for t in i]), offsets

    def predict(examples: list[dict]) -> np.ndarray:
        with torch.no_grad():
            return np.concatenate([torch.softmax(linear(*bag(b)), -1)[:, 1].numpy()
                                   for b in iter_batches(examples, 1024)]) if examples else np.zeros(0)

    def loss_fn(model, batch):
        x, y = batch
        return nn.functional.cross_entropy(model(*x), y, weight=weights) + 1e-6 * model.weight.pow(2).sum()

    def validation() -> tuple[float, dict]:
        f1 = macro_f1([e["label"] for e in valid_ex], predict(valid_ex) > 0.5)
        return f1, {"valid_macro_f1": f1}

    keep = KeepBest(linear, validation, name=f"bag of {'bigrams' if n == 2 else 'words'}")
    fit(linear, lambda e: ((bag(b), torch.tensor([x["label"] for x in b]))
                           for b in iter_batches(train_ex, 256, seed=e)), loss_fn, epochs=max_epochs, lr=5e-3,
        clip=5.0, desc="bag of words", after_epoch=keep, progress=False)
    return predict, keep.restore()


def vader_scores(texts: list[str]) -> np.ndarray | None:
    """VADER compound scores in [-1, 1], or None when vaderSentiment is not installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t.replace("<mask>", ""))["compound"] for t in texts])


def _class_weights(examples: list[dict]) -> list[float]:
    pos = np.mean([e["label"] for e in examples])
    return [0.5 / (1 - pos), 0.5 / pos]


def scores(y: np.ndarray, pred: np.ndarray, games: np.ndarray | None = None) -> dict:
    """Accuracy and macro-F1; with ``games`` (each sentence's game) their 95% intervals, resampled by game."""
    out = {"accuracy": accuracy(y, pred), "macro_f1": macro_f1(y, pred), "n": int(len(y))}
    if games is not None:
        out["accuracy_ci95"] = game_interval(lambda j: accuracy(y[j], pred[j]), games)
        out["macro_f1_ci95"] = game_interval(lambda j: macro_f1(y[j], pred[j]), games)
    return out


def _languages(examples: list[dict]) -> list[tuple[str, np.ndarray]]:
    """("all", mask), ("en", mask), ("zh", mask) over ``examples``."""
    langs = np.array([e["lang"] for e in examples])
    return [("all", np.ones(len(langs), bool)), ("en", langs == "en"), ("zh", langs == "zh")]


def praise_shares(examples: list[dict]) -> dict[str, float]:
    """The share of praise among ``examples``, overall and per language (where there are any)."""
    y = np.array([e["label"] for e in examples])
    return {name: float(y[mask].mean()) for name, mask in _languages(examples) if mask.any()}


def report(examples: list[dict], probs: dict[str, np.ndarray], vader_masked, vader_raw,
           train_shares: dict[str, float], intervals: bool = False) -> dict:
    """Models and baselines on ``examples``, overall and per language: ``probs`` maps a model's name to its
    P(praise) per example. The majority baseline predicts the class most frequent in the training examples of
    that language (``train_shares``, from ``praise_shares``). With ``intervals`` every figure gets its 95%
    interval, resampled by game (the examples' ``game``)."""
    out = {}
    y = np.array([e["label"] for e in examples])
    games = np.array([e["game"] for e in examples]) if intervals else None
    for name, mask in _languages(examples):
        if not mask.any():
            continue
        g = games[mask] if intervals else None
        majority = train_shares.get(name, train_shares["all"]) >= 0.5
        part = {model: scores(y[mask], p[mask] > 0.5, g) for model, p in probs.items()}
        part["majority"] = scores(y[mask], np.full(mask.sum(), majority), g)
        part["praise_share"] = float(y[mask].mean())
        if vader_masked is not None and name == "en":
            part["vader_masked"] = scores(y[mask], vader_masked[mask] >= 0.05, g)
            part["vader_raw"] = scores(y[mask], vader_raw[mask] >= 0.05, g)
        out[name] = part
    return out


def score_with_baselines(parts: dict[str, list[dict]], train_ex: list[dict], probs: np.ndarray,
                         split: str | None = "test") -> dict:
    """The model's P(praise) ``probs`` on the examples of ``split`` (None: every part) beside the baselines
    trained on ``train_ex`` (epochs chosen on the validation part), every figure with its 95% interval by game."""
    examples = parts[split] if split else [e for v in parts.values() for e in v]
    predictions = {"rnn": probs}
    kept = {}
    for name, n in (("bag_of_words", 1), ("bag_of_bigrams", 2)):
        predict, kept[name] = bow_logistic(train_ex, parts["val"], n)
        predictions[name] = predict(examples)
    masked = [e["masked"] for e in examples]
    out = report(examples, predictions, vader_scores(masked), vader_scores([e["text"] for e in examples]),
                 praise_shares(train_ex), intervals=True)
    out["baseline_kept_epochs"] = kept
    return out


def train(paths: list[str], out: str, *, every: int = 1, epochs: int = 9, max_train: int = 200_000, hidden: int = 64,
          checkpoint: str | None = None, cache: str | None = None, progress: bool = True, seed: int = 0) -> dict:
    """Label, mask, split by game, train the BiLSTM and the baselines, write the model file; return metrics.

    ``cache`` (a pickle) keeps the labelled examples between runs.
    """
    torch.manual_seed(seed)
    if cache and os.path.exists(cache):
        with open(cache, "rb") as fh:
            parts = pickle.load(fh)
        if any("game" not in e for v in parts.values() for e in v[:1]):
            raise ValueError(f"{cache}: examples of an older format (without their game); delete it to read again")
    else:
        parts = read_commentary(paths, every)
        if cache:
            with open(cache, "wb") as fh:
                pickle.dump(parts, fh)
    rng = np.random.default_rng(seed)
    train_ex = parts["train"]
    if len(train_ex) > max_train:
        train_ex = [train_ex[i] for i in rng.choice(len(train_ex), max_train, replace=False)]
    if not train_ex:
        raise ValueError("no labelled comments to train on")
    vocab = TextVocab.build((tokenize(e["masked"])[:MAX_TOKENS] for e in train_ex), max_size=20000, min_freq=3)
    model = SequenceClassifier(len(vocab), 2, embed=100, hidden=hidden, kind="lstm", bidirectional=True)
    weights = torch.tensor(_class_weights(train_ex), dtype=torch.float32)
    history = []

    def loss_fn(m, batch):
        tokens, lengths, y = batch
        return nn.functional.cross_entropy(m(tokens, lengths), y, weight=weights)

    def after(epoch: int, loss: float) -> None:
        valid = parts["val"]
        probs = predict(model, vocab, [e["masked"] for e in valid])
        y = np.array([e["label"] for e in valid])
        history.append({"epoch": epoch + 1, "loss": loss, "valid": scores(y, probs > 0.5)})
        print(f"epoch {epoch + 1}: loss {loss:.4f} valid {history[-1]['valid']}", file=sys.stderr, flush=True)

    fit(model, lambda e: (collate(vocab, b) for b in iter_batches(train_ex, 64, seed=e)), loss_fn, epochs=epochs,
        lr=2e-3, lr_decay=0.7, clip=1.0, checkpoint=checkpoint, desc="sentiment", after_epoch=after, progress=progress)
    metrics = score_with_baselines(parts, train_ex, predict(model, vocab, [e["masked"] for e in parts["test"]]))
    meta = {"task": "sentiment", "vocab": vocab.itos, "max_tokens": MAX_TOKENS, "labels": ["criticism", "praise"],
            "data": {"paths": [str(p) for p in paths], "sample_every": every, "examples": {k: len(v) for k, v in parts.items()},
                     "trained_on": len(train_ex)}, "history": history, "test": metrics}
    save_model(out, model, meta)
    return meta


class SentimentModel:
    """A shipped sentiment model: ``praise_probability(comment)`` averages over the comment's sentences."""

    def __init__(self, path: str):
        self.model, self.meta = load_model(path)
        self.vocab = TextVocab(self.meta["vocab"])

    def praise_probability(self, comment: str) -> float | None:
        parts = [mask_cues(s) for s in sentences(comment)]
        if not parts:
            return None
        return float(predict(self.model, self.vocab, parts).mean())


def evaluate(paths: list[str], model_path: str, split: str | None = "test") -> dict:
    """Score a model file on the labelled comment sentences of one split of the games under ``paths`` (the test
    games by default; None: every game, the training games included), beside the baselines trained on the
    training part of the same games (``score_with_baselines``)."""
    scorer = SentimentModel(model_path)
    parts = read_commentary(paths)
    examples = parts[split] if split else [e for v in parts.values() for e in v]
    if not examples or not parts["train"] or not parts["val"]:
        raise ValueError("too few comment sentences with an evaluative cue word in the training, validation or "
                         "scored part")
    probs = predict(scorer.model, scorer.vocab, [e["masked"] for e in examples])
    return {"sentences": len(examples), "split": split or "all", **score_with_baselines(parts, parts["train"],
                                                                                        probs, split)}
