"""Policy model files, in the project's model-file format (``policy.modelfile``), loaded weights-only.

A policy model file holds ``format`` (``goengine-policy``), ``format_version``, ``config`` (ModelConfig),
``features`` (plane-set name and version), ``board_size`` (the size it was trained on), ``data`` (training data
summary), ``metrics``, ``weights_sha256`` (a checksum of the weights, checked on loading; files written before it
have none) and ``state_dict``. Training checkpoints add ``optimizer``, ``step`` and RNG states.
Files are written to a temporary name and renamed, so a crash never leaves half a file under the real name.
"""
from __future__ import annotations

import os
from pathlib import Path

from goengine.features import FeatureSet, feature_set, feature_set_for_planes

from . import modelfile
from .model import ModelConfig, PolicyValueNet
from .modelfile import ModelFileError, atomic_save, nonfinite_weights, weights_checksum

__all__ = ["ModelFileError", "atomic_save", "weights_checksum", "nonfinite_weights", "model_record", "save_model",
           "read_record", "load_model", "model_from_record", "DEFAULT_WEIGHTS"]

FORMAT = "goengine-policy"
FORMAT_VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "default.pt"


def model_record(model: PolicyValueNet, board_size: int = 19, data: dict | None = None,
                 metrics: dict | None = None, features: FeatureSet | None = None) -> dict:
    """The dict that describes and holds a model, ready for ``atomic_save``; ``features`` defaults to the set
    with as many planes as the model reads. Raises ``ValueError`` for non-finite weights, so that no model file
    or checkpoint is ever written with them."""
    features = features or feature_set_for_planes(model.config.in_planes)
    if features.num_planes != model.config.in_planes:
        raise ValueError(f"{features} does not fit a model that reads {model.config.in_planes} planes")
    return modelfile.record(FORMAT, FORMAT_VERSION, model.config.to_dict(), model.state_dict(),
                            features={"name": features.name, "version": features.version}, board_size=board_size,
                            data=dict(data or {}), metrics=dict(metrics or {}))


def save_model(model: PolicyValueNet, path: str | os.PathLike, **description) -> None:
    atomic_save(model_record(model, **description), path)


def read_record(path: str | os.PathLike) -> dict:
    """Load a model file's dict weights-only, with errors that say what is wrong with which file."""
    return modelfile.read(path, FORMAT, (FORMAT_VERSION,), required=("features",))


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
