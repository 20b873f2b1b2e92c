"""Networks for the tasks: a per-step tagger (many-to-many), a classifier (many-to-one) and ``Seq2Seq``.

Every model keeps the keyword arguments it was built with in ``config`` so that ``training.save_model`` can
write them beside the weights and ``build_model`` can rebuild it. ``impl='builtin'`` (the default, fast) uses
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` on packed sequences; ``impl='scratch'`` uses the cells of ``cells``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .cells import make_recurrent, reverse_padded
from .encoding import BOS_ID, EOS_ID, PAD_ID, UNK_ID, length_mask, one_hot

BUILTIN = {"elman": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RNNLayer(nn.Module):
    """One recurrent layer of kind elman / lstm / gru over a padded batch, built-in (packed) or from scratch."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, bidirectional: bool = False,
                 impl: str = "builtin", num_layers: int = 1):
        super().__init__()
        if kind not in BUILTIN:
            raise ValueError(f"unknown cell {kind!r}; choose from {sorted(BUILTIN)}")
        if impl not in ("builtin", "scratch"):
            raise ValueError("impl must be 'builtin' or 'scratch'")
        if impl == "scratch" and num_layers != 1:
            raise ValueError("the from-scratch cells run one layer")
        self.kind, self.impl = kind, impl
        self.output_size = hidden_size * (2 if bidirectional else 1)
        if impl == "builtin":
            self.rnn = BUILTIN[kind](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                     bidirectional=bidirectional)
        else:
            self.rnn = make_recurrent(kind, input_size, hidden_size, bidirectional)

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``x (B, T, I)`` -> (outputs ``(B, T, D*H)`` zero on padding, last hidden ``(B, D*H)``)."""
        lengths = lengths.cpu()
        if self.impl == "scratch":
            out, finals = self.rnn(x, lengths)
            hs = [f[0] if isinstance(f, tuple) else f for f in finals]
            return out, torch.cat(hs, dim=-1)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        h = h[0] if isinstance(h, tuple) else h
        last = h[-2:] if self.output_size != self.rnn.hidden_size else h[-1:]
        return out, torch.cat(list(last), dim=-1)


class TokenInput(nn.Module):
    """Tokens as an embedding (``embed > 0``) or as one-hot vectors (``embed == 0``), plus optional features."""

    def __init__(self, vocab_size: int, embed: int, features: int = 0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=PAD_ID) if embed else None
        self.size = (embed or vocab_size) + features

    def forward(self, tokens: Tensor, features: Tensor | None = None) -> Tensor:
        x = self.embedding(tokens) if self.embedding is not None else one_hot(tokens, self.vocab_size)
        return x if features is None else torch.cat([x, features], dim=-1)


class SequenceTagger(nn.Module):
    """Many-to-many: one output vector of ``n_out`` logits per step (causal unless ``bidirectional``).

    With ``skip`` the output layer reads the step's features beside the RNN's output (a skip connection), so a
    feature that already predicts the target well reaches the output in a straight line.
    """

    def __init__(self, vocab_size: int, n_out: int, embed: int = 64, hidden: int = 128, features: int = 0,
                 kind: str = "lstm", bidirectional: bool = False, impl: str = "builtin", num_layers: int = 1,
                 dropout: float = 0.0, skip: bool = False):
        super().__init__()
        self.config = dict(type="tagger", vocab_size=vocab_size, n_out=n_out, embed=embed, hidden=hidden,
                           features=features, kind=kind, bidirectional=bidirectional, impl=impl,
                           num_layers=num_layers, dropout=dropout, skip=skip)
        self.input = TokenInput(vocab_size, embed, features)
        self.rnn = RNNLayer(kind, self.input.size, hidden, bidirectional, impl, num_layers)
        self.drop = nn.Dropout(dropout)
        self.skip = skip and features > 0
        self.head = nn.Linear(self.rnn.output_size + (features if self.skip else 0), n_out)

    def forward(self, tokens: Tensor, lengths: Tensor, features: Tensor | None = None) -> Tensor:
        out, _ = self.rnn(self.input(tokens, features), lengths)
        out = self.drop(out)
        return self.head(torch.cat([out, features], dim=-1) if self.skip else out)


class BoardTagger(nn.Module):
    """Many-to-many over board planes: every point of the board runs the same recurrent cell over time, reading
    the ``kernel × kernel`` window of planes around it (a convolutional RNN whose recurrence is per point), and
    each step's logits are read from the state at one point, the move's.

    Every point shares the cell, so remembering something about a point (such as "emptied later", read
    backwards) is learnt once for all of them. Points are folded into the batch so that the built-in RNNs run it.
    They run unpacked (packing hundreds of thousands of short rows is slow on the CPU): padding comes after each
    sequence, so it cannot reach the forward outputs, and the backward layer reads each sequence reversed within
    its own length.
    """

    def __init__(self, planes: int, n_out: int, hidden: int = 16, kind: str = "gru", bidirectional: bool = False,
                 kernel: int = 3):
        super().__init__()
        if kind not in BUILTIN:
            raise ValueError(f"unknown cell {kind!r}; choose from {sorted(BUILTIN)}")
        self.config = dict(type="board_tagger", planes=planes, n_out=n_out, hidden=hidden, kind=kind,
                           bidirectional=bidirectional, kernel=kernel)
        self.kernel = kernel
        inputs = planes * kernel * kernel
        self.forward_rnn = BUILTIN[kind](inputs, hidden, batch_first=True)
        self.backward_rnn = BUILTIN[kind](inputs, hidden, batch_first=True) if bidirectional else None
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_out)

    def forward(self, planes: Tensor, lengths: Tensor, points: Tensor) -> Tensor:
        """``planes (B, T, C, H, W)``, ``points (B, T)`` (index into H·W; negative: none) -> ``(B, T, n_out)``."""
        b, t, c, h, w = planes.shape
        windows = nn.functional.unfold(planes.reshape(b * t, c, h, w), self.kernel, padding=self.kernel // 2)
        x = windows.reshape(b, t, -1, h * w).permute(0, 3, 1, 2).reshape(b * h * w, t, -1)
        out = self.forward_rnn(x)[0]
        if self.backward_rnn is not None:
            per_row = lengths.cpu().repeat_interleave(h * w)
            back = self.backward_rnn(reverse_padded(x, per_row))[0]
            out = torch.cat([out, reverse_padded(back, per_row)], dim=-1)
        out = out.reshape(b, h * w, t, -1)
        index = points.clamp(min=0)[:, None, :, None].expand(b, 1, t, out.shape[-1])
        return self.head(out.gather(1, index)[:, 0])


class SequenceClassifier(nn.Module):
    """Many-to-one: a (bi)directional RNN, max- and mean-pooled over the real steps, then a linear layer."""

    def __init__(self, vocab_size: int, n_classes: int, embed: int = 100, hidden: int = 128, kind: str = "lstm",
                 bidirectional: bool = True, impl: str = "builtin", dropout: float = 0.3):
        super().__init__()
        self.config = dict(type="classifier", vocab_size=vocab_size, n_classes=n_classes, embed=embed,
                           hidden=hidden, kind=kind, bidirectional=bidirectional, impl=impl, dropout=dropout)
        self.input = TokenInput(vocab_size, embed)
        self.rnn = RNNLayer(kind, self.input.size, hidden, bidirectional, impl)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * self.rnn.output_size, n_classes)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        out, _ = self.rnn(self.drop(self.input(tokens)), lengths)
        mask = length_mask(lengths, tokens.shape[1]).to(out.device)[..., None]
        mean = (out * mask).sum(1) / mask.sum(1)
        top = out.masked_fill(~mask, float("-inf")).max(1).values
        return self.head(self.drop(torch.cat([mean, top], dim=-1)))


class LuongAttention(nn.Module):
    """Luong's "general" attention: ``score(s, h_j) = s^T W h_j``, softmax over the real source steps."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        self.proj = nn.Linear(key_size, query_size, bias=False)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``query (B, Q)``, ``keys (B, S, K)``, ``mask (B, S)`` -> (context ``(B, K)``, weights ``(B, S)``)."""
        scores = torch.einsum("bq,bsq->bs", query, self.proj(keys))
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        return torch.einsum("bs,bsk->bk", weights, keys), weights


