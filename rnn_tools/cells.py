"""Recurrent cells written with plain tensor operations, readable as the textbook formulas.

Each cell maps ``(x_t, state_{t-1}) -> (output_t, state_t)`` for a batch. Parameter names and gate order follow
``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``; gates i, f, g, o and
r, z, n), so ``copy_from_builtin`` can load a built-in layer's weights and the tests compare outputs.
``Recurrent`` runs a cell over a padded batch, keeping the state unchanged on padded steps, in one or both
directions.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

State = Tensor | tuple[Tensor, Tensor]


class _Cell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, gates: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(gates * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(gates * hidden_size))
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def init_state(self, batch: int) -> State:
        return self.weight_hh.new_zeros(batch, self.hidden_size)


class ElmanCell(_Cell):
    """Simple RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``; the output is ``h_t``."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 1)

    def forward(self, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        h = torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
        return h, h


class JordanCell(_Cell):
    """Jordan network: the previous *output* is fed back instead of the hidden state.

    ``h_t = tanh(W_ih x_t + b_ih + W_hh y_{t-1} + b_hh)``, ``y_t = W_hy h_t + b_y``; the state is ``y_t``.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__(input_size, hidden_size, 1)
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, output_size).uniform_(-0.1, 0.1))
        self.out = nn.Linear(hidden_size, output_size)

    @property
    def output_size(self) -> int:
        return self.out.out_features

    def init_state(self, batch: int) -> Tensor:
        return self.weight_hh.new_zeros(batch, self.output_size)

    def forward(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        h = torch.tanh(x @ self.weight_ih.T + self.bias_ih + y @ self.weight_hh.T + self.bias_hh)
        y = self.out(h)
        return y, y


class LSTMCell(_Cell):
    """LSTM with input, forget and output gates and a cell state ``c``.

    ``i, f, o = σ(·)``, ``g = tanh(·)`` of ``W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``;
    ``c_t = f ⊙ c_{t-1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)``.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 4)

    def init_state(self, batch: int) -> tuple[Tensor, Tensor]:
        zero = self.weight_hh.new_zeros(batch, self.hidden_size)
        return zero, zero.clone()

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h, c = state
        z = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = z.chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, (h, c)


class GRUCell(_Cell):
    """GRU with reset gate ``r`` and update gate ``z``.

    ``r, z = σ(W_i x_t + b_i + W_h h_{t-1} + b_h)``, ``n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))``,
    ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size, 3)

    def forward(self, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        xr, xz, xn = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        hr, hz, hn = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        return h, h


CELLS = {"elman": ElmanCell, "lstm": LSTMCell, "gru": GRUCell}


def _keep(new: State, old: State, step_mask: Tensor) -> State:
    """The new state where ``step_mask`` is True, the old one on padded steps."""
    m = step_mask[:, None]
    if isinstance(new, tuple):
        return tuple(torch.where(m, a, b) for a, b in zip(new, old))
    return torch.where(m, new, old)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of ``x (B, T, …)`` within its own length, leaving the padding in place."""
    t = x.shape[1]
    idx = torch.arange(t)[None, :].expand(len(lengths), t)
    rev = (lengths[:, None] - 1 - idx)
    rev = torch.where(rev >= 0, rev, idx)
    return x.gather(1, rev.view(*rev.shape, *([1] * (x.dim() - 2))).expand_as(x))


class Recurrent(nn.Module):
    """Run a cell over ``x (B, T, I)``; with ``bidirectional`` a second cell reads each sequence backwards.

    Returns ``(outputs (B, T, D * out), final states)``; outputs on padded steps are zero and the state stops
    at each sequence's last real step.
    """

    def __init__(self, cell: nn.Module, backward_cell: nn.Module | None = None):
        super().__init__()
        self.cell = cell
        self.backward_cell = backward_cell

    @property
    def bidirectional(self) -> bool:
        return self.backward_cell is not None

    @staticmethod
    def _run(cell: nn.Module, x: Tensor, mask: Tensor, state: State | None) -> tuple[Tensor, State]:
        state = cell.init_state(x.shape[0]) if state is None else state
        outs = []
        for t in range(x.shape[1]):
            out, new = cell(x[:, t], state)
            state = _keep(new, state, mask[:, t])
            outs.append(out * mask[:, t, None])
        return torch.stack(outs, dim=1), state

    def forward(self, x: Tensor, lengths: Tensor | None = None, state: State | None = None) -> tuple[Tensor, list]:
        b, t = x.shape[:2]
        lengths = torch.full((b,), t, dtype=torch.long) if lengths is None else lengths.cpu()
        mask = (torch.arange(t)[None, :] < lengths[:, None]).to(x.device)
        out, final = self._run(self.cell, x, mask, state)
        if self.backward_cell is None:
            return out, [final]
        back, final_b = self._run(self.backward_cell, reverse_padded(x, lengths), mask, None)
        return torch.cat([out, reverse_padded(back, lengths)], dim=-1), [final, final_b]


def make_recurrent(kind: str, input_size: int, hidden_size: int, bidirectional: bool = False) -> Recurrent:
    """A from-scratch ``Recurrent`` of kind elman, lstm or gru."""
    if kind not in CELLS:
        raise ValueError(f"unknown cell {kind!r}; choose from {sorted(CELLS)}")
    cls = CELLS[kind]
    return Recurrent(cls(input_size, hidden_size), cls(input_size, hidden_size) if bidirectional else None)


@torch.no_grad()
def copy_from_builtin(rec: Recurrent, builtin: nn.RNNBase) -> Recurrent:
    """Load the first layer of ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` into a from-scratch ``Recurrent``."""
    for cell, suffix in ((rec.cell, ""), (rec.backward_cell, "_reverse")):
        if cell is None:
            continue
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(builtin, f"{name}_l0{suffix}"))
    return rec
