"""Task 4b, reviewers' comments: generate a reviewer's real comment on a move from the game (Seq2Seq), against a
language model that never sees the game.

Source: the last moves as in task 4a (``rule_commentary_seq2seq.move_source``: move-number and move tokens with
engine facts), plus each move's column and row as one-hot inputs. The game-reading model also copies from the
game the way reviewers quote it (``models.PointingSeq2Seq``). It points at the board to name a point ("better at r 9"),
scoring every point from where it lies relative to the last moves, what stands on it and how much the policy
network liked it there. It points at the record's words to copy a move number near the commented move ("after
57") or a word of the record's header: the players' names and the game's opening comment, where reviewers
introduce themselves and the name or mark that heads their comments ("kk : ...").

Target: the first ``MAX_TOKENS`` tokens of the comment on that move (English words, Chinese characters). The
text-only model is the same network fed one empty source step and nothing to point at, so the two differ only in
what they see. Both start from one language model trained on the comments, train on for the same number of
epochs (with dropout) and keep their epoch of lowest validation perplexity. Scores on the comments of held-out
games: perplexity per target token (the ``<eos>`` included), which kinds of tokens the game helps with
(``saving_by_kind``), and sacreBLEU of greedy generations against the real comment (the ``zh`` tokenizer for
Chinese).
"""
from __future__ import annotations

import copy
import math
import sys

import numpy as np
import torch
from torch import nn

from goengine.board import EMPTY, IllegalMove
from goengine.dataset import DataFilter
from goengine.game import Game
from policy.inference import Policy

from .rule_commentary_seq2seq import N_FEATURES, move_source, replay_events, source_vocab_size
from .data import iter_batches, read_split
from .encoding import PAD_ID, UNK, MoveVocab, TextVocab, pad_batch, tokenize
from .metrics import game_interval, perplexity_interval
from .models import PointingSeq2Seq, Seq2Seq
from .sentiment import accept_commented, is_chinese
from .training import KeepBest, fit

MAX_TOKENS = 30
COLUMNS = "abcdefghjklmnopqrstuvwxyz"  # GTP column letters (no "i")
RECENT = 8  # the last moves marked on the board points
POINT_FEATURES = 9 + 9 + 8 + RECENT + 3 + 6 + 4
NUMBERS_BACK, NUMBERS_AHEAD = 10, 3  # the move numbers offered for copying, around the commented move's
HEADER_TOKENS = 200  # of the record's opening comment, offered for copying
COPY_FEATURES = NUMBERS_BACK + 1 + NUMBERS_AHEAD + 3


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


def point_features(stones: np.ndarray, mover: int, recent: list[int], size: int,
                   policy: np.ndarray | None = None) -> np.ndarray:
    """``(size², POINT_FEATURES)`` for the board pointer, for the position after a move: each point's column
    and row offset from that move (one-hot, clipped to ±4), its distance from it (buckets), which of the last
    ``RECENT`` moves stands there (the commented move first), what stands on it (empty, the mover's stone, the
    other's), its line from the edge (1 to 6+), and the policy network's probability for the commented move there
    (``policy``, before the move: a log scale, and whether it is the first, in the first 3, in the first 10; zeros
    without it). ``recent`` holds point indices, -1 for a pass."""
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
    if policy is not None:
        k += 9
        out[:, k] = 1 + np.log10(policy.astype(np.float32) + 1e-4) / 4
        rank = np.empty(size * size, np.int64)
        rank[np.argsort(-policy, kind="stable")] = every
        out[:, k + 1], out[:, k + 2], out[:, k + 3] = rank < 1, rank < 3, rank < 10
    return out


def record_header(game: Game) -> tuple[list[str], np.ndarray]:
    """The header words a comment may copy: the players' names, then the first ``HEADER_TOKENS`` words of the
    record's opening comment; features: from the header, followed by a colon (how reviewers mark their
    comments), a player's name (the last 3 of ``COPY_FEATURES``)."""
    names = tokenize(f"{game.info.black} {game.info.white}")
    words = names + tokenize(game.comments.get(0, ""))[:HEADER_TOKENS]
    feats = np.zeros((len(words), COPY_FEATURES), np.float32)
    feats[:, -3] = 1
    feats[[i for i in range(len(words) - 1) if words[i + 1] == ":"], -2] = 1
    feats[:len(names), -1] = 1
    return words, feats


