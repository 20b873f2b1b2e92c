"""Task 4b, real commentary: generate a reviewer's comment on a move from the game (Seq2Seq), against a language
model that never sees the game.

Source: the last moves as in task 4a (``commentary.move_source``: move-number and move tokens with engine facts),
plus each move's column and row as one-hot inputs. The game-reading model also points at the board to name a
point the way reviewers do ("better at r 9"): ``models.PointingSeq2Seq`` scores every point from where it lies
relative to the last moves and what stands on it. Target: the first ``MAX_TOKENS`` tokens of the comment on that
move (English words, Chinese characters). The text-only model is the same network fed one empty source step and
no points, so the two differ only in what they see. Both start from one language model trained on the comments, train on for the same number of
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

from goengine.board import EMPTY
from goengine.game import Game, positions_after

from .commentary import N_FEATURES, move_source, replay_events, source_vocab_size
from .data import by_split, iter_batches, read_unique
from .encoding import PAD_ID, MoveVocab, TextVocab, pad_batch, tokenize
from .models import PointingSeq2Seq, Seq2Seq
from .sentiment import accept_commented, is_chinese
from .training import KeepBest, fit

MAX_TOKENS = 30
COLUMNS = "abcdefghjklmnopqrstuvwxyz"  # GTP column letters (no "i")
RECENT = 8  # the last moves marked on the board points
POINT_FEATURES = 9 + 9 + 8 + RECENT + 3 + 6


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


def point_features(stones: np.ndarray, mover: int, recent: list[int], size: int) -> np.ndarray:
    """``(size², POINT_FEATURES)`` for the board pointer, for the position after a move: each point's column
    and row offset from that move (one-hot, clipped to ±4), its distance from it (buckets), which of the last
    ``RECENT`` moves stands there (the commented move first), what stands on it (empty, the mover's stone, the
    other's) and its line from the edge (1 to 6+). ``recent`` holds point indices, -1 for a pass."""
    every = np.arange(size * size)
    row, col = np.divmod(every, size)
    out = np.zeros((size * size, POINT_FEATURES), np.float32)
    if recent and recent[0] >= 0:
        r0, c0 = divmod(recent[0], size)
        out[every, np.clip(col - c0, -4, 4) + 4] = 1
        out[every, 9 + np.clip(row - r0, -4, 4) + 4] = 1
        distance = np.maximum(abs(col - c0), abs(row - r0))
        out[every, 18 + np.searchsorted([0, 1, 2, 3, 4, 6, 9], distance)] = 1
    for k, point in enumerate(recent[:RECENT]):
        if point >= 0:
            out[point, 26 + k] = 1
    k = 26 + RECENT
    out[:, k] = stones == EMPTY
    out[:, k + 1] = stones == mover
    out[:, k + 2] = (stones != EMPTY) & (stones != mover)
    line = np.minimum(np.minimum(row, col), np.minimum(size - 1 - row, size - 1 - col))
    out[every, k + 3 + np.minimum(line, 5)] = 1
    return out


def comment_examples(game: Game) -> list[dict]:
    """``{src, features, board, target, lang}`` for every commented move of the main line; ``board`` is what the
    board pointer reads (stones after the move, its colour, the last moves)."""
    commented = {i: c for i, c in game.comments.items() if i >= 1 and c.strip()}
    if not commented:
        return []
    _, rows = replay_events(game)
    boards = _boards_after(game, set(commented))
    out = []
    for index, comment in sorted(commented.items()):
        if index > len(rows) or index not in boards:
            break  # after an illegal move
        tokens = tokenize(comment)[:MAX_TOKENS]
        if tokens:
            src, feats = comment_source(game, rows, index - 1)
            moves = game.moves[max(0, index - RECENT):index]
            pass_move = game.size * game.size
            board = {"stones": boards[index], "mover": moves[-1][0],
                     "recent": [-1 if p == pass_move else p for _, p in reversed(moves)]}
            out.append({"src": src, "features": feats, "board": board, "target": tokens,
                        "lang": "zh" if is_chinese(comment) else "en"})
    return out


def _boards_after(game: Game, wanted: set[int]) -> dict[int, np.ndarray]:
    """The stones after each move number in ``wanted`` (1-based), up to an illegal move."""
    out = {}
    try:
        for i, (board, _, _) in enumerate(positions_after(game)):
            if i + 1 in wanted:
                out[i + 1] = np.frombuffer(bytes(board.stones), dtype=np.int8).copy()
    except ValueError:
        pass
    return out


def collate(vocab: TextVocab, batch: list[dict], see_game: bool = True):
    """``(src, lengths, features, target, points)``; without ``see_game`` the source is one empty step and there
    are no points (``None``)."""
    points = None
    if see_game:
        src, lengths = pad_batch([e["src"] for e in batch])
        feats = torch.zeros(len(batch), src.shape[1], batch[0]["features"].shape[1])
        for i, e in enumerate(batch):
            feats[i, :len(e["src"])] = torch.from_numpy(e["features"])
        size = int(round(len(batch[0]["board"]["stones"]) ** 0.5))
        points = torch.from_numpy(np.stack([point_features(e["board"]["stones"], e["board"]["mover"],
                                                           e["board"]["recent"], size) for e in batch]))
    else:  # one empty step: the decoder is a plain language model
        src = torch.zeros(len(batch), 1, dtype=torch.long)
        lengths = torch.ones(len(batch), dtype=torch.long)
        feats = torch.zeros(len(batch), 1, batch[0]["features"].shape[1])
    tgt, _ = pad_batch([vocab.encode(e["target"], bos=True, eos=True) for e in batch])
    return src, lengths, feats, tgt, points


def loss_fn(model: nn.Module, batch, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood of the target tokens after ``<bos>`` (padding left out)."""
    src, lengths, feats, tgt, points = batch
    logp = model(src, lengths, tgt, feats, points)
    return nn.functional.nll_loss(logp.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID, reduction=reduction)


@torch.no_grad()
def perplexity(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool) -> float:
    """exp of the mean negative log-likelihood per target token (``<eos>`` included, padding left out)."""
    total, count = 0.0, 0
    for batch in iter_batches(examples, 128):
        tensors = collate(vocab, batch, see_game)
        total += float(loss_fn(model, tensors, reduction="sum"))
        count += int((tensors[3][:, 1:] != PAD_ID).sum())  # the target tokens scored
    return math.exp(total / max(1, count))


def generate(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool) -> list[list[str]]:
    out = []
    for batch in iter_batches(examples, 128):
        src, lengths, feats, _, points = collate(vocab, batch, see_game)
        out += [vocab.decode(ids) for ids in model.greedy(src, lengths, MAX_TOKENS, feats, points)]
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


def point_names(size: int) -> tuple[list[str], list[str]]:
    """The tokens that name a point: the column letters (left to right) and the row numbers (1 up)."""
    return list(COLUMNS[:size]), [str(r) for r in range(1, size + 1)]


def pointing_model(language_model: Seq2Seq, vocab: TextVocab, size: int) -> PointingSeq2Seq:
    """A ``PointingSeq2Seq`` that starts from ``language_model``'s weights (the pointer and its gate are new)."""
    columns, rows = point_names(size)
    config = {k: v for k, v in language_model.config.items() if k != "type"}
    model = PointingSeq2Seq(**config, columns=[vocab.stoi[c] for c in columns], rows=[vocab.stoi[r] for r in rows],
                            point_features=POINT_FEATURES)
    missing, unexpected = model.load_state_dict(language_model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith(("point_", "query_", "gate", "column_", "row_")) for k in missing)
    return model


def train_and_score(paths: list[str], *, every: int = 8, epochs: int = 5, tune_epochs: int = 3, hidden: int = 128,
                    dropout: float = 0.2, max_train: int = 60_000, test_examples: int = 2000, size: int = 19,
                    pointer: bool = True, progress: bool = True, seed: int = 0) -> dict:
    """Train a language model on the comments, then go on training two copies of it for ``tune_epochs`` more
    epochs, one reading the game and one not (the text-only model), each kept at its epoch of lowest validation
    perplexity; perplexity and BLEU on the comments of held-out games, per language, and ten generated comments
    beside the real ones.

    Both models get the same training; they differ only in what they read. Starting the game-reading model
    from a language model means it only has to learn what the game adds; trained from scratch on 60,000 comments
    it memorises the sources instead. With ``pointer`` the game-reading model also points at board points to
    name them (``PointingSeq2Seq``)."""
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
    names = [t for group in point_names(size) for t in group]
    vocab = TextVocab(vocab.itos + [t for t in names if t not in vocab.stoi])  # every point can be named
    results: dict = {"comments": {k: len(v) for k, v in parts.items()}, "trained_on": len(train_ex),
                     "scored": len(test), "vocabulary": len(vocab), "read": stats.summary()}
    torch.manual_seed(seed)
    language_model = Seq2Seq(source_vocab_size(size), len(vocab), embed=64, hidden=hidden, attention=True,
                             src_features=n_features(size), dropout=dropout)
    results["language_model"] = fit_kept_best(language_model, vocab, train_ex, valid, False, epochs=epochs, lr=2e-3,
                                              name="language_model", progress=progress, seed=seed)
    for see_game in (False, True):
        model = pointing_model(language_model, vocab, size) if see_game and pointer else copy.deepcopy(language_model)
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
