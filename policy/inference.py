"""Inference: a loaded model that gives move probabilities (illegal moves masked) and a value for boards."""
from __future__ import annotations

import os

import numpy as np
import torch

from goengine.board import Board
from goengine.features import feature_set_for_planes

from .checkpoint import features_of, load_model
from .eval_cache import EvalCache
from .runtimes import make_forward, resolve


def pick_device(name: str | None = None) -> torch.device:
    """``cpu``, ``cuda``, ``cuda:N`` or None / ``auto`` (CUDA when available)."""
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for but is not available on this machine")
    return device


class Policy:
    """A policy-value network ready to evaluate boards.

    ``predict(board)`` returns ``(probs, value)``: ``probs`` over ``size*size + 1`` moves (pass last), zero on
    illegal moves and summing to 1; ``value`` in [-1, 1] is the expected result for the side to move.

    ``runtime`` is one of ``policy.runtimes.RUNTIMES``; the attribute holds the one in use once resolved, and
    ``forward`` its function from planes to logits and values (a benchmark may swap in another).
    ``cache_size`` > 0 keeps that many evaluations in an ``EvalCache`` (``cache``), for searches that meet the
    same input again.
    """

    def __init__(self, model: torch.nn.Module, record: dict | None = None, device: str | None = "cpu",
                 runtime: str = "eager", cache_size: int = 0):
        self.device = pick_device(device)
        self.runtime = resolve(runtime, self.device)
        # channels-last: oneDNN's preferred convolution layout on the CPU (benchmarks/policy_latency.py: the same
        # speed as NCHW at batch 8, 1.1x at batch 1 and 1.2-1.3x at 64 on the idle 2-core machine), and the
        # tensor cores' layout on a GPU
        self.model = model.to(self.device).eval().to(memory_format=torch.channels_last)
        self.record = record or {}
        # the planes the network was trained on: named by its model file, else the set with its plane count
        self.features = features_of(record) if record else feature_set_for_planes(model.config.in_planes)
        self.forward = make_forward(self.model, self.runtime, self.device)
        self.cache = EvalCache(cache_size) if cache_size > 0 else None

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, device: str | None = "cpu", runtime: str = "eager",
             cache_size: int = 0) -> "Policy":
        """Load a model file (the shipped default when ``path`` is None)."""
        model, record = load_model(path)
        return cls(model, record, device, runtime, cache_size)

    @property
    def description(self) -> dict:
        return {k: v for k, v in self.record.items() if k not in ("state_dict", "optimizer")}

    def logits_batch(self, boards: list[Board]) -> tuple[np.ndarray, np.ndarray]:
        """Raw policy logits ``[B, N*N+1]`` and values ``[B]`` for boards of one size (no masking)."""
        if not boards:
            raise ValueError("no boards given")
        size = boards[0].size
        if any(b.size != size for b in boards):
            raise ValueError("all boards in a batch must have the same size")
        return self.run(np.stack([self.features.encode(b) for b in boards]))

    def run(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The network on feature planes ``[B, C, N, N]`` (floats or 0/1 bytes): logits and values as numpy."""
        if self.cache is not None:
            return self.cache.evaluate(planes, self.forward)
        return self.forward(planes)

    def predict_batch(self, boards: list[Board], temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Masked move probabilities ``[B, N*N+1]`` and values ``[B]``."""
        logits, values = self.logits_batch(boards)
        probs = np.empty_like(logits)
        for i, board in enumerate(boards):
            probs[i] = masked_softmax(logits[i], board.legal_mask(), temperature)
        return probs, values

    def predict(self, board: Board, temperature: float = 1.0) -> tuple[np.ndarray, float]:
        probs, values = self.predict_batch([board], temperature)
        return probs[0], float(values[0])


def masked_softmax(logits: np.ndarray, mask: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax over the entries where ``mask`` is True (others get 0). ``temperature`` must be positive."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    z = np.where(mask, logits.astype(np.float64) / temperature, -np.inf)
    z -= z.max()
    e = np.exp(z)
    return (e / e.sum()).astype(np.float32)
