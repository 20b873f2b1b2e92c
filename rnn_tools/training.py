"""Training loop (Adam, gradient clipping, progress bar, resumable checkpoints), keeping the best validation
epoch, and model files.

Model files are in the project's one model-file format (``policy.modelfile``: written atomically, read
weights-only, the weights checked against their SHA-256): kind ``rnn_tools-model``, whose ``config`` rebuilds the
network (``models.build_model``) and whose ``meta`` carries what a user of the file needs (vocabulary, feature
description, data summary, metrics). Files of the first version (``rnn_tools-model-1``, no checksum) still load.
"""
from __future__ import annotations

import copy
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from torch import Tensor, nn
from tqdm import tqdm

from policy import modelfile
from policy.modelfile import ModelFileError, atomic_save

from .models import build_model

FORMAT, FORMAT_VERSION = "rnn_tools-model", 2
LEGACY_FORMATS = {"rnn_tools-model-1": 1}  # files written before the shared format: no version, no checksum


def save_model(path: str, model: nn.Module, meta: dict) -> None:
    """Write ``model`` (its ``config`` and weights) with ``meta`` to ``path``."""
    atomic_save(modelfile.record(FORMAT, FORMAT_VERSION, model.config, model.state_dict(), meta=meta), path)


def load_model(path: str) -> tuple[nn.Module, dict]:
    """Read a model file written by ``save_model``; return (model in eval mode, meta). ``ModelFileError`` (a
    ``ValueError``) if it is unusable."""
    blob = modelfile.read(path, FORMAT, (1, FORMAT_VERSION), required=("meta",), legacy=LEGACY_FORMATS)
    try:
        model = build_model(blob["config"])
        model.load_state_dict(blob["state_dict"])
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: the weights do not fit the model it describes ({exc})") from exc
    return model.eval(), blob["meta"]


@dataclass
class FitResult:
    losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    grad_norms: list[float] = field(default_factory=list)  # gradient norm before clipping, per step
    epochs_done: int = 0


def fit(model: nn.Module, batches: Callable[[int], Iterable], loss_fn: Callable[[nn.Module, object], Tensor], *,
        epochs: int, lr: float = 2e-3, lr_decay: float = 1.0, clip: float | None = 1.0,
        checkpoint: str | None = None,
        desc: str = "train", after_epoch: Callable[[int, float], None] | None = None,
        progress: bool = True) -> FitResult:
    """Train with Adam; ``batches(epoch)`` yields batches, ``loss_fn(model, batch)`` returns a scalar loss.

    The learning rate of epoch ``e`` (from 0) is ``lr * lr_decay ** e``.
    Gradients are clipped to norm ``clip`` (``clip_grad_norm_``) at every step. With ``checkpoint`` the state
    is saved after every epoch and a run resumes from it; an ``after_epoch`` with ``state_dict`` /
    ``load_state_dict`` (such as ``KeepBest``) is saved and resumed with it.
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    result = FitResult()
    if checkpoint and os.path.exists(checkpoint):
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        result.losses, result.epochs_done = list(state["losses"]), int(state["epoch"])
        if state.get("after_epoch") is not None and hasattr(after_epoch, "load_state_dict"):
            after_epoch.load_state_dict(state["after_epoch"])
    for epoch in range(result.epochs_done, epochs):
        for group in opt.param_groups:
            group["lr"] = lr * lr_decay ** epoch
        model.train()
        total, count = 0.0, 0
        bar = tqdm(batches(epoch), desc=f"{desc} epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for batch in bar:
            loss = loss_fn(model, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch + 1}")
            opt.zero_grad()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), clip if clip else math.inf)
            result.grad_norms.append(float(norm))
            opt.step()
            total, count = total + loss.item(), count + 1
            bar.set_postfix(loss=f"{total / count:.4f}")
        result.losses.append(total / max(1, count))
        result.epochs_done = epoch + 1
        model.eval()
        if after_epoch is not None:
            after_epoch(epoch, result.losses[-1])
        if checkpoint:
            atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                          "losses": result.losses,
                          "after_epoch": after_epoch.state_dict() if hasattr(after_epoch, "state_dict") else None},
                         checkpoint)
    model.eval()
    return result


class KeepBest:
    """An ``after_epoch`` callback for ``fit`` that scores the model after every epoch and keeps a copy of the
    weights of its best epoch; ``restore()`` loads them back. Ties go to the later epoch.

    ``evaluate()`` returns ``(score, record)``: the number to compare (higher is better unless
    ``higher_is_better`` is false) and what to log in ``history`` beside the epoch and its training loss.
    """

    def __init__(self, model: nn.Module, evaluate: Callable[[], tuple[float, dict]], *,
                 higher_is_better: bool = True, name: str = "train"):
        self.model, self.evaluate, self.name = model, evaluate, name
        self.sign = 1.0 if higher_is_better else -1.0
        self.history: list[dict] = []
        self.epoch, self._best, self._state = 0, -math.inf, None

    def consider(self, epoch: int, loss: float | None = None) -> None:
        """Score the model as it is after ``epoch`` epochs (0: the weights it starts from)."""
        score, record = self.evaluate()
        self.history.append({"epoch": epoch, **({} if loss is None else {"loss": loss}), **record})
        shown = "" if loss is None else f" loss {loss:.4f}"
        print(f"{self.name} epoch {epoch}:{shown} {record}", file=sys.stderr, flush=True)
        if self.sign * score >= self._best:
            self.epoch, self._best, self._state = epoch, self.sign * score, copy.deepcopy(self.model.state_dict())

    def __call__(self, epoch: int, loss: float) -> None:
        self.consider(epoch + 1, loss)

    def state_dict(self) -> dict:
        """What a resumed run needs: the history, the kept epoch, its score and weights."""
        return {"history": self.history, "epoch": self.epoch, "best": self._best, "state": self._state}

    def load_state_dict(self, state: dict) -> None:
        self.history, self.epoch, self._best, self._state = (list(state["history"]), state["epoch"], state["best"],
                                                             state["state"])

    def restore(self) -> int:
        """Load the kept weights (if any epoch was scored) and return the kept epoch."""
        if self._state is not None:
            self.model.load_state_dict(self._state)
        return self.epoch
