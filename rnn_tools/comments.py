"""Task 4b, real commentary: generate a reviewer's comment on a move from the game (Seq2Seq), against a language
model that never sees the game.

Source: the same as task 4a (``commentary.move_source``: the last moves as move-number and move tokens, with
engine facts). Target: the first ``MAX_TOKENS`` tokens of the comment on that move (English words, Chinese
characters). The text-only model is the same network fed one empty source step, so the two differ only in what
they see. Scores on the comments of held-out games: perplexity per target token (the ``<eos>`` included), and
sacreBLEU of greedy generations against the real comment (the ``zh`` tokenizer for Chinese).
"""
from __future__ import annotations

import math
import sys

import numpy as np
import torch
from torch import nn

from goengine.game import Game

from .commentary import N_FEATURES, move_source, replay_events, source_vocab_size
from .data import by_split, iter_batches, read_unique
from .encoding import PAD_ID, TextVocab, pad_batch, tokenize
from .models import Seq2Seq
from .sentiment import accept_commented, is_chinese
from .training import fit

MAX_TOKENS = 30


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
            src, feats = move_source(game, rows, index - 1)
            out.append({"src": src, "features": feats, "target": tokens,
                        "lang": "zh" if is_chinese(comment) else "en"})
    return out


def collate(vocab: TextVocab, batch: list[dict], see_game: bool = True):
    if see_game:
        src, lengths = pad_batch([e["src"] for e in batch])
        feats = torch.zeros(len(batch), src.shape[1], N_FEATURES)
        for i, e in enumerate(batch):
            feats[i, :len(e["src"])] = torch.from_numpy(e["features"])
    else:  # one empty step: the decoder is a plain language model
        src = torch.zeros(len(batch), 1, dtype=torch.long)
        lengths = torch.ones(len(batch), dtype=torch.long)
        feats = torch.zeros(len(batch), 1, N_FEATURES)
    tgt, _ = pad_batch([vocab.encode(e["target"], bos=True, eos=True) for e in batch])
    return src, lengths, feats, tgt


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    src, lengths, feats, tgt = batch
    logp = model(src, lengths, tgt, feats)
    return nn.functional.nll_loss(logp.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID)


@torch.no_grad()
def perplexity(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool) -> float:
    """exp of the mean negative log-likelihood per target token (``<eos>`` included, padding left out)."""
    total, count = 0.0, 0
    for batch in iter_batches(examples, 128):
        src, lengths, feats, tgt = collate(vocab, batch, see_game)
        logp = model(src, lengths, tgt, feats)
        total += float(nn.functional.nll_loss(logp.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID,
                                              reduction="sum"))
        count += int((tgt[:, 1:] != PAD_ID).sum())
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


def train_and_score(paths: list[str], *, every: int = 8, epochs: int = 3, hidden: int = 128,
                    max_train: int = 60_000, test_examples: int = 2000, size: int = 19, progress: bool = True,
                    seed: int = 0) -> dict:
    """Train the game-conditioned model and the text-only model on the same comments; perplexity and BLEU on
    the comments of held-out games, per language, and ten generated comments beside the real ones."""
    games, stats = read_unique(paths, every=every, size=size, check_legal=False, accept=accept_commented)
    parts = {k: [e for g in v for e in comment_examples(g)] for k, v in by_split(games).items()}
    rng = np.random.default_rng(seed)
    train_ex = parts["train"]
    if len(train_ex) > max_train:
        train_ex = [train_ex[i] for i in rng.choice(len(train_ex), max_train, replace=False)]
    if not train_ex or not parts["test"]:
        raise ValueError("too few commented games to train and test on")
    test = [parts["test"][i] for i in rng.permutation(len(parts["test"]))[:test_examples]]
    vocab = TextVocab.build((e["target"] for e in train_ex), max_size=20000, min_freq=3)
    results: dict = {"comments": {k: len(v) for k, v in parts.items()}, "trained_on": len(train_ex),
                     "scored": len(test), "read": stats.summary()}
    for see_game in (True, False):
        torch.manual_seed(seed)
        model = Seq2Seq(source_vocab_size(size), len(vocab), embed=64, hidden=hidden, attention=True,
                        src_features=N_FEATURES)
        fit(model, lambda e: (collate(vocab, b, see_game) for b in iter_batches(train_ex, 64, seed=e)), loss_fn,
            epochs=epochs, lr=2e-3, clip=1.0, desc=f"comments see_game={see_game}", progress=progress)
        name = "seq2seq" if see_game else "text_only"
        generated = generate(model, vocab, test, see_game)
        report = {}
        for lang in ("en", "zh"):
            idx = [i for i, e in enumerate(test) if e["lang"] == lang]
            if idx:
                sub = [test[i] for i in idx]
                report[lang] = {"n": len(idx), "perplexity": perplexity(model, vocab, sub, see_game),
                                "bleu": bleu([generated[i] for i in idx], sub)}
        report["all"] = {"n": len(test), "perplexity": perplexity(model, vocab, test, see_game)}
        results[name] = report
        if see_game:
            results["samples"] = [{"real": detokenize(e["target"]), "generated": detokenize(g)}
                                  for e, g in zip(test[:10], generated)]
        print(name, report, file=sys.stderr, flush=True)
    ppl, base = results["seq2seq"]["all"]["perplexity"], results["text_only"]["all"]["perplexity"]
    results["perplexity_reduction"] = 1 - ppl / base
    return results