def copy_source(header: tuple[list[str], np.ndarray], number: int) -> tuple[list[str], np.ndarray]:
    """What the comment on move ``number`` may copy from the record: the move numbers from ``NUMBERS_BACK``
    before it to ``NUMBERS_AHEAD`` after (their offset one-hot), then the header words."""
    numbers = [n for n in range(number - NUMBERS_BACK, number + NUMBERS_AHEAD + 1) if n >= 1]
    feats = np.zeros((len(numbers), COPY_FEATURES), np.float32)
    feats[np.arange(len(numbers)), [n - number + NUMBERS_BACK for n in numbers]] = 1
    return [str(n) for n in numbers] + header[0], np.concatenate([feats, header[1]])


def comment_examples(game: Game, policy: Policy | None = None) -> list[dict]:
    """``{src, features, board, header, number, target, lang}`` for every commented move of the main line;
    ``board`` is what the board pointer reads (stones after the move, its colour, the last moves, and with
    ``policy`` the network's move probabilities before it), ``header`` and ``number`` what the record pointer
    reads (``copy_source``)."""
    commented = {i: c for i, c in game.comments.items() if i >= 1 and c.strip()}
    if not commented:
        return []
    _, rows, before = replay_events(game, set(commented))
    if policy is not None and before:
        probs, _ = policy.predict_batch(list(before.values()))
        chances = {i: p[:game.size ** 2].astype(np.float16) for i, p in zip(before, probs)}
    header = record_header(game)
    out = []
    for index, comment in sorted(commented.items()):
        if index not in before:
            break  # after an illegal move
        after = before[index].copy()
        try:
            after.play(game.moves[index - 1][1], game.moves[index - 1][0])
        except IllegalMove:
            break
        tokens = tokenize(comment)[:MAX_TOKENS]
        if tokens:
            src, feats = comment_source(game, rows, index - 1)
            moves = game.moves[max(0, index - RECENT):index]
            board = {"stones": np.frombuffer(bytes(after.stones), dtype=np.int8).copy(), "mover": moves[-1][0],
                     "recent": [-1 if p == game.pass_move else p for _, p in reversed(moves)],
                     "policy": chances[index] if policy is not None else None}
            out.append({"src": src, "features": feats, "board": board, "header": header, "number": index,
                        "target": tokens, "lang": "zh" if is_chinese(comment) else "en"})
    return out


def collate(vocab: TextVocab, batch: list[dict], see_game: bool = True, header: bool = True):
    """``(src, lengths, features, target, extra)``; ``extra`` is what the pointers read (``PointingSeq2Seq``):
    the board points and the record's words (without ``header``, the move numbers only: the model then reads the
    moves and the board alone). Without ``see_game`` the source is one empty step and ``extra`` is ``None``."""
    extra = None
    if see_game:
        src, lengths = pad_batch([e["src"] for e in batch])
        feats = torch.zeros(len(batch), src.shape[1], batch[0]["features"].shape[1])
        for i, e in enumerate(batch):
            feats[i, :len(e["src"])] = torch.from_numpy(e["features"])
        size = int(round(len(batch[0]["board"]["stones"]) ** 0.5))
        points = np.stack([point_features(e["board"]["stones"], e["board"]["mover"], e["board"]["recent"], size,
                                          e["board"].get("policy")) for e in batch])
        no_header = ([], np.zeros((0, COPY_FEATURES), np.float32))
        sources = [copy_source(e["header"] if header else no_header, e["number"]) for e in batch]
        copy_ids, _ = pad_batch([vocab.encode(words) for words, _ in sources])
        copy_feats = torch.zeros(*copy_ids.shape, COPY_FEATURES)
        copy_mask = torch.zeros(copy_ids.shape, dtype=torch.bool)
        for i, (words, f) in enumerate(sources):
            copy_feats[i, :len(words)] = torch.from_numpy(f)
            copy_mask[i, :len(words)] = True
        extra = {"points": torch.from_numpy(points), "copy_ids": copy_ids, "copy_features": copy_feats,
                 "copy_mask": copy_mask}
    else:  # one empty step: the decoder is a plain language model
        src = torch.zeros(len(batch), 1, dtype=torch.long)
        lengths = torch.ones(len(batch), dtype=torch.long)
        feats = torch.zeros(len(batch), 1, batch[0]["features"].shape[1])
    tgt, _ = pad_batch([vocab.encode(e["target"], bos=True, eos=True) for e in batch])
    return src, lengths, feats, tgt, extra


