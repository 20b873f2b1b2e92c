"""Task 4a, rule commentary: a Seq2Seq model learns the sentences of the rule commentator (``rule_commentator``)
from the moves.

Source for move ``i``: the last ``WINDOW`` moves, each as a move-number token then a move token, with a few
engine facts per move (captures, liberties, neighbouring groups). Target: one of the commentator's paraphrases
(whitespace tokens, so ``D4`` and ``57`` are single tokens). Scored with sacreBLEU against all paraphrases of the
event as references, with and without attention, greedy and beam search.
"""
from __future__ import annotations

import random
import sys

import numpy as np
import torch
from torch import nn

from goengine.board import BLACK, Board, neighbor_table
from goengine.dataset import DataFilter
from goengine.game import Game, positions

from .data import iter_batches, read_split
from .encoding import PAD_ID, MoveVocab, TextVocab, pad_batch
from .metrics import game_interval
from .models import Seq2Seq
from .rule_commentator import TEMPLATES, event, render
from .training import fit

WINDOW = 8
MAX_NUMBER = 600
N_FEATURES = 6


def source_vocab_size(size: int) -> int:
    """Move tokens, then one token per move number 1 … ``MAX_NUMBER``."""
    return len(MoveVocab(size)) + MAX_NUMBER


def replay_events(game: Game, keep: set[int] = frozenset()) -> tuple[list, list[np.ndarray], dict[int, Board]]:
    """The commentator's event and the engine facts of every move (up to an illegal move, if any), and a copy of
    the board before each move number (1-based) in ``keep``."""
    placed: dict[int, int] = {}
    rows, events, boards = [], [], {}
    previous = None
    try:
        for i, (board, color, point) in enumerate(positions(game)):
            if i + 1 in keep:
                boards[i + 1] = board.copy()
            events.append(event(board, color, point, i + 1, placed, previous))
            rows.append(_facts(board, color, point))
            if point != board.pass_move:
                placed[point] = i + 1
            previous = point
    except ValueError:
        pass  # keep the moves before an illegal one
    return events, rows, boards


def move_source(game: Game, rows: list[np.ndarray], i: int) -> tuple[list[int], np.ndarray]:
    """The source for move ``i`` (0-based): the last ``WINDOW`` moves as (move number, move) token pairs, and
    their facts (zeros under the number tokens)."""
    vocab = MoveVocab(game.size)
    number0 = len(vocab) - 1
    src, feats = [], []
    for j in range(max(0, i - WINDOW + 1), i + 1):
        src += [number0 + min(j + 1, MAX_NUMBER), vocab.encode([game.moves[j][1]])[0]]
        feats += [np.zeros(N_FEATURES, np.float32), rows[j]]
    return src, np.stack(feats)


def game_examples(game: Game, per_game: int, rng: random.Random) -> list[dict]:
    """Up to ``per_game`` examples ``{src, features, refs, target}`` at random moves of ``game``."""
    events, rows, _ = replay_events(game)
    out = []
    for i in rng.sample(range(len(events)), min(per_game, len(events))):
        src, feats = move_source(game, rows, i)
        refs = [render(events[i], k) for k in range(len(TEMPLATES[events[i].kind]))]
        out.append({"src": src, "features": feats, "refs": refs, "target": rng.choice(refs),
                    "kind": events[i].kind})
    return out


def _facts(board, color: int, point: int) -> np.ndarray:
    """Engine facts of a move from the position before it: mover, adjacent groups and their liberties."""
    f = np.zeros(N_FEATURES, np.float32)
    f[0] = color == BLACK
    if point == board.pass_move:
        f[5] = 1
        return f
    own, opp = set(), set()
    opp_libs = [5]
    own_libs = [5]
    for q in neighbor_table(board.size)[point]:
        s = board.stones[q]
        if s:
            g = min(board.group_stones(q))
            (own if s == color else opp).add(g)
            (own_libs if s == color else opp_libs).append(board.liberties(q))
    f[1], f[2] = len(own) / 4, len(opp) / 4
    f[3], f[4] = min(opp_libs) / 5, min(own_libs) / 5
    return f


def build(paths: list[str], every: int, per_game: int, size: int = 19, seed: int = 0) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    parts, _ = read_split(paths, DataFilter(size=size), every=every)
    return {k: [{**e, "game": i} for i, g in enumerate(v) for e in game_examples(g, per_game, rng)]
            for k, v in parts.items()}


