"""Inference runtimes side by side on 19x19, in one run: latency, playouts per second in the search, accuracy.

    python benchmarks/inference_runtimes.py [--pack data/val2020/val.npz] [--threads 2] [--positions 300]

Runtimes: ``eager`` (torch fp32, channels-last: the reference) and ``bf16`` (torch bfloat16 autocast), the two that
``policy.runtimes`` offers; ``onnx`` (ONNX Runtime fp32), ``onnx-int8`` (ONNX Runtime, static int8 quantization
calibrated on positions from other games), ``compile`` and ``compile-bf16`` (``torch.compile``, fp32 and under
bfloat16 autocast), built here. ONNX needs ``pip install 'goengine[bench]'``; without it those two are skipped.
Every timing is taken in rounds that visit each runtime in turn, so a busy machine slows them alike; ratios are
against ``eager`` in the same run.

Accuracy, on ``--positions`` positions from real games: the share whose top legal move equals eager fp32's, the
mean and largest difference of the value, and each runtime's top-1 agreement with the move played in the game.
Prints a table and one JSON object.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from policy.runtimes import make_forward, sleep_waiting_threads  # noqa: E402

sleep_waiting_threads()  # as the engine does, before torch loads
import torch  # noqa: E402

from benchmarks.positions import DEFAULT_PACK, load_pack, real_positions  # noqa: E402
from goengine.board import Board  # noqa: E402
from policy.checkpoint import load_model  # noqa: E402
from policy.inference import Policy  # noqa: E402
from policy.mcts import MCTS, SearchConfig  # noqa: E402

BATCHES = (1, 8, 16, 32)


def onnx_available() -> bool:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def onnx_forward(policy: Policy, threads: int, calibration: np.ndarray | None = None):
    """ONNX Runtime on a float32 export of the policy's model, or, given ``calibration`` planes, on a statically
    quantized one (QDQ, per-channel int8 weights, uint8 activations)."""
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"planes": calibration[i:i + 8]} for i in range(0, len(calibration), 8)])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing and on its own deprecation
        fp32, pre, int8 = (os.path.join(tmp, name) for name in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        net = copy.deepcopy(policy.model).to(memory_format=torch.contiguous_format)
        example = torch.zeros(1, net.config.in_planes, 19, 19)
        torch.onnx.export(net, (example,), fp32, input_names=["planes"], output_names=["logits", "value"],
                          dynamic_axes={"planes": {0: "b"}, "logits": {0: "b"}, "value": {0: "b"}}, dynamo=False)
        path = fp32
        if calibration is not None:
            quant_pre_process(fp32, pre)
            quantize_static(pre, int8, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
            path = int8
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return lambda planes: tuple(session.run(None, {"planes": np.ascontiguousarray(planes, dtype=np.float32)}))


def build(names: list[str], weights: str | None, calibration: np.ndarray, threads: int) -> dict[str, Policy]:
    """A ``Policy`` per runtime name, each on its own copy of the model; names whose library is missing are left
    out (and printed)."""
    policies = {}
    for name in names:
        if name.startswith("onnx") and not onnx_available():
            print(f"skipping {name}: onnxruntime or onnx is not installed", file=sys.stderr)
            continue
        model, record = load_model(weights)
        policy = Policy(model, record, runtime="bf16" if name.endswith("bf16") else "eager")
        if name.startswith("onnx"):
            policy.forward = onnx_forward(policy, threads, calibration if name == "onnx-int8" else None)
        elif name.startswith("compile"):
            policy.forward = make_forward(torch.compile(policy.model, dynamic=True), policy.runtime, policy.device)
        policies[name] = policy
    return policies


def latency(policies: dict[str, Policy], planes: np.ndarray, rounds: int) -> dict[str, dict[int, float]]:
    """Median milliseconds of ``run`` per runtime and batch size, the runtimes taken in turn in every round."""
    times: dict[str, dict[int, list[float]]] = {name: {b: [] for b in BATCHES} for name in policies}
    for policy in policies.values():  # warm-up (compilation happens here)
        for b in BATCHES:
            policy.run(planes[:b])
    for _ in range(rounds):
        for b in BATCHES:
            for name, policy in policies.items():
                start = time.perf_counter()
                policy.run(planes[:b])
                times[name][b].append(time.perf_counter() - start)
    return {name: {b: round(1000 * statistics.median(t), 2) for b, t in per.items()} for name, per in times.items()}


def search_speed(policies: dict[str, Policy], boards: list[Board], playouts: int, batch_size: int) -> dict[str, float]:
    """Playouts per second from a fresh tree on each board, the runtimes taken in turn on every board."""
    seconds = {name: 0.0 for name in policies}
    for policy in policies.values():
        MCTS(policy, SearchConfig(batch_size=batch_size)).search(boards[0], 2 * batch_size)  # warm-up
    for board in boards:
        for name, policy in policies.items():
            start = time.perf_counter()
            MCTS(policy, SearchConfig(batch_size=batch_size)).search(board, playouts)
            seconds[name] += time.perf_counter() - start
    return {name: round(playouts * len(boards) / s, 1) for name, s in seconds.items()}


def accuracy(policies: dict[str, Policy], positions: list[tuple[Board, int]]) -> dict[str, dict[str, float]]:
    """Agreement with eager fp32 (top legal move, value) and with the moves played, per runtime."""
    boards = [b for b, _ in positions]
    played = np.array([m for _, m in positions])
    masks = np.stack([b.legal_mask() for b in boards])
    outputs = {}
    for name, policy in policies.items():
        chunks = [policy.logits_batch(boards[i:i + 16]) for i in range(0, len(boards), 16)]
        logits = np.concatenate([c[0] for c in chunks])
        outputs[name] = (np.where(masks, logits, -np.inf).argmax(1), np.concatenate([c[1] for c in chunks]))
    top_ref, value_ref = outputs["eager"]
    return {name: {"top1_agrees_with_eager": round(float((top == top_ref).mean()), 4),
                   "value_mean_abs_diff": round(float(np.abs(value - value_ref).mean()), 4),
                   "value_max_abs_diff": round(float(np.abs(value - value_ref).max()), 4),
                   "top1_vs_game_move": round(float((top == played).mean()), 4)}
            for name, (top, value) in outputs.items()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", help="model file (default: the shipped model)")
    ap.add_argument("--pack", default=DEFAULT_PACK, help=f"game pack for real positions (default {DEFAULT_PACK})")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--positions", type=int, default=300, help="positions for the accuracy figures")
    ap.add_argument("--rounds", type=int, default=10, help="latency rounds")
    ap.add_argument("--searches", type=int, default=4, help="positions searched per runtime")
    ap.add_argument("--playouts", type=int, default=128, help="playouts per search")
    ap.add_argument("--batch-size", type=int, default=SearchConfig.batch_size, help="the search's leaf batch")
    ap.add_argument("--runtimes", default="eager,bf16,onnx,onnx-int8,compile,compile-bf16")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = args.runtimes.split(",")
    if "eager" not in names:
        ap.error("--runtimes must include eager, the reference")
    load_before = os.getloadavg()[0]
    pack = load_pack(args.pack)
    half = len(pack) // 2  # accuracy on the first half of the games, int8 calibration on the second
    positions = real_positions(pack, args.positions, seed=0, games=slice(0, half))
    encode = Policy.load(args.weights).features.encode  # the planes of the model's own feature set
    calibration = np.stack([encode(b) for b, _ in real_positions(pack, 64, seed=1, games=slice(half, None))])
    policies = build(names, args.weights, calibration, args.threads)
    planes = np.stack([encode(b) for b, _ in positions[:max(BATCHES)]])
    ms = latency(policies, planes, args.rounds)
    speed = search_speed(policies, [b for b, _ in positions[::max(1, len(positions) // args.searches)]][:args.searches],
                         args.playouts, args.batch_size)
    agree = accuracy(policies, positions)
    result = {"threads": args.threads, "positions": len(positions), "search_batch_size": args.batch_size,
              "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2),
              "runtimes": {name: {"ms": ms[name], "playouts_per_second": speed[name],
                                  "search_speed_vs_eager": round(speed[name] / speed["eager"], 2), **agree[name]}
                           for name in policies}}
    header = f"{'runtime':<13}" + "".join(f"{'ms@' + str(b):>9}" for b in BATCHES) + \
        f"{'playouts/s':>12}{'vs eager':>9}{'top1=eager':>11}{'|dv| mean':>10}{'|dv| max':>9}{'top1=game':>10}"
    print(header)
    for name, r in result["runtimes"].items():
        print(f"{name:<13}" + "".join(f"{r['ms'][b]:>9.2f}" for b in BATCHES) +
              f"{r['playouts_per_second']:>12.1f}{r['search_speed_vs_eager']:>9.2f}{r['top1_agrees_with_eager']:>11.3f}"
              f"{r['value_mean_abs_diff']:>10.4f}{r['value_max_abs_diff']:>9.4f}{r['top1_vs_game_move']:>10.3f}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