def loss_fn(model: nn.Module, batch, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood of the target tokens after ``<bos>`` (padding left out)."""
    src, lengths, feats, tgt, extra = batch
    logp = model(src, lengths, tgt, feats, extra)
    return nn.functional.nll_loss(logp.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID, reduction=reduction)


@torch.no_grad()
def token_losses(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool,
                 header: bool = True) -> list[np.ndarray]:
    """The negative log-likelihood of every target token of every example (its ``<eos>`` last)."""
    out = []
    for batch in iter_batches(examples, 128):
        losses = loss_fn(model, collate(vocab, batch, see_game, header), reduction="none").numpy()
        out += [losses[i, :len(e["target"]) + 1] for i, e in enumerate(batch)]
    return out


def perplexity(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool, header: bool = True) -> float:
    """exp of the mean negative log-likelihood per target token (``<eos>`` included, padding left out)."""
    return perplexity_of(token_losses(model, vocab, examples, see_game, header))


def perplexity_of(losses: list[np.ndarray]) -> float:
    """exp of the mean of ``token_losses``' per-token negative log-likelihoods."""
    return math.exp(float(np.concatenate(losses).mean())) if losses else float("nan")


TOKEN_KINDS = ("point", "number", "speaker", "word", "end")


def token_kind(tokens: list[str], k: int, size: int) -> str:
    """What target token ``k`` is: part of a point's name ("r 9"), another number, the speaker's mark that
    heads a comment ("kk :"), another word, or the end of the comment (``k == len(tokens)``)."""
    if k == len(tokens):
        return "end"
    columns, rows = point_names(size)
    t, before, after = tokens[k], tokens[k - 1] if k else "", tokens[k + 1] if k + 1 < len(tokens) else ""
    if (t in columns and after in rows) or (t in rows and before in columns):
        return "point"
    if t.isdigit():
        return "number"
    if len(tokens) > 1 and tokens[1] == ":" and k <= 1:
        return "speaker"
    return "word"


def saving_by_kind(base: list[np.ndarray], model: list[np.ndarray], examples: list[dict], size: int) -> dict:
    """Where a model's lower perplexity comes from: per kind of target token (``token_kind``), its share of the
    tokens, the nats a token of that kind costs less than with ``base``, and that kind's part of the whole saving
    in nats per token (the parts add up to the log of the perplexity ratio)."""
    saved = {k: [] for k in TOKEN_KINDS}
    for e, b, m in zip(examples, base, model):
        for k in range(len(e["target"]) + 1):
            saved[token_kind(e["target"], k, size)].append(float(b[k] - m[k]))
    total = sum(len(v) for v in saved.values())
    return {k: {"share": len(v) / total, "nats_saved": float(np.mean(v)) if v else 0.0, "part": sum(v) / total}
            for k, v in saved.items()}


TOKEN_SUBSETS = {"all": (True, True), "no_unk": (False, True), "no_speaker": (True, False),
                 "no_unk_no_speaker": (False, False)}  # (keep <unk> targets, keep the speakers' marks)


def scored_tokens(vocab: TextVocab, examples: list[dict], size: int) -> dict[str, list[np.ndarray]]:
    """For each of ``TOKEN_SUBSETS``, which target tokens of every example (its ``<eos>`` last) it scores: all of
    them, all but the ``<unk>`` targets, all but the speaker's mark that heads a comment, all but both."""
    unk = vocab.stoi[UNK]
    out: dict[str, list[np.ndarray]] = {k: [] for k in TOKEN_SUBSETS}
    for e in examples:
        is_unk = np.array(vocab.encode(e["target"]) + [-1]) == unk
        speaker = np.array([token_kind(e["target"], k, size) == "speaker" for k in range(len(e["target"]) + 1)])
        for name, (keep_unk, keep_speaker) in TOKEN_SUBSETS.items():
            out[name].append(~((is_unk & (not keep_unk)) | (speaker & (not keep_speaker))))
    return out


def perplexity_report(losses: dict[str, list[np.ndarray]], base: str, examples: list[dict], vocab: TextVocab,
                      size: int) -> dict:
    """For each subset of target tokens (``scored_tokens``): every model's perplexity with its 95% interval by
    game, and every other model's reduction of ``base``'s perplexity (1 - ratio) with a paired interval (the
    same games drawn for both). ``examples`` carry their ``game``."""
    games = np.array([e["game"] for e in examples])
    _, per_game = np.unique(games, return_inverse=True)
    out = {}
    for subset, masks in scored_tokens(vocab, examples, size).items():
        counts = np.array([m.sum() for m in masks], np.float64)
        nll = {name: np.array([float(x[m].sum()) for x, m in zip(ls, masks)]) for name, ls in losses.items()}
        row: dict = {"tokens": int(counts.sum())}
        for name, x in nll.items():
            row[name] = {"perplexity": math.exp(x.sum() / counts.sum()),
                         "ci95": perplexity_interval(np.bincount(per_game, x), np.bincount(per_game, counts))}
            if name != base:
                def reduction(idx: np.ndarray, x=x) -> float:
                    return 1 - math.exp((x[idx].sum() - nll[base][idx].sum()) / counts[idx].sum())
                row[name]["reduction"] = reduction(np.arange(len(x)))
                row[name]["reduction_ci95"] = game_interval(reduction, games)
        out[subset] = row
    return out


def generate(model: Seq2Seq, vocab: TextVocab, examples: list[dict], see_game: bool,
             header: bool = True) -> list[list[str]]:
    out = []
    for batch in iter_batches(examples, 128):
        src, lengths, feats, _, extra = collate(vocab, batch, see_game, header)
        out += [vocab.decode(ids) for ids in model.greedy(src, lengths, MAX_TOKENS, feats, extra)]
    return out


def detokenize(tokens: list[str]) -> str:
    return "".join(tokens) if tokens and all(is_chinese(t) or not t.isalnum() for t in tokens) else " ".join(tokens)


def bleu_interval(hypotheses: list[list[str]], examples: list[dict], resamples: int = 200) -> list[float]:
    """95% interval of ``bleu``, resampling the examples' games (``game``); corpus BLEU is slow, so fewer
    resamples than for the other figures."""
    return game_interval(lambda idx: bleu([hypotheses[i] for i in idx], [examples[i] for i in idx]),
                         [e["game"] for e in examples], resamples=resamples)


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
                  epochs: int, lr: float, name: str, header: bool = True, progress: bool = True,
                  seed: int = 0) -> dict:
    """Train ``model``, score the validation comments before and after every epoch, and leave the model at its
    lowest validation perplexity; return ``{perplexity, epoch, history}`` (epoch 0: the weights it started with)."""

    def validation() -> tuple[float, dict]:
        ppl = perplexity(model, vocab, valid, see_game, header)
        return ppl, {"valid_perplexity": ppl}

    keep = KeepBest(model.eval(), validation, higher_is_better=False, name=name)  # epoch 0 without dropout too
    keep.consider(0)
    torch.manual_seed(seed)
    fit(model, lambda e: (collate(vocab, b, see_game, header) for b in iter_batches(train_ex, 64, seed=e)), loss_fn,
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
                            point_features=POINT_FEATURES, copy_features=COPY_FEATURES)
    missing, unexpected = model.load_state_dict(language_model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith(("point_", "query_", "copy_", "gate", "column_", "row_"))
                                  for k in missing)
    return model


