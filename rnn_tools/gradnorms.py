"""Exploding gradients, shown: a vanilla (Elman) RNN on long sequences, trained with and without clipping.

The weights of the recurrent matrix start large (spectral radius above 1), so the gradient through many steps
grows; ``clip_grad_norm_`` rescales each step's gradient to at most ``max_norm``. ``run`` records the gradient
norm before clipping and the norm actually applied, per step, for both runs.
"""
from __future__ import annotations

import torch
from torch import nn


def run(seq_len: int = 200, steps: int = 60, max_norm: float | None = 1.0, hidden: int = 32, scale: float = 1.5,
        seed: int = 0) -> dict[str, list[float]]:
    """Train an Elman RNN to recall the first input at the end of a ``seq_len`` sequence; return the norms."""
    torch.manual_seed(seed)
    rnn = nn.RNN(1, hidden, batch_first=True, nonlinearity="tanh")
    with torch.no_grad():
        q, _ = torch.linalg.qr(torch.randn(hidden, hidden))
        rnn.weight_hh_l0.copy_(scale * q)  # orthogonal times scale: every singular value is ``scale``
    head = nn.Linear(hidden, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.01)
    raw, applied, losses = [], [], []
    for _ in range(steps):
        x = torch.randn(16, seq_len, 1)
        y = x[:, 0, 0]
        out, _ = rnn(x)
        loss = nn.functional.mse_loss(head(out[:, -1])[:, 0], y)
        opt.zero_grad()
        loss.backward()
        norm = float(nn.utils.clip_grad_norm_(params, max_norm if max_norm else float("inf")))
        after = float(torch.sqrt(sum((p.grad ** 2).sum() for p in params)))
        raw.append(norm)
        applied.append(after)
        losses.append(loss.item())
        opt.step()
    return {"raw": raw, "applied": applied, "loss": losses}


def plot(out: str, seq_len: int = 200, steps: int = 60, max_norm: float = 1.0) -> dict:
    """Run with and without clipping and draw both gradient-norm traces (log scale) into ``out`` (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    free = run(seq_len, steps, None)
    clipped = run(seq_len, steps, max_norm)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.semilogy(free["raw"], label="no clipping")
    a.semilogy(clipped["raw"], label="with clipping: norm before")
    a.semilogy(clipped["applied"], label=f"with clipping: norm applied (≤ {max_norm:g})")
    a.set_xlabel("training step")
    a.set_ylabel("gradient norm")
    a.set_title(f"Elman RNN, sequences of {seq_len} steps", fontsize=9)
    a.legend(fontsize=7)
    b.semilogy(free["loss"], label="no clipping")
    b.semilogy(clipped["loss"], label="with clipping")
    b.set_xlabel("training step")
    b.set_ylabel("loss")
    b.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return {"no_clipping": free, "clipping": clipped}


def summary(runs: dict) -> str:
    """One line per run: largest and median gradient norm before clipping, largest applied, final loss."""
    import statistics
    lines = []
    for name, r in runs.items():
        lines.append(f"{name}: norm before clipping max {max(r['raw']):.3g} median {statistics.median(r['raw']):.3g}; "
                     f"applied max {max(r['applied']):.3g}; loss first {r['loss'][0]:.3f} last {r['loss'][-1]:.3f}")
    return "\n".join(lines)