class Seq2Seq(nn.Module):
    """Encoder-decoder: a bidirectional GRU reads the source, a GRU decoder writes the target.

    With ``attention`` the decoder combines its state with a Luong context over the encoder outputs at every
    step; without it, it sees only the encoder's final state. ``dropout`` applies to the source and target
    embeddings and to the layer before the output (training only). Training uses teacher forcing (the true previous
    token is fed in); ``greedy`` and ``beam_search`` decode.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, embed: int = 64, hidden: int = 128, attention: bool = True,
                 src_features: int = 0, dropout: float = 0.0):
        super().__init__()
        self.config = dict(type="seq2seq", src_vocab=src_vocab, tgt_vocab=tgt_vocab, embed=embed, hidden=hidden,
                           attention=attention, src_features=src_features, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.src_input = TokenInput(src_vocab, embed, src_features)
        self.encoder = RNNLayer("gru", self.src_input.size, hidden, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=PAD_ID)
        self.decoder = nn.GRUCell(embed, hidden)
        self.attention = LuongAttention(hidden, 2 * hidden) if attention else None
        self.combine = nn.Linear(hidden + (2 * hidden if attention else 0), hidden)
        self.out = nn.Linear(hidden, tgt_vocab)

    def encode(self, src: Tensor, lengths: Tensor, features: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        keys, last = self.encoder(self.drop(self.src_input(src, features)), lengths)
        mask = length_mask(lengths, src.shape[1]).to(src.device)
        return keys, mask, torch.tanh(self.bridge(last))

    def step(self, token: Tensor, state: Tensor, keys: Tensor, mask: Tensor,
             extra: dict | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """One decoder step: (log-probabilities ``(B, V)``, new state, attention weights or None). ``extra``:
        per-example inputs that a subclass's step reads (``PointingSeq2Seq``: what its pointers point at)."""
        h, state, weights = self.decode(token, state, keys, mask)
        return torch.log_softmax(self.out(self.drop(h)), dim=-1), state, weights

    def decode(self, token: Tensor, state: Tensor, keys: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        """The decoder reads ``token``: (the layer before the output, new state, attention weights or None)."""
        state = self.decoder(self.drop(self.tgt_embed(token)), state)
        weights = None
        mixed = state
        if self.attention is not None:
            context, weights = self.attention(state, keys, mask)
            mixed = torch.cat([state, context], dim=-1)
        return torch.tanh(self.combine(mixed)), state, weights

    def forward(self, src: Tensor, lengths: Tensor, tgt: Tensor, features: Tensor | None = None,
                extra: dict | None = None) -> Tensor:
        """Teacher forcing: ``tgt (B, L)`` starts with ``<bos>``; returns log-probabilities for ``tgt[:, 1:]``."""
        keys, mask, state = self.encode(src, lengths, features)
        outs = []
        for t in range(tgt.shape[1] - 1):
            logp, state, _ = self.step(tgt[:, t], state, keys, mask, extra)
            outs.append(logp)
        return torch.stack(outs, dim=1)

    @torch.no_grad()
    def greedy(self, src: Tensor, lengths: Tensor, max_len: int = 40, features: Tensor | None = None,
               extra: dict | None = None) -> list[list[int]]:
        keys, mask, state = self.encode(src, lengths, features)
        token = torch.full((src.shape[0],), BOS_ID, dtype=torch.long, device=src.device)
        out = [[] for _ in range(src.shape[0])]
        done = torch.zeros(src.shape[0], dtype=torch.bool)
        for _ in range(max_len):
            logp, state, _ = self.step(token, state, keys, mask, extra)
            token = logp.argmax(-1)
            for i, t in enumerate(token.tolist()):
                if not done[i]:
                    out[i].append(t)
            done |= token.cpu() == EOS_ID
            if bool(done.all()):
                break
        return [[t for t in seq if t != EOS_ID] for seq in out]

    @torch.no_grad()
    def beam_search(self, src: Tensor, lengths: Tensor, beam: int = 4, max_len: int = 40,
                    features: Tensor | None = None, length_penalty: float = 0.0) -> list[list[int]]:
        """Keep the ``beam`` best partial outputs per source; score = log-probability / length**penalty."""
        results = []
        for i in range(src.shape[0]):
            f = None if features is None else features[i:i + 1]
            keys, mask, state = self.encode(src[i:i + 1], lengths[i:i + 1], f)
            beams = [(0.0, [BOS_ID], state)]
            finished: list[tuple[float, list[int]]] = []
            for _ in range(max_len):
                tokens = torch.tensor([b[1][-1] for b in beams], device=src.device)
                states = torch.cat([b[2] for b in beams], dim=0)
                n = len(beams)
                logp, states, _ = self.step(tokens, states, keys.expand(n, -1, -1), mask.expand(n, -1))
                total = torch.tensor([b[0] for b in beams], device=src.device)[:, None] + logp
                top = total.view(-1).topk(min(beam, total.numel()))
                candidates = []
                for score, flat in zip(top.values.tolist(), top.indices.tolist()):
                    j, tok = divmod(flat, logp.shape[1])
                    seq = beams[j][1] + [tok]
                    if tok == EOS_ID:
                        finished.append((score / max(1, len(seq) - 2) ** length_penalty, seq[1:-1]))
                    else:
                        candidates.append((score, seq, states[j:j + 1]))
                beams = candidates
                if not beams or (len(finished) >= beam and max(f[0] for f in finished) >= beams[0][0]):
                    break
            finished += [(s / max(1, len(q) - 1) ** length_penalty, q[1:]) for s, q, _ in beams]
            results.append(max(finished, key=lambda f: f[0])[1])
        return results


class PointingSeq2Seq(Seq2Seq):
    """``Seq2Seq`` that can also copy from the game it reads: name a board point by pointing at it, and copy a word
    of the record (a move number, a player's or reviewer's name) by pointing at it (a pointer-generator).

    A point's name is two target tokens, its column letter and its row number ("r", "9"). At every step an
    additive attention scores every point from its features (``extra["points"] (B, size², F)``: where it lies from
    the last moves, what stands on it) and the decoder's state. The column letters get the summed probability of
    their points; after a column letter, the row numbers get the probabilities of that column's points.
    A second attention scores the record's words (``extra["copy_ids"] (B, C)``: their target ids, with
    ``extra["copy_features"] (B, C, G)`` and ``extra["copy_mask"] (B, C)``, True where a word stands) from their
    embedding and features; each word's target id gets its probability. A word outside the vocabulary (``<unk>``)
    is never copied: copying one unknown name would "predict" any other unknown word. A learned gate mixes the
    softmax over the words with the two pointers (an example with no word to copy gets no record pointer).
    Without ``extra`` it is a plain ``Seq2Seq``; either pointer may be left out.
    ``columns`` / ``rows``: the target ids of the column letters (left to right) and of the row numbers (1 up).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, columns: list[int], rows: list[int], point_features: int,
                 copy_features: int = 0, embed: int = 64, hidden: int = 128, attention: bool = True,
                 src_features: int = 0, dropout: float = 0.0):
        super().__init__(src_vocab, tgt_vocab, embed, hidden, attention, src_features, dropout)
        if len(columns) != len(rows) or min(columns + rows) < 0 or max(columns + rows) >= tgt_vocab:
            raise ValueError("columns and rows need one target id per line of the board")
        self.config.update(type="pointing_seq2seq", columns=list(columns), rows=list(rows),
                           point_features=point_features, copy_features=copy_features)
        self.register_buffer("column_ids", torch.tensor(columns))
        self.register_buffer("row_ids", torch.tensor(rows))
        column_of = torch.full((tgt_vocab,), -1, dtype=torch.long)
        column_of[self.column_ids] = torch.arange(len(columns))
        self.register_buffer("column_of", column_of)
        self.point_proj = nn.Linear(point_features, hidden)
        self.query_proj = nn.Linear(hidden, hidden, bias=False)
        self.point_score = nn.Linear(hidden, 1, bias=False)
        self.copy_proj = nn.Linear(copy_features + embed, hidden)
        self.copy_query = nn.Linear(hidden, hidden, bias=False)
        self.copy_score = nn.Linear(hidden, 1, bias=False)
        self.gate = nn.Linear(hidden, 3)  # words, board, record
        nn.init.zeros_(self.gate.weight)
        with torch.no_grad():
            self.gate.bias.copy_(torch.tensor([0.0, -2.0, -2.0]))  # start close to the plain model

    def forward(self, src: Tensor, lengths: Tensor, tgt: Tensor, features: Tensor | None = None,
                extra: dict | None = None) -> Tensor:
        return super().forward(src, lengths, tgt, features, self._project(extra))

    @torch.no_grad()
    def greedy(self, src: Tensor, lengths: Tensor, max_len: int = 40, features: Tensor | None = None,
               extra: dict | None = None) -> list[list[int]]:
        return super().greedy(src, lengths, max_len, features, self._project(extra))

    def _project(self, extra: dict | None) -> dict | None:
        """The pointers' inputs, projected once per batch (they are the same at every step)."""
        if not extra:
            return None
        out = {}
        if extra.get("points") is not None:
            out["points"] = self.point_proj(extra["points"])
        if extra.get("copy_ids") is not None:
            words = self.tgt_embed(extra["copy_ids"])
            out["copy_keys"] = self.copy_proj(torch.cat([extra["copy_features"], words], dim=-1))
            out["copy_ids"] = extra["copy_ids"]
            out["copy_mask"] = extra["copy_mask"] & (extra["copy_ids"] != UNK_ID)
        return out or None

    def step(self, token: Tensor, state: Tensor, keys: Tensor, mask: Tensor,
             extra: dict | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """As ``Seq2Seq.step``; ``extra``: the projected pointer inputs (``_project``), or None for no pointer."""
        if extra is None:
            return super().step(token, state, keys, mask)
        h, state, weights = self.decode(token, state, keys, mask)
        words = torch.softmax(self.out(self.drop(h)), dim=-1)
        copyable = extra["copy_mask"].any(-1) if "copy_keys" in extra else torch.zeros(len(h), dtype=torch.bool)
        missing = torch.stack([torch.zeros_like(copyable), torch.full_like(copyable, "points" not in extra),
                               ~copyable], dim=1).to(h.device)
        gate = torch.softmax(self.gate(h).masked_fill(missing, float("-inf")), dim=-1)
        mixed = gate[:, :1] * words
        if "points" in extra:
            mixed = mixed + gate[:, 1:2] * self._board_copy(token, h, extra["points"], words)
        if "copy_keys" in extra:
            scores = self.copy_score(torch.tanh(extra["copy_keys"] + self.copy_query(h)[:, None]))[..., 0]
            hidden = ~extra["copy_mask"] & copyable[:, None]  # a row with nothing to copy stays finite, gated off
            attn = torch.softmax(scores.masked_fill(hidden, float("-inf")), dim=-1)
            mixed = mixed + gate[:, 2:3] * torch.zeros_like(words).scatter_add(1, extra["copy_ids"], attn)
        return torch.log(mixed.clamp(min=1e-12)), state, weights

    def _board_copy(self, token: Tensor, h: Tensor, points: Tensor, words: Tensor) -> Tensor:
        """The board pointer's distribution over the target words: column letters, or after one, row numbers."""
        b, size = token.shape[0], len(self.column_ids)
        scores = self.point_score(torch.tanh(points + self.query_proj(h)[:, None]))[..., 0]
        grid = torch.softmax(scores, dim=-1).view(b, size, size)  # [row, column]
        column = self.column_of[token]  # the column just named, -1 after any other token
        named = (column >= 0)[:, None]
        in_column = grid.gather(2, column.clamp(min=0)[:, None, None].expand(b, size, 1))[..., 0]
        in_column = in_column / in_column.sum(-1, keepdim=True).clamp(min=1e-9)
        copy = torch.zeros_like(words).index_add(1, self.column_ids, torch.where(named, 0.0, grid.sum(1)))
        return copy.index_add(1, self.row_ids, torch.where(named, in_column, 0.0))


class ProbabilityAverage(nn.Module):
    """An ensemble of binary models with the same inputs: the mean of their probabilities, returned as logits
    (so ``sigmoid`` of the output is that mean). Members trained from different seeds err differently."""

    def __init__(self, members: list[dict] | list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(m if isinstance(m, nn.Module) else build_model(m) for m in members)
        if not self.members:
            raise ValueError("an ensemble needs at least one member")
        self.config = dict(type="probability_average", members=[m.config for m in self.members])

    def forward(self, *inputs: Tensor) -> Tensor:
        probs = torch.stack([torch.sigmoid(m(*inputs)) for m in self.members]).mean(0)
        return torch.logit(probs, eps=1e-6)


def build_model(config: dict) -> nn.Module:
    """Rebuild a model from its ``config``."""
    kwargs = dict(config)
    kind = kwargs.pop("type")
    if kind == "probability_average":
        return ProbabilityAverage(kwargs["members"])
    classes = {"tagger": SequenceTagger, "board_tagger": BoardTagger, "classifier": SequenceClassifier,
               "seq2seq": Seq2Seq, "pointing_seq2seq": PointingSeq2Seq}
    if kind not in classes:
        raise ValueError(f"unknown model type {kind!r}")
    return classes[kind](**kwargs)
