"""The one model-file format of the project, for the policy network and the ``rnn_tools`` models alike.

A model file is a ``torch.save`` of a plain dict, read back weights-only (no pickled code): ``format`` (which kind
of model), ``format_version``, ``config`` (what rebuilds the network), ``state_dict``, ``weights_sha256`` (a
checksum of the weights, checked on loading) and whatever else the kind of model needs to be used. Files are
written atomically (``goengine.atomic``), so a crash never leaves half a file under the real name.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from goengine.atomic import atomic_write


class ModelFileError(ValueError):
    """A model file that is missing, truncated, not a model, or does not match this code."""


def atomic_save(obj: dict, path: str | os.PathLike) -> None:
    """``torch.save`` ``obj`` to ``path`` through a temporary file renamed over it."""
    atomic_write(path, lambda fh: torch.save(obj, fh))


def weights_checksum(state_dict: dict) -> str:
    """SHA-256 over the names and raw bytes of every tensor, in name order: a model file carries it, and a file
    whose weights were changed after writing (a flipped byte, a torn copy) no longer matches."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if not torch.is_tensor(tensor):
            continue
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def nonfinite_weights(state_dict: dict) -> list[str]:
    """Names of the floating-point tensors in ``state_dict`` that hold a NaN or an infinity."""
    return [name for name, t in state_dict.items()
            if torch.is_tensor(t) and t.is_floating_point() and not bool(torch.isfinite(t).all())]


def record(fmt: str, version: int, config: dict, state_dict: dict, **description) -> dict:
    """A model file's dict: the weights on the CPU with their checksum, ``config`` and ``description``.
    ``ValueError`` for non-finite weights, so that no model file is ever written with them."""
    state = {k: v.detach().cpu() for k, v in state_dict.items()}
    bad = nonfinite_weights(state)
    if bad:
        raise ValueError(f"the model's weights are not finite ({', '.join(bad[:3])}); nothing was written")
    return {"format": fmt, "format_version": version, "config": config, **description,
            "weights_sha256": weights_checksum(state), "state_dict": state}


def read(path: str | os.PathLike, fmt: str, versions: tuple[int, ...], required: tuple[str, ...] = (),
         legacy: dict[str, int] | None = None) -> dict:
    """Load a model file of kind ``fmt`` weights-only and check it: its ``format_version`` is one of ``versions``,
    it has ``config``, ``state_dict`` and the ``required`` entries, and its weights match their checksum (files
    written before checksums have none and still load). ``legacy`` maps the format names of older files to the
    version they are read as. ``ModelFileError`` says what is wrong with which file."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"model path is a directory, not a file: {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for truncated / foreign files
        raise ModelFileError(f"cannot read model file {path}: it is truncated or not a model file "
                             f"({exc.__class__.__name__})") from exc
    name = blob.get("format") if isinstance(blob, dict) else None
    if name in (legacy or {}):
        blob = dict(blob, format=fmt, format_version=legacy[name])
    elif name != fmt:
        raise ModelFileError(f"{path} is not a {fmt} model file")
    if blob.get("format_version") not in versions:
        raise ModelFileError(f"{path} has format version {blob.get('format_version')}, this code reads "
                             f"{', '.join(map(str, versions))}")
    for key in ("config", "state_dict", *required):
        if key not in blob:
            raise ModelFileError(f"{path} lacks its {key!r} entry")
    expected = blob.get("weights_sha256")
    if expected is not None and (not isinstance(blob["state_dict"], dict)
                                 or weights_checksum(blob["state_dict"]) != expected):
        raise ModelFileError(f"{path}: the weights do not match the file's checksum; the file is corrupt")
    return blob
