"""Inference runtimes: the function that turns feature planes into logits and values for a ``Policy``.

Chosen by measurement on the 2-core development machine (``benchmarks/inference_runtimes.py``, docs/mcts.md):

- ``eager``: torch in float32, channels-last. Exact reference; the fallback everywhere.
- ``bf16``: torch with bfloat16 autocast, channels-last. On a CPU that computes bfloat16 natively (AVX512-BF16 or
  AMX) it is several times faster than ``eager`` at the search's batch sizes and agrees with it on the top move of
  nearly every position; elsewhere it is emulated and slow.
- ``onnx``: ONNX Runtime in float32, from a ``torch.onnx`` export made at load time. Faster than ``eager`` without
  bfloat16; an optional dependency (``pip install 'goengine[onnx]'``). When ``onnxruntime`` or ``onnx`` is missing
  the policy falls back to ``eager`` with a warning.
- ``auto``: ``bf16`` on a CPU with native bfloat16, else ``eager``.
"""
from __future__ import annotations

import contextlib
import copy
import io
import logging
import warnings
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # torch is imported where it runs: the GTP server checks --runtime before it loads torch
    import torch

log = logging.getLogger(__name__)

RUNTIMES = ("auto", "eager", "bf16", "onnx")
Forward = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX tiles)."""
    import torch
    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def onnx_available() -> bool:
    """Whether ONNX Runtime and the ``onnx`` package (which ``torch.onnx`` writes with) are installed."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(runtime: str, device: torch.device) -> str:
    """The concrete runtime for ``runtime`` on ``device``: ``auto`` decided, a missing ``onnxruntime`` -> ``eager``.

    ``ValueError`` for an unknown name or ``onnx`` on a GPU.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r} (choose from {', '.join(RUNTIMES)})")
    if runtime == "auto":
        return "bf16" if device.type == "cpu" and native_bf16() else "eager"
    if runtime == "onnx":
        if device.type != "cpu":
            raise ValueError("the onnx runtime runs on the CPU only")
        if not onnx_available():
            log.warning("onnxruntime or onnx is not installed (pip install 'goengine[onnx]'): using the eager runtime")
            return "eager"
    return runtime


def make_forward(model: torch.nn.Module, runtime: str, device: torch.device) -> Forward:
    """The forward function of a concrete ``runtime`` (see ``resolve``) for ``model``, which is in eval mode."""
    import torch
    if runtime == "onnx":
        return _onnx_forward(model)
    autocast = runtime == "bf16"

    def forward(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cast = torch.autocast(device.type, dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
        with torch.inference_mode(), cast:
            x = torch.from_numpy(planes).to(device).float().contiguous(memory_format=torch.channels_last)
            logits, values = model(x)
        return logits.float().cpu().numpy(), values.float().cpu().numpy()

    return forward


def _onnx_forward(model: torch.nn.Module) -> Forward:
    """An ONNX Runtime session on a float32 export of ``model``, with batch and board size left free."""
    import onnxruntime as ort
    import torch
    net = copy.deepcopy(model).float().cpu().to(memory_format=torch.contiguous_format)
    example = torch.zeros(1, net.config.in_planes, 19, 19)
    buffer = io.BytesIO()
    free = {"planes": {0: "batch", 2: "size", 3: "size"}, "logits": {0: "batch", 1: "moves"}, "value": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing and on its own deprecation
        torch.onnx.export(net, (example,), buffer, input_names=["planes"], output_names=["logits", "value"],
                          dynamic_axes=free, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])

    def forward(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, values = session.run(None, {"planes": np.ascontiguousarray(planes, dtype=np.float32)})
        return logits, values

    return forward
