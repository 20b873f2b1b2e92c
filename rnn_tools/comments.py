"""Task 4b, real commentary: generate a reviewer's comment on a move from the game (Seq2Seq), against a language
model that never sees the game.

Source: the last moves as in task 4a (``commentary.move_source``: move-number and move tokens with engine facts),
plus each move's column and row as one-hot inputs, so that the decoder can name the points near the play the way
reviewers do ("better at r 9"). Target: the first ``MAX_TOKENS`` tokens of the comment on that move (English
words, Chinese characters). The text-only model is the same network fed one empty source step, so the two differ
only in what they see. Both start from one language model trained on the comments, train on for the same number of
epochs (with dropout) and keep their epoch of lowest validation perplexity. Scores on the comments of held-out
games: perplexity per target token (the ``<eos>`` included), and sacreBLEU of greedy generations against the real
comment (the ``zh`` tokenizer for Chinese).
"""
from __future__ import annotations

import copy
import math
import sys

import numpy as np
import torch
from torch import nn

from goengine.game import Game

from .commentary import N_FEATURES, move_source, replay_events, source_vocab_size
from .data import by_split, iter_batches, read_unique
from .encoding import PAD_ID, MoveVocab, TextVocab, pad_batch, tokenize
from .models import Seq2Seq
from .sentiment import accept_commented, is_chinese
from .training import KeepBest, fit

MAX_TOKENS = 30


def n_features(size: int) -> int:
    """Source inputs per step besides its token: 4a's engine facts, then column and row one-hots."""
    return N_FEATURES + 2 * size


def comment_source(game: Game, rows: list[np.ndarray], i: int) -> tuple[list[int], np.ndarray]:
    """4a's source for move ``i`` (0-based) with the column and row of every move token marked."""
    src, facts = move_source(game, rows, i)
    size, offset = game.size, MoveVocab.offset
    coords = np.zeros((len(src), 2 * size), np.float32)
    for k, token in enumerate(src):
        point = token - offset
        if 0 <= point < size * size:  # a move token: pass, specials and number tokens fall outside
            row, col = divmod(point, size)
            coords[k, col] = coords[k, size + row] = 1
    return src, np.concatenate([facts, coords], axis=1)


def comment_examples(game: Game) -> list[dict]:
    """``{src, features, target, lang}`` for every commented move of the main line."""
    commented = {i: c for i, c in game.comments.items() if i >= 1 and c.strip()}
    if not commented:
        return []
    _, rows = replay_events(game)
    out = []
    for index, comment in sorted(commented.items()):
        if index > len(rows):
            break  # after an illegal move
        tokens = tokenize(comment)[:MAX_TOKENS]
        if tokens:
            src, feats = comment_source(game, rows, index - 1)
            out.append({"src": src, "features": feats, "target": tokens,
                        "lang": "zh" if is_chinese(comment) else "en"})
    return out


def collate(vocab: TextVocab, batch: list[dict], see_game: bool = True):
    if see_game:
        src, lengths = pad_batch([e["src"] for e in batch])
        feats = torch.zeros(len(batch), src.shape[1], batch[0]["features"].shape[1])
        for i, e in enumerate(batch):
            feats[i, :len(e["src"])] = torch.from_numpy(e["features"])
    else:  # one empty step: the decoder is a plain language model
        src = torch.zeros(len(batch), 1, dtype=torch.long)
        lengths = torch.ones(len(batch), dtype=torch.long)
        feats = torch.zeros(len(batch), 1, batch[0]["features"].shape[1])
    tgt, _ = pad_batch([vocab.encode(e["target"], bos=True, eos=True) for e in batch])
    return src, lengths, feats, tgt


