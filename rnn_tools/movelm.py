"""Task 5, a move language model: an LSTM reads the moves so far and predicts the next one.

Scored on held-out games by top-1 / top-5 accuracy and perplexity, beside a unigram (move frequency) baseline and
the CNN policy network on the same positions. The CNN's own training stopped at 2019, so the comparison that is
fair to both is on the held-out games from 2020 on (``recent``); on all test games the CNN has seen most of them.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from goengine.dataset import DataFilter
from goengine.game import Game
from goengine.stats import bootstrap_by_game

from .data import iter_batches, read_split
from .encoding import BOS_ID, PAD_ID, MoveVocab, pad_batch
from .metrics import perplexity_interval
from .models import SequenceTagger
from .training import fit, save_model


def sequences(games: list[Game], max_len: int = 300) -> list[list[int]]:
    """``<bos>`` and the move tokens of each game (first ``max_len`` moves)."""
    return [[BOS_ID] + MoveVocab(g.size).encode(p for _, p in g.moves[:max_len]) for g in games if g.moves]


def collate(batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs are tokens ``[:-1]``, targets tokens ``[1:]`` (padding is ``PAD_ID`` and ignored)."""
    tokens, lengths = pad_batch([s[:-1] for s in batch])
    targets, _ = pad_batch([s[1:] for s in batch])
    return tokens, lengths, targets


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    tokens, lengths, targets = batch
    logits = model(tokens, lengths)
    return nn.functional.cross_entropy(logits.transpose(1, 2), targets, ignore_index=PAD_ID)


@torch.no_grad()
def score(model: nn.Module, seqs: list[list[int]]) -> dict:
    """Top-1, top-5 and perplexity over every predicted move, with 95% intervals resampled by game."""
    per_game = []  # (moves, top-1 hits, top-5 hits, negative log-likelihood) of every game
    for batch in iter_batches(seqs, 64):
        tokens, lengths, targets = collate(batch)
        logp = torch.log_softmax(model(tokens, lengths), -1)
        mask = targets != PAD_ID
        nll = -logp.gather(2, targets.clamp(min=0)[..., None])[..., 0] * mask
        best = logp.topk(5, -1).indices
        top1 = (best[..., 0] == targets) & mask
        top5 = (best == targets[..., None]).any(-1) & mask
        per_game += zip(mask.sum(1).tolist(), top1.sum(1).tolist(), top5.sum(1).tolist(), nll.sum(1).tolist())
    return summary(np.array(per_game, np.float64))


def summary(per_game: np.ndarray) -> dict:
    """Top-1, top-5, perplexity and their 95% intervals by game from rows of (moves, top-1 hits, top-5 hits,
    negative log-likelihood), one row a game."""
    n, top1, top5, nll = (float(x) for x in per_game.sum(0))
    return {"top1": top1 / n, "top5": top5 / n, "perplexity": math.exp(nll / n), "moves": int(n),
            "top1_ci95": list(bootstrap_by_game(per_game[:, 1], per_game[:, 0])),
            "top5_ci95": list(bootstrap_by_game(per_game[:, 2], per_game[:, 0])),
            "perplexity_ci95": perplexity_interval(per_game[:, 3], per_game[:, 0])}


def unigram(train: list[list[int]], test: list[list[int]], vocab_size: int) -> dict:
    """Baseline: always the same distribution, the move frequencies of the training games (add-one smoothed)."""
    counts = np.ones(vocab_size)
    for s in train:
        np.add.at(counts, s[1:], 1)
    logp = np.log(counts / counts.sum())
    order = np.argsort(-counts)
    return summary(np.array([(len(y), np.sum(y == order[0]), np.isin(y, order[:5]).sum(), -logp[y].sum())
                             for y in (np.asarray(s[1:]) for s in test)], np.float64))


def cnn_policy(games: list[Game], max_len: int = 300, policy_path: str | None = None) -> dict:
    """The CNN policy (the shipped one by default) on the first ``max_len`` moves of ``games``: top-1, top-5 and
    perplexity (its softmax runs over the legal moves only)."""
    from policy.evaluate import evaluate_games
    from policy.inference import Policy
    short = [replace(g, moves=g.moves[:max_len]) for g in games if g.moves]
    result = evaluate_games(Policy.load(policy_path), short)
    return {"top1": result["top1"], "top5": result["top5"], "perplexity": math.exp(result["nll"]),
            "moves": result["positions"], "top1_ci95": list(result["top1_ci95"]),
            "top5_ci95": list(result["top5_ci95"]), "perplexity_ci95": [math.exp(x) for x in result["nll_ci95"]]}


def train(paths: list[str], out: str | None = None, *, every: int = 15, epochs: int = 3, hidden: int = 256,
          size: int = 19, checkpoint: str | None = None, compare_cnn: bool = True, progress: bool = True,
          seed: int = 0) -> dict:
    torch.manual_seed(seed)
    split_games, _ = read_split(paths, DataFilter(size=size), every=every)
    parts = {k: sequences(v) for k, v in split_games.items()}
    if not parts["train"]:
        raise ValueError("no usable games to train on")
    vocab_size = len(MoveVocab(size))
    model = SequenceTagger(vocab_size, vocab_size, embed=64, hidden=hidden, kind="lstm")
    fit(model, lambda e: (collate(b) for b in iter_batches(parts["train"], 32, seed=e)), loss_fn, epochs=epochs,
        lr=2e-3, clip=1.0, checkpoint=checkpoint, desc="move LM", progress=progress)
    metrics = {"games": {k: len(v) for k, v in parts.items()}, "lstm": score(model, parts["test"]),
               "unigram": unigram(parts["train"], parts["test"], vocab_size)}
    if compare_cnn:
        recent = [g for g in split_games["test"] if g.moves and (g.info.year or 0) >= 2020]
        metrics["cnn_policy"] = cnn_policy(split_games["test"])
        if recent:
            metrics["recent"] = {"games": len(recent), "lstm": score(model, sequences(recent)),
                                 "cnn_policy": cnn_policy(recent)}
    if out:
        save_model(out, model, {"task": "movelm", "board_size": size, "test": metrics})
    return metrics
