"""Model files: weights plus the description needed to use them, loaded weights-only (no pickled code).

A model file is a ``torch.save`` of a plain dict: ``format``, ``format_version``, ``config`` (ModelConfig),
``features`` (plane-set name and version), ``board_size`` (the size it was trained on), ``data`` (training data
summary), ``metrics``, ``weights_sha256`` (a checksum of the weights, checked on loading; files written before it
have none) and ``state_dict``. Training checkpoints add ``optimizer``, ``step`` and RNG states.
Files are written to a temporary name and renamed, so a crash never leaves half a file under the real name.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import torch

from goengine.features import FeatureSet, feature_set, feature_set_for_planes

from .model import ModelConfig, PolicyValueNet

FORMAT = "goengine-policy"
FORMAT_VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "default.pt"


class ModelFileError(ValueError):
    """A model file that is missing, truncated, not a model, or does not match this code."""


def atomic_save(obj: dict, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


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


def model_record(model: PolicyValueNet, board_size: int = 19, data: dict | None = None,
                 metrics: dict | None = None, features: FeatureSet | None = None) -> dict:
    """The dict that describes and holds a model, ready for ``atomic_save``; ``features`` defaults to the set
    with as many planes as the model reads. Raises ``ValueError`` for non-finite weights, so that no model file
    or checkpoint is ever written with them."""
    features = features or feature_set_for_planes(model.config.in_planes)
    if features.num_planes != model.config.in_planes:
        raise ValueError(f"{features} does not fit a model that reads {model.config.in_planes} planes")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    bad = nonfinite_weights(state)
    if bad:
        raise ValueError(f"the model's weights are not finite ({', '.join(bad[:3])}); nothing was written")
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "config": model.config.to_dict(),
            "features": {"name": features.name, "version": features.version}, "board_size": board_size,
            "data": dict(data or {}), "metrics": dict(metrics or {}), "weights_sha256": weights_checksum(state),
            "state_dict": state}


def save_model(model: PolicyValueNet, path: str | os.PathLike, **description) -> None:
    atomic_save(model_record(model, **description), path)


def read_record(path: str | os.PathLike) -> dict:
    """Load a model file's dict weights-only, with errors that say what is wrong with which file."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"model path is a directory, not a file: {path}")
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for truncated / foreign files
        raise ModelFileError(f"cannot read model file {path}: it is truncated or not a model file ({exc.__class__.__name__})") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a {FORMAT} model file")
    if record.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has format version {record.get('format_version')}, this code reads {FORMAT_VERSION}")
    for key in ("config", "features", "state_dict"):
        if key not in record:
            raise ModelFileError(f"{path} lacks its {key!r} entry")
    expected = record.get("weights_sha256")  # files written before checksums have none and still load
    if expected is not None and (not isinstance(record["state_dict"], dict)
                                 or weights_checksum(record["state_dict"]) != expected):
        raise ModelFileError(f"{path}: the weights do not match the file's checksum; the file is corrupt")
    return record


def load_model(path: str | os.PathLike | None = None) -> tuple[PolicyValueNet, dict]:
    """Build the network a model file describes and load its weights. Returns (model in eval mode, record)."""
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    record = read_record(path)
    return model_from_record(record, str(path)), record


def features_of(record: dict) -> FeatureSet:
    """The input feature set a model record was trained on (``ValueError`` for one this library lacks)."""
    return feature_set(record["features"]["name"], record["features"]["version"])


def widen_inputs(record: dict, features: FeatureSet) -> dict:
    """The state dict of ``record`` made to read ``features``: the first layer keeps its weights for every plane
    group the two sets share and gets zeros for the new ones, so the network computes exactly what it did and
    training can learn to use the new planes (for ``train --init`` from a model with fewer planes)."""
    old = features_of(record)
    state = dict(record["state_dict"])
    if (old.name, old.version) == (features.name, features.version):
        return state
    weight = state["stem.0.weight"]
    new = weight.new_zeros((weight.shape[0], features.num_planes) + tuple(weight.shape[2:]))
    starts = {g.name: (first, g.count) for first, _, g in old.layout()}
    for first, _, g in features.layout():
        if g.name in starts and starts[g.name][1] == g.count:
            src = starts[g.name][0]
            new[:, first:first + g.count] = weight[:, src:src + g.count]
    state["stem.0.weight"] = new
    return state


def model_from_record(record: dict, source: str = "model") -> PolicyValueNet:
    """The network (in eval mode) that a record from ``read_record`` or ``model_record`` describes."""
    try:
        features = features_of(record)
        config = ModelConfig.from_dict(record["config"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{source}: {exc}") from exc
    if config.in_planes != features.num_planes:
        raise ModelFileError(f"{source}: the network reads {config.in_planes} planes, but its feature set "
                             f"{features.name} has {features.num_planes}")
    bad = nonfinite_weights(record["state_dict"])
    if bad:
        raise ModelFileError(f"{source}: the weights hold NaN or infinite values ({', '.join(bad[:3])}); "
                             f"the file is corrupt or came from a diverged run")
    model = PolicyValueNet(config)
    try:
        model.load_state_dict(record["state_dict"])
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0:3]
        raise ModelFileError(f"{source}: weights do not match the architecture {config}: {' '.join(first)}") from exc
    return model.eval()
