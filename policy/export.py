"""``python -m policy.export CHECKPOINT OUT``: strip a training checkpoint down to a model file.

Keeps the architecture, feature set, board size, data summary and metrics; drops the optimizer state.
``--metric key=value`` adds measured figures (e.g. the validation accuracy) to the file's description.
"""
from __future__ import annotations

from goengine.cli import command_parser

from .checkpoint import atomic_save, read_record

MODEL_KEYS = ("format", "format_version", "config", "features", "board_size", "data", "metrics", "weights_sha256",
              "state_dict")


def export(checkpoint: str, out: str, metrics: dict | None = None) -> dict:
    record = read_record(checkpoint)
    model = {k: record[k] for k in MODEL_KEYS if k in record}
    model["metrics"] = {**model.get("metrics", {}), **(metrics or {})}
    if "step" in record:
        model["data"] = {**model.get("data", {}), "trained_steps": int(record["step"]),
                         "train_seconds": float(record.get("elapsed_s", 0.0))}
    atomic_save(model, out)
    return model


def main(argv: list[str] | None = None) -> None:
    parser = command_parser(__doc__, "python -m policy.export")
    parser.add_argument("checkpoint", help="checkpoint.pt of a training run folder")
    parser.add_argument("out", help="model file to write")
    parser.add_argument("--metric", action="append", default=[], metavar="KEY=VALUE",
                        help="a measured figure to record in the model file (repeatable)")
    args = parser.parse_args(argv)
    metrics = {}
    for item in args.metric:
        key, _, value = item.partition("=")
        try:
            metrics[key] = float(value)
        except ValueError:
            parser.error(f"--metric needs KEY=NUMBER, got {item!r}")
    export(args.checkpoint, args.out, metrics)


if __name__ == "__main__":
    main()