def loss_fn(model: nn.Module, batch, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood of the target tokens after ``<bos>`` (padding left out)."""
    src, lengths, feats, tgt = batch
    logp = model(src, lengths, tgt, feats)
    return nn.functional.nll_loss(logp.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID, reduction=reduction)


@torch.no_grad()
def perplexity(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool) -> float:
    """exp of the mean negative log-likelihood per target token (``<eos>`` included, padding left out)."""
    total, count = 0.0, 0
    for batch in iter_batches(examples, 128):
        tensors = collate(vocab, batch, see_game)
        total += float(loss_fn(model, tensors, reduction="sum"))
        count += int((tensors[-1][:, 1:] != PAD_ID).sum())  # the target tokens scored
    return math.exp(total / max(1, count))


def generate(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool) -> list[list[str]]:
    out = []
    for batch in iter_batches(examples, 128):
        src, lengths, feats, _ = collate(vocab, batch, see_game)
        out += [vocab.decode(ids) for ids in model.greedy(src, lengths, MAX_TOKENS, feats)]
    return out


def detokenize(tokens: list[str]) -> str:
    return "".join(tokens) if tokens and all(is_chinese(t) or not t.isalnum() for t in tokens) else " ".join(tokens)


def bleu(hypotheses: list[list[str]], examples: list[dict]) -> float:
    """Corpus sacreBLEU against the real comment: our tokens joined by spaces (``force``: the text is already
    tokenized), the ``zh`` tokenizer for Chinese."""
    import sacrebleu
    if not examples:
        return float("nan")
    zh = all(e["lang"] == "zh" for e in examples)
    refs = [detokenize(e["target"]) for e in examples]
    return float(sacrebleu.corpus_bleu([detokenize(h) for h in hypotheses], [refs],
                                       tokenize="zh" if zh else "13a", force=True).score)


def fit_kept_best(model: Seq2Seq, vocab: TextVocab, train_ex: list[dict], valid: list[dict], see_game: bool, *,
                  epochs: int, lr: float, name: str, progress: bool = True, seed: int = 0) -> dict:
    """Train ``model``, score the validation comments before and after every epoch, and leave the model at its
    lowest validation perplexity; return ``{perplexity, epoch, history}`` (epoch 0: the weights it started with)."""

    def validation() -> tuple[float, dict]:
        ppl = perplexity(model, vocab, valid, see_game)
        return ppl, {"valid_perplexity": ppl}

    keep = KeepBest(model.eval(), validation, higher_is_better=False, name=name)  # epoch 0 without dropout too
    keep.consider(0)
    torch.manual_seed(seed)
    fit(model, lambda e: (collate(vocab, b, see_game) for b in iter_batches(train_ex, 64, seed=e)), loss_fn,
        epochs=epochs, lr=lr, clip=1.0, desc=name, after_epoch=keep, progress=progress)
    epoch = keep.restore()
    return {"perplexity": keep.history[epoch]["valid_perplexity"], "epoch": epoch, "history": keep.history}


def train_and_score(paths: list[str], *, every: int = 8, epochs: int = 5, tune_epochs: int = 3, hidden: int = 128,
                    dropout: float = 0.2, max_train: int = 60_000, test_examples: int = 2000, size: int = 19,
                    progress: bool = True, seed: int = 0) -> dict:
    """Train a language model on the comments, then go on training two copies of it for ``tune_epochs`` more
    epochs, one reading the game and one not (the text-only model), each kept at its epoch of lowest validation
    perplexity; perplexity and BLEU on the comments of held-out games, per language, and ten generated comments
    beside the real ones.

    Both models get the same training; they differ only in the source they read. Starting the game-reading model
    from a language model means it only has to learn what the game adds; trained from scratch on 60,000 comments
    it memorises the sources instead."""
    games, stats = read_unique(paths, every=every, size=size, check_legal=False, accept=accept_commented)
    parts = {k: [e for g in v for e in comment_examples(g)] for k, v in by_split(games).items()}
    rng = np.random.default_rng(seed)
    train_ex = parts["train"]
    if len(train_ex) > max_train:
        train_ex = [train_ex[i] for i in rng.choice(len(train_ex), max_train, replace=False)]
    if not train_ex or not parts["test"] or not parts["valid"]:
        raise ValueError("too few commented games to train, validate and test on")
    test = [parts["test"][i] for i in rng.permutation(len(parts["test"]))[:test_examples]]
    valid = [parts["valid"][i] for i in rng.permutation(len(parts["valid"]))[:test_examples]]
    vocab = TextVocab.build((e["target"] for e in train_ex), max_size=20000, min_freq=3)
    results: dict = {"comments": {k: len(v) for k, v in parts.items()}, "trained_on": len(train_ex),
                     "scored": len(test), "vocabulary": len(vocab), "read": stats.summary()}
    torch.manual_seed(seed)
    language_model = Seq2Seq(source_vocab_size(size), len(vocab), embed=64, hidden=hidden, attention=True,
                             src_features=n_features(size), dropout=dropout)
    results["language_model"] = fit_kept_best(language_model, vocab, train_ex, valid, False, epochs=epochs, lr=2e-3,
                                              name="language_model", progress=progress, seed=seed)
    for see_game in (False, True):
        model = copy.deepcopy(language_model)
        name = "seq2seq" if see_game else "text_only"
        best = fit_kept_best(model, vocab, train_ex, valid, see_game, epochs=tune_epochs, lr=1e-3, name=name,
                             progress=progress, seed=seed)
        generated = generate(model, vocab, test, see_game)
        report = {}
        for lang in ("en", "zh"):
            idx = [i for i, e in enumerate(test) if e["lang"] == lang]
            if idx:
                sub = [test[i] for i in idx]
                report[lang] = {"n": len(idx), "perplexity": perplexity(model, vocab, sub, see_game),
                                "bleu": bleu([generated[i] for i in idx], sub)}
        report["all"] = {"n": len(test), "perplexity": perplexity(model, vocab, test, see_game)}
        report["kept_epoch"], report["history"] = best["epoch"], best["history"]
        results[name] = report
        if see_game:
            results["samples"] = [{"real": detokenize(e["target"]), "generated": detokenize(g)}
                                  for e, g in zip(test[:10], generated)]
        print(name, report, file=sys.stderr, flush=True)
    ppl, base = results["seq2seq"]["all"]["perplexity"], results["text_only"]["all"]["perplexity"]
    results["perplexity_reduction"] = 1 - ppl / base
    return results
