"""Tokens for moves and text, one-hot vectors, and padding to a batch.

Moves: ``MoveVocab`` maps a flat point (pass = ``size*size``) to a token after four specials, so a 19x19 board
has 361 + 1 + 4 tokens. Text: ``TextVocab`` splits English into words and Chinese into characters and keeps
the most frequent tokens; ``<mask>`` stands for a word hidden from the model (see ``sentiment``).
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

import torch

PAD, BOS, EOS, UNK, MASK = "<pad>", "<bos>", "<eos>", "<unk>", "<mask>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3


class MoveVocab:
    """Moves on a ``size`` board as tokens: 0-3 are the specials, ``4 + point`` a move (pass included)."""

    offset = len(SPECIALS)

    def __init__(self, size: int = 19):
        if not isinstance(size, int) or not 2 <= size <= 25:
            raise ValueError(f"board size must be an integer from 2 to 25, got {size!r}")
        self.size = size

    def __len__(self) -> int:
        return self.offset + self.size * self.size + 1

    def encode(self, points: Iterable[int]) -> list[int]:
        limit = self.size * self.size
        out = []
        for p in points:
            if not 0 <= p <= limit:
                raise ValueError(f"point {p} is off a {self.size}x{self.size} board")
            out.append(self.offset + p)
        return out

    def decode(self, tokens: Iterable[int]) -> list[int]:
        """Tokens back to points, dropping specials."""
        return [t - self.offset for t in tokens if t >= self.offset]


_TOKEN_RE = re.compile(r"<mask>|[a-z]+(?:'[a-z]+)?|\d+|[\u3400-\u9fff\uf900-\ufaff]|[^\s\w]", re.I)


def tokenize(text: str) -> list[str]:
    """Lower-cased words, numbers and punctuation; each CJK character is a token; ``<mask>`` is kept whole."""
    return [t.lower() for t in _TOKEN_RE.findall(text)]


class TextVocab:
    """Text tokens: the specials, then ``<mask>``, then the ``max_size`` most frequent tokens seen."""

    def __init__(self, tokens: Sequence[str]):
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if self.itos[:len(SPECIALS)] != list(SPECIALS):
            raise ValueError("a text vocabulary must start with the special tokens")

    @classmethod
    def build(cls, texts: Iterable[Sequence[str]], max_size: int = 20000, min_freq: int = 2) -> "TextVocab":
        counts = Counter(t for text in texts for t in text)
        counts.pop(MASK, None)
        kept = [t for t, c in counts.most_common(max_size) if c >= min_freq and t not in SPECIALS]
        return cls(list(SPECIALS) + [MASK] + kept)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str], bos: bool = False, eos: bool = False) -> list[int]:
        ids = [self.stoi.get(t, UNK_ID) for t in tokens]
        return ([BOS_ID] if bos else []) + ids + ([EOS_ID] if eos else [])

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids back to tokens, stopping at ``<eos>`` and dropping ``<pad>`` / ``<bos>``."""
        out = []
        for i in ids:
            if i == EOS_ID:
                break
            if i not in (PAD_ID, BOS_ID):
                out.append(self.itos[i])
        return out


def one_hot(tokens: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """``(…)`` integer tokens -> ``(…, vocab_size)`` float one-hot vectors (padding becomes a zero vector)."""
    out = torch.nn.functional.one_hot(tokens.long(), vocab_size).float()
    out[..., PAD_ID] = 0.0
    return out


def pad_batch(seqs: Sequence[Sequence[int]], value: int = PAD_ID) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad integer sequences into ``(B, T)``; also return the lengths ``(B,)``. Empty sequences are refused."""
    if not seqs:
        raise ValueError("cannot pad an empty batch")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError("cannot pad an empty sequence (a game without moves or an empty text)")
    out = torch.full((len(seqs), int(lengths.max())), value, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out, lengths


def length_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``(B, T)`` boolean mask, True on real steps and False on padding."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len)[None, :] < lengths[:, None]