def train_and_score(paths: list[str], *, every: int = 8, epochs: int = 5, tune_epochs: int = 3, hidden: int = 128,
                    dropout: float = 0.2, max_train: int = 60_000, test_examples: int = 2000, size: int = 19,
                    pointer: bool = True, policy_model: str | None = None, progress: bool = True,
                    seed: int = 0) -> dict:
    """Train a language model on the comments, then go on training copies of it for ``tune_epochs`` more epochs,
    each kept at its epoch of lowest validation perplexity: ``text_only`` (reads nothing), ``seq2seq`` (reads the
    whole record) and, with ``pointer``, ``moves_and_board`` (the same network without the header's words to
    copy). Perplexity and BLEU on the comments of held-out games, per language; ``perplexity``: every model's
    perplexity with and without ``<unk>`` targets and the speakers' marks, with 95% intervals by game and the
    reduction of the text-only model's; ten generated comments beside the real ones.

    Both models get the same training; they differ only in what they read. Starting the game-reading model
    from a language model means it only has to learn what the game adds; trained from scratch on 60,000 comments
    it memorises the sources instead. With ``pointer`` the game-reading model also copies from the game: board
    points, move numbers and the record's header (``PointingSeq2Seq``); the board pointer reads the moves of the
    policy network ``policy_model`` (the shipped one by default). ``saving`` tells which tokens the game helps."""
    games, stats = read_split(paths, DataFilter(size=size), every=every, check_legal=False, accept=accept_commented)
    policy = Policy.load(policy_model)
    parts = {k: [{**e, "game": i} for i, g in enumerate(v) for e in comment_examples(g, policy)]
             for k, v in games.items()}
    rng = np.random.default_rng(seed)
    train_ex = parts["train"]
    if len(train_ex) > max_train:
        train_ex = [train_ex[i] for i in rng.choice(len(train_ex), max_train, replace=False)]
    if not train_ex or not parts["test"] or not parts["val"]:
        raise ValueError("too few commented games to train, validate and test on")
    test = [parts["test"][i] for i in rng.permutation(len(parts["test"]))[:test_examples]]
    valid = [parts["val"][i] for i in rng.permutation(len(parts["val"]))[:test_examples]]
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
    losses = {}
    variants = [("text_only", False, False), ("seq2seq", True, True)]
    if pointer:  # the record pointer without the header's words: what the moves and the board alone give
        variants.insert(1, ("moves_and_board", True, False))
    for name, see_game, header in variants:
        model = pointing_model(language_model, vocab, size) if see_game and pointer else copy.deepcopy(language_model)
        best = fit_kept_best(model, vocab, train_ex, valid, see_game, epochs=tune_epochs, lr=1e-3, name=name,
                             header=header, progress=progress, seed=seed)
        generated = generate(model, vocab, test, see_game, header)
        losses[name] = token_losses(model, vocab, test, see_game, header)  # the test comments are scored once
        report = {}
        for lang in ("en", "zh"):
            idx = [i for i, e in enumerate(test) if e["lang"] == lang]
            if idx:
                hyps, refs = [generated[i] for i in idx], [test[i] for i in idx]
                report[lang] = {"n": len(idx), "perplexity": perplexity_of([losses[name][i] for i in idx]),
                                "bleu": bleu(hyps, refs), "bleu_ci95": bleu_interval(hyps, refs)}
        report["all"] = {"n": len(test), "perplexity": perplexity_of(losses[name])}
        report["kept_epoch"], report["history"] = best["epoch"], best["history"]
        results[name] = report
        if see_game:
            results["samples"] = [{"real": detokenize(e["target"]), "generated": detokenize(g)}
                                  for e, g in zip(test[:10], generated)]
        print(name, report, file=sys.stderr, flush=True)
    ppl, base = results["seq2seq"]["all"]["perplexity"], results["text_only"]["all"]["perplexity"]
    results["perplexity_reduction"] = 1 - ppl / base
    results["saving"] = saving_by_kind(losses["text_only"], losses["seq2seq"], test, size)
    results["perplexity"] = perplexity_report(losses, "text_only", test, vocab, size)
    return results