def collate(vocab: TextVocab, batch: list[dict]):
    src, lengths = pad_batch([e["src"] for e in batch])
    feats = torch.zeros(len(batch), src.shape[1], N_FEATURES)
    for i, e in enumerate(batch):
        feats[i, :len(e["src"])] = torch.from_numpy(e["features"])
    tgt, _ = pad_batch([vocab.encode(e["target"].split(), bos=True, eos=True) for e in batch])
    return src, lengths, feats, tgt


def loss_fn(model: nn.Module, batch) -> torch.Tensor:
    src, lengths, feats, tgt = batch
    logp = model(src, lengths, tgt, feats)
    return nn.functional.nll_loss(logp.transpose(1, 2), tgt[:, 1:], ignore_index=PAD_ID)


def generate(model: Seq2Seq, vocab: TextVocab, examples: list[dict], beam: int = 1) -> list[str]:
    out = []
    for batch in iter_batches(examples, 128):
        src, lengths, feats, _ = collate(vocab, batch)
        ids = model.greedy(src, lengths, 30, feats) if beam == 1 else model.beam_search(src, lengths, beam, 30, feats)
        out += [" ".join(vocab.decode(seq)) for seq in ids]
    return out


def bleu(hypotheses: list[str], examples: list[dict]) -> float:
    """Corpus sacreBLEU with every paraphrase of each event as a reference."""
    import sacrebleu
    n_refs = max(len(e["refs"]) for e in examples)
    streams = [[e["refs"][k % len(e["refs"])] for e in examples] for k in range(n_refs)]
    return float(sacrebleu.corpus_bleu(hypotheses, streams, force=True).score)  # already whitespace tokens


def bleu_interval(hypotheses: list[str], examples: list[dict], resamples: int = 200,
                  minus: list[str] | None = None) -> list[float]:
    """95% interval of ``bleu``, resampling the examples' games; corpus BLEU is slow, so fewer resamples. With
    ``minus`` (another model's outputs for the same examples), the paired interval of the difference."""
    def score(idx: np.ndarray) -> float:
        refs = [examples[i] for i in idx]
        value = bleu([hypotheses[i] for i in idx], refs)
        return value if minus is None else value - bleu([minus[i] for i in idx], refs)
    return game_interval(score, [e["game"] for e in examples], resamples=resamples)


def train_and_score(paths: list[str], *, every: int = 40, per_game: int = 30, epochs: int = 4, hidden: int = 128,
                    test_examples: int = 1000, size: int = 19, progress: bool = True, seed: int = 0) -> dict:
    """Train with and without attention on the same data; BLEU (greedy and beam 4) on held-out games."""
    parts = build(paths, every, per_game, size, seed)
    if not parts["train"]:
        raise ValueError("no usable games to train on")
    vocab = TextVocab.build((e["target"].split() for e in parts["train"]), min_freq=1)
    test = parts["test"][:test_examples]
    results: dict = {"examples": {k: len(v) for k, v in parts.items()}, "scored": len(test), "samples": []}
    outputs: dict[str, list[str]] = {}
    for attention in (True, False):
        torch.manual_seed(seed)
        model = Seq2Seq(source_vocab_size(size), len(vocab), embed=64, hidden=hidden, attention=attention,
                        src_features=N_FEATURES)
        fit(model, lambda e: (collate(vocab, b) for b in iter_batches(parts["train"], 64, seed=e)), loss_fn,
            epochs=epochs, lr=2e-3, clip=1.0, desc=f"seq2seq attention={attention}", progress=progress)
        greedy = generate(model, vocab, test)
        beam = generate(model, vocab, test[:300], beam=4)
        name = "attention" if attention else "no_attention"
        results[name] = {"bleu_greedy": bleu(greedy, test), "bleu_greedy_ci95": bleu_interval(greedy, test),
                         "bleu_beam4_first300": bleu(beam, test[:300]),
                         "bleu_beam4_first300_ci95": bleu_interval(beam, test[:300]),
                         "bleu_greedy_first300": bleu(greedy[:300], test[:300]),
                         "bleu_greedy_first300_ci95": bleu_interval(greedy[:300], test[:300])}
        outputs[name] = greedy
        if attention:
            results["samples"] = [{"reference": e["target"], "generated": g} for e, g in zip(test[:10], greedy)]
        print(name, results[name], file=sys.stderr, flush=True)
    results["attention_minus_no_attention"] = {
        "bleu_greedy": results["attention"]["bleu_greedy"] - results["no_attention"]["bleu_greedy"],
        "bleu_greedy_ci95": bleu_interval(outputs["attention"], test, minus=outputs["no_attention"])}
    return results
