"""Task 3b: which Go terms will a reviewer use at a commented move? (many-to-many, multi-label tagging)

Data: the Go Teaching Ladder reviews. The term list is the archive's ``dict_file.txt`` (Sensei's Library terms;
a line such as ``Thickness / Atsui`` gives several names of one term). A term is used at a move when one of its
names appears as a whole word (any case, an ``s`` plural allowed) in the comment on that move; the terms used
most often in the training comments become the labels.

Input per move: the move token and board facts after it (``MOVE_FACTS``). A tagger reads the whole game and
gives one logit per term at every move; the loss and the scores only look at commented moves. Scores are ROC AUC
per term on the commented moves of held-out games, and their mean, for a one-directional and a bidirectional
LSTM and for a per-move logistic regression on the same facts (no sequence), as the ACL 2022 study "Understanding
Game-Playing Agents with Natural Language Annotations" reported on this data (mean AUC about 0.70 with probes of
policy networks).
"""
from __future__ import annotations

import os
import re
import sys
import tarfile
from collections import Counter

import numpy as np
import torch
from torch import nn

from goengine.board import BLACK, neighbor_table
from goengine.dataset import DataFilter
from goengine.game import Game, positions_after

from .data import iter_batches, read_split
from .encoding import MoveVocab, pad_batch
from .metrics import game_interval, roc_auc
from .models import SequenceTagger
from .training import fit

TERM_FILE = "dict_file.txt"
# names in the list that are everyday English words in a review ("up", "point" ...), so they say nothing
EVERYDAY_WORDS = frozenset({"up", "me", "de", "point", "force", "dan", "base", "connected", "chain"})
MOVE_FACTS = ("mover is black", "pass", "liberties of the new group/4", "stones captured/10",
              "enemy groups put in atari/4", "touches an enemy stone", "touches an own stone",
              "line from the edge/10", "distance to the previous move/19", "ko point made", "move number/300")


