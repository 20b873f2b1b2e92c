"""Inference runtimes: the function that turns feature planes into logits and values for a ``Policy``.

Chosen by measurement on the 2-core development machine (``benchmarks/inference_runtimes.py``, docs/mcts.md):

- ``eager``: torch in float32, channels-last. Exact reference; the fallback everywhere.
- ``bf16``: torch with bfloat16 autocast, channels-last. On a CPU that computes bfloat16 natively (AVX512-BF16 or
  AMX) it searched 3.6 times as many playouts a second as ``eager`` and agreed with it on the top move of 99.7% of
  real positions; elsewhere bfloat16 is emulated and slow.
- ``auto``: ``bf16`` on a CPU with native bfloat16, else ``eager``.

ONNX Runtime (fp32 and int8) and ``torch.compile`` were measured beside them and are not offered: see docs/mcts.md.
"""
from __future__ import annotations

import contextlib
import logging
import os
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # torch is imported where it runs: the GTP server checks --runtime before it loads torch
    import torch

log = logging.getLogger(__name__)

RUNTIMES = ("auto", "eager", "bf16")
Forward = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def sleep_waiting_threads() -> None:
    """Let OpenMP threads that wait for each other sleep at once instead of spinning; call before torch loads.

    A spinning thread loses whole time slices when another program holds a core: with 2 threads on the busy 2-core
    machine the search fell to a tenth of its speed, while sleeping threads kept the speed of 1 thread
    (docs/mcts.md). A user's own ``OMP_WAIT_POLICY`` wins.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX tiles)."""
    import torch
    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def resolve(runtime: str, device: torch.device) -> str:
    """The concrete runtime for ``runtime`` on ``device`` (``auto`` decided); ``ValueError`` for an unknown name."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r} (choose from {', '.join(RUNTIMES)})")
    if runtime == "auto":
        return "bf16" if device.type == "cpu" and native_bf16() else "eager"
    if runtime == "bf16" and device.type == "cpu" and not native_bf16():
        log.warning("this CPU has no native bfloat16: the bf16 runtime will be slow")
    return runtime


def make_forward(model: torch.nn.Module, runtime: str, device: torch.device) -> Forward:
    """The forward function of a concrete ``runtime`` (see ``resolve``) for ``model``, which is in eval mode."""
    import torch
    autocast = runtime == "bf16"

    def forward(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cast = torch.autocast(device.type, dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
        with torch.inference_mode(), cast:
            x = torch.from_numpy(planes).to(device).float().contiguous(memory_format=torch.channels_last)
            logits, values = model(x)
        return logits.float().cpu().numpy(), values.float().cpu().numpy()

    return forward