def read_term_list(path: str) -> list[list[str]]:
    """The terms of ``dict_file.txt``, found in an archive, a folder or given directly; each a list of names."""
    text = None
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file or folder, so no {TERM_FILE} term list")
    if os.path.isdir(path):
        for root, _, files in os.walk(path):
            if TERM_FILE in files:
                with open(os.path.join(root, TERM_FILE), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                break
    elif tarfile.is_tarfile(path):
        with tarfile.open(path) as tar:
            member = next((m for m in tar if m.name.endswith(TERM_FILE)), None)
            if member is not None:
                text = tar.extractfile(member).read().decode("utf-8", errors="replace")
    elif path.endswith(".txt"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    if text is None:
        raise ValueError(f"{path}: no {TERM_FILE} term list found")
    terms = []
    for line in text.splitlines():
        names = [n.strip().lower() for n in line.split("/")
                 if len(n.strip()) > 1 and n.strip().lower() not in EVERYDAY_WORDS]
        if names:
            terms.append(names)
    return terms


def term_pattern(names: list[str]) -> re.Pattern:
    """A whole-word, case-insensitive match of any of ``names`` (plural ``s`` allowed)."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})s?(?![\w-])", re.IGNORECASE)


def choose_terms(terms: list[list[str]], comments: list[str], top: int = 30, min_count: int = 50) -> list[str]:
    """The ``top`` terms used in most of ``comments`` (at least ``min_count``), by their first name."""
    counts = Counter()
    for names in terms:
        pattern = term_pattern(names)
        counts[names[0]] = sum(1 for c in comments if pattern.search(c))
    chosen = [t for t, c in counts.most_common(top) if c >= min_count]
    by_first = {names[0]: names for names in terms}
    return [("/".join(by_first[t])) for t in chosen]


def move_facts(game: Game) -> tuple[list[int], np.ndarray]:
    """Move tokens and ``(T, len(MOVE_FACTS))`` facts after each move. ``ValueError`` if the game has no moves."""
    if not game.moves:
        raise ValueError(f"{game.source or 'game'}: no moves")
    t = len(game.moves)
    feats = np.zeros((t, len(MOVE_FACTS)), dtype=np.float32)
    captures_before = [0, 0, 0]
    for i, (board, _, _) in enumerate(positions_after(game)):
        _facts(board, game.moves, i, captures_before, feats)
        captures_before = list(board.captures)
    feats[:, 10] = np.arange(1, t + 1) / 300
    return MoveVocab(game.size).encode(p for _, p in game.moves), feats


def _facts(board, moves: list[tuple[int, int]], i: int, captures_before: list[int], feats: np.ndarray) -> None:
    """The facts of move ``i`` read from ``board``, the position right after it (``captures_before``: the
    prisoner counts before it)."""
    color, point = moves[i]
    feats[i, 0] = color == BLACK
    if point == board.pass_move:
        feats[i, 1] = 1
        return
    size = board.size
    row, col = divmod(point, size)
    neighbours = neighbor_table(size)[point]
    enemy = [q for q in neighbours if board.stones[q] not in (0, color)]
    feats[i, 2] = min(board.liberties(point), 4) / 4
    feats[i, 3] = min(board.captures[color] - captures_before[color], 10) / 10
    feats[i, 4] = len({min(board.group_stones(q)) for q in enemy if board.liberties(q) == 1}) / 4
    feats[i, 5] = bool(enemy)
    feats[i, 6] = any(board.stones[q] == color for q in neighbours)
    feats[i, 7] = (min(row, col, size - 1 - row, size - 1 - col, 9) + 1) / 10
    previous = moves[i - 1][1] if i else board.pass_move
    if previous != board.pass_move:
        pr, pc = divmod(previous, size)
        feats[i, 8] = max(abs(pr - row), abs(pc - col)) / 19
    feats[i, 9] = board.ko is not None


def prepare(games: list[Game], patterns: list[re.Pattern], max_len: int = 350) -> list[dict]:
    """Examples ``{tokens, features, targets (T, terms), commented (T,)}`` for games with a commented move."""
    out = []
    for game in games:
        try:
            tokens, feats = move_facts(game)
        except ValueError:
            continue
        t = min(len(tokens), max_len)
        targets = np.zeros((t, len(patterns)), dtype=np.float32)
        commented = np.zeros(t, dtype=bool)
        for index, comment in game.comments.items():
            if 1 <= index <= t and comment.strip():
                commented[index - 1] = True
                targets[index - 1] = [bool(p.search(comment)) for p in patterns]
        if commented.any():
            out.append({"tokens": tokens[:t], "features": feats[:t], "targets": targets, "commented": commented})
    return out


def collate(batch: list[dict]):
    tokens, lengths = pad_batch([e["tokens"] for e in batch])
    k = batch[0]["targets"].shape[1]
    feats = torch.zeros(len(batch), tokens.shape[1], len(MOVE_FACTS))
    targets = torch.zeros(len(batch), tokens.shape[1], k)
    commented = torch.zeros(tokens.shape, dtype=torch.bool)
    for i, e in enumerate(batch):
        n = len(e["tokens"])
        feats[i, :n] = torch.from_numpy(e["features"])
        targets[i, :n] = torch.from_numpy(e["targets"])
        commented[i, :n] = torch.from_numpy(e["commented"])
    return tokens, lengths, feats, targets, commented


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    """Binary cross-entropy per term on the commented moves only."""
    tokens, lengths, feats, targets, commented = batch
    logits = model(tokens, lengths, feats)
    return nn.functional.binary_cross_entropy_with_logits(logits[commented], targets[commented])


class MoveLogistic(nn.Module):
    """Baseline: a logistic regression per term on one move's facts and token (no sequence)."""

    def __init__(self, vocab_size: int, n_terms: int):
        super().__init__()
        self.token = nn.Embedding(vocab_size, n_terms)
        nn.init.zeros_(self.token.weight)  # a logistic regression starts from zero, not from N(0, 1) noise
        self.facts = nn.Linear(len(MOVE_FACTS), n_terms)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        return self.token(tokens) + self.facts(features)


@torch.no_grad()
def predictions(model: nn.Module, examples: list[dict], with_games: bool = False) -> tuple[np.ndarray, ...]:
    """(targets, probabilities), each ``(commented moves, terms)``; with ``with_games`` also the index of each
    move's game in ``examples``."""
    model.eval()
    ys, ps, gs = [], [], []
    for start, batch in zip(range(0, len(examples), 64), iter_batches(examples, 64)):
        tokens, lengths, feats, targets, commented = collate(batch)
        ys.append(targets[commented].numpy())
        ps.append(torch.sigmoid(model(tokens, lengths, feats))[commented].numpy())
        gs.append(start + torch.nonzero(commented)[:, 0].numpy())
    out = np.concatenate(ys), np.concatenate(ps)
    return out + (np.concatenate(gs),) if with_games else out


def term_aucs(y: np.ndarray, p: np.ndarray, terms: list[str]) -> dict:
    """ROC AUC per term (terms with one class only in ``y`` are left out) and their mean."""
    per = {}
    for j, term in enumerate(terms):
        auc = roc_auc(y[:, j], p[:, j])
        if not np.isnan(auc):
            per[term] = auc
    return {"mean_auc": float(np.mean(list(per.values()))) if per else None, "auc": per}


def aucs_ci95(y: np.ndarray, p: np.ndarray, games: np.ndarray, terms: list[str], resamples: int = 1000) -> dict:
    """95% intervals of the mean AUC (``mean_auc_ci95``) and of each term's (``auc_ci95``), from the same
    resamples of the test games."""
    def figures(j: np.ndarray) -> np.ndarray:
        scored = term_aucs(y[j], p[j], terms)
        mean = np.nan if scored["mean_auc"] is None else scored["mean_auc"]  # a mean AUC of 0 is a figure
        return np.array([mean, *(scored["auc"].get(t, np.nan) for t in terms)])

    mean, *per = game_interval(figures, games, resamples=resamples)
    defined = term_aucs(y, p, terms)["auc"]  # the terms with both classes among the test moves
    return {"mean_auc_ci95": mean, "auc_ci95": {t: ci for t, ci in zip(terms, per) if t in defined}}


def train_and_score(paths: list[str], *, every: int = 2, epochs: int = 4, top: int = 30, min_count: int = 50,
                    hidden: int = 64, size: int = 19, terms_from: str | None = None, progress: bool = True,
                    seed: int = 0) -> dict:
    """Choose the terms on the training comments, train the three models, score them on the test games."""
    term_list = read_term_list(terms_from or paths[0])
    splits, stats = read_split(paths, DataFilter(size=size), every=every,
                               accept=lambda g: None if g.comments else "no comments")
    train_comments = [c for g in splits["train"] for i, c in g.comments.items() if i >= 1]
    terms = choose_terms(term_list, train_comments, top=top, min_count=min_count)
    if not terms:
        raise ValueError("no term of the list is used often enough in the training comments")
    patterns = [term_pattern(t.split("/")) for t in terms]
    parts = {k: prepare(v, patterns) for k, v in splits.items()}
    if not parts["train"] or not parts["test"]:
        raise ValueError("too few commented games to train and test on")
    y_test = np.concatenate([e["targets"][e["commented"]] for e in parts["test"]])
    results = {"games": {k: len(v) for k, v in parts.items()}, "read": stats.summary(),
               "commented_test_moves": int(len(y_test)),
               "term_share": {t: float(s) for t, s in zip(terms, y_test.mean(0))}}
    models = {"logistic": lambda: MoveLogistic(len(MoveVocab(size)), len(terms))}
    for bidirectional in (False, True):
        models["bi-lstm" if bidirectional else "lstm"] = (
            lambda b=bidirectional: SequenceTagger(len(MoveVocab(size)), len(terms), embed=32, hidden=hidden,
                                                   features=len(MOVE_FACTS), kind="lstm", bidirectional=b))
    for name, build in models.items():
        torch.manual_seed(seed)
        model = build()
        fit(model, lambda e: (collate(b) for b in iter_batches(parts["train"], 16, seed=e)), loss_fn,
            epochs=epochs, lr=3e-3, clip=1.0, desc=f"terms {name}", progress=progress)
        y, p, game = predictions(model, parts["test"], with_games=True)
        results[name] = term_aucs(y, p, terms)
        results[name].update(aucs_ci95(y, p, game, terms))
        print(name, "mean AUC", results[name]["mean_auc"], file=sys.stderr, flush=True)
    return results
