"""The chapter's claims about convolutions, measured on Go: shared weights, pooling, and CNN against dense networks.

1. A layer-by-layer summary of a policy CNN: output size by the formula (W - F + 2P)/S + 1, receptive field,
   parameters, and the parameters a fully connected layer with the same input and output would need.
2. Dense networks a practitioner would try (one hidden layer of 512 or 2,048 units, two of 1,024), the CNN, the
   CNN with 2x2 max pooling, and the CNN narrowed or widened to the multiply-adds and to the parameter count of the
   best dense network, all trained to predict the move on the same positions (the same batches in the same order),
   steps and learning-rate schedule. Each model's learning rate is chosen on validation games; the chosen models
   are then scored once on test games: top-1 and NLL of the recorded move, with 95% intervals bootstrapped by game.

Multiply-adds are counted per position for one forward pass: every weight of a linear layer once, every weight of a
convolution once per output point; biases, batch norm, activations and pooling are not counted. The CNNs' counts
include their value head, which is not trained here.

Usage: python scripts/cnn_claims.py --train data/train/train.npz --val data/train/val.npz \\
    --test data/train/test.npz [--params-of none] [--json]
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from goengine.cli import command_parser
from goengine.features import GO_27
from goengine.game import positions
from goengine.stats import bootstrap_by_game
from policy.data import BatchSampler, PackedGames
from policy.model import ModelConfig, PolicyValueNet, count_parameters

NUM_PLANES = GO_27.num_planes  # the planes this study's networks read
DENSE_WIDTHS = ((512,), (2048,), (1024, 1024))  # hidden layers of the dense baselines


def conv_rows(config: ModelConfig, size: int = 19) -> list[dict]:
    """One row per convolution / pooling layer, in forward order: sizes by formula, receptive field, parameters.

    The heads read the body's output, so each head row starts from it.
    """
    model = PolicyValueNet(config)

    def layers(*modules: nn.Module) -> list[tuple[str, nn.Module]]:
        named = {m: n for n, m in model.named_modules()}
        return [(named[m], m) for top in modules if top is not None for m in top.modules()
                if isinstance(m, (nn.Conv2d, nn.MaxPool2d))]

    rows: list[dict] = []
    state = (size, 1, 1, NUM_PLANES)  # width, receptive field, jump, channels

    def walk(items, state):
        width, rf, jump, channels = state
        for name, module in items:
            if isinstance(module, nn.Conv2d):
                f, p, s, out_channels = module.kernel_size[0], module.padding[0], module.stride[0], module.out_channels
                out = (width - f + 2 * p) // s + 1
            else:
                f, p, s, out_channels = module.kernel_size, 0, module.stride, channels
                out = -(-(width - f + 2 * p) // s) + 1 if module.ceil_mode else (width - f + 2 * p) // s + 1
            rf += (f - 1) * jump
            jump *= s
            rows.append({"layer": name, "kernel": f, "stride": s, "padding": p, "in": f"{channels}x{width}x{width}",
                         "out": f"{out_channels}x{out}x{out}", "receptive_field": min(rf, 2 * size - 1),
                         "params": sum(t.numel() for t in module.parameters()),
                         "dense_params": (channels * width * width + 1) * out_channels * out * out})
            width, channels = out, out_channels
        return width, rf, jump, channels

    body_out = walk(layers(model.stem, model.pool, model.body), state)
    if model.pool is not None:  # the body's output is brought back to one cell per point
        body_out = (size,) + body_out[1:]
    walk(layers(model.policy_conv), body_out)
    walk(layers(model.value_conv), body_out)
    return rows


class DensePolicy(nn.Module):
    """A fully connected policy network: flatten the planes, ``hidden`` ReLU layers, ``size*size + 1`` logits
    (pass last)."""

    def __init__(self, size: int, hidden: tuple[int, ...], in_planes: int = NUM_PLANES):
        super().__init__()
        if not hidden or min(hidden) < 1:
            raise ValueError("a dense network needs at least one hidden layer of positive width")
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_planes * size * size
        for units in hidden:
            layers += [nn.Linear(width, units), nn.ReLU()]
            width = units
        layers.append(nn.Linear(width, size * size + 1))
        self.net = nn.Sequential(*layers)

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        return self.net(planes)


def policy_logits(model: nn.Module, planes: torch.Tensor) -> torch.Tensor:
    """The move logits of a dense network or of ``PolicyValueNet`` (whose value output is left aside)."""
    out = model(planes)
    return out[0] if isinstance(out, tuple) else out


def multiply_adds(model: nn.Module, size: int = 19, in_planes: int = NUM_PLANES) -> int:
    """Multiply-adds of one forward pass on one position: weights of linear layers once, convolution weights once
    per output point (bias, batch norm, activations and pooling not counted). Runs on the meta device: no compute."""
    total = 0

    def count(module: nn.Module, _inputs, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            points = output.shape[-1] * output.shape[-2]
            total += points * module.weight.numel()
        elif isinstance(module, nn.Linear):
            total += module.weight.numel() * (output.numel() // output.shape[0] // module.out_features)

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        meta = model if next(model.parameters()).device.type == "meta" else copy.deepcopy(model).to("meta")
        meta.eval()
        with torch.no_grad():
            meta(torch.zeros(1, in_planes, size, size, device="meta"))
    finally:
        for h in hooks:
            h.remove()
    return total


def cnn_config(blocks: int, filters: int, pooling: bool = False) -> ModelConfig:
    return ModelConfig(blocks=blocks, filters=filters, in_planes=NUM_PLANES, pooling=pooling)


def cost(build: Callable[[], nn.Module], size: int = 19) -> tuple[int, int]:
    """(parameters, multiply-adds per position) of the model ``build`` makes, built on the meta device."""
    with torch.device("meta"):
        model = build()
    return count_parameters(model), multiply_adds(model, size)


def matched_filters(blocks: int, target: int, which: int, size: int = 19, limit: int = 1024) -> int:
    """The filter count of a ``blocks``-block CNN whose cost (``which``: 0 parameters, 1 multiply-adds) is nearest
    ``target``; the cost grows with the filters, so a bisection finds it."""
    def measure(f: int) -> int:
        return cost(lambda: PolicyValueNet(cnn_config(blocks, f)), size)[which]

    lo, hi = 1, limit
    while lo < hi:
        mid = (lo + hi) // 2
        if measure(mid) < target:
            lo = mid + 1
        else:
            hi = mid
    return min((f for f in (lo - 1, lo) if f >= 1), key=lambda f: abs(measure(f) - target))


def game_examples(pack: PackedGames, games: int, per_game: int, seed: int) -> dict[str, np.ndarray]:
    """A fixed sample of ``games`` games of ``pack`` and up to ``per_game`` positions of each (drawn without
    replacement), unaugmented: uint8 planes, the recorded moves and each position's game (for the bootstrap)."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(pack), size=min(games, len(pack)), replace=False))
    planes, moves, game_ids = [], [], []
    for g in chosen.tolist():
        length = int(pack.offsets[g + 1] - pack.offsets[g])
        picks = set(rng.choice(length, size=min(per_game, length), replace=False).tolist())
        for i, (board, _, point) in enumerate(positions(pack.game(g))):
            if i in picks:
                planes.append(GO_27.encode(board).astype(np.uint8))
                moves.append(point)
                game_ids.append(g)
    return {"planes": np.stack(planes), "moves": np.array(moves, dtype=np.int64),
            "games": np.array(game_ids, dtype=np.int64)}


@torch.no_grad()
def score(model: nn.Module, examples: dict[str, np.ndarray], batch_size: int = 256) -> dict:
    """Top-1 and NLL of the recorded move over all ``size*size + 1`` logits (no legal-move mask), with 95%
    intervals bootstrapped by game."""
    model.eval()
    hits, nll = [], []
    for i in range(0, len(examples["moves"]), batch_size):
        planes = torch.from_numpy(examples["planes"][i:i + batch_size]).float()
        moves = torch.from_numpy(examples["moves"][i:i + batch_size])
        logits = policy_logits(model, planes).float()
        hits.append((logits.argmax(1) == moves).numpy())
        nll.append(F.cross_entropy(logits, moves, reduction="none").numpy())
    model.train()
    hit, loss = np.concatenate(hits).astype(np.float64), np.concatenate(nll).astype(np.float64)
    _, game = np.unique(examples["games"], return_inverse=True)
    counts = np.bincount(game)
    return {"top1": float(hit.mean()), "top1_ci95": bootstrap_by_game(np.bincount(game, hit), counts),
            "nll": float(loss.mean()), "nll_ci95": bootstrap_by_game(np.bincount(game, loss), counts)}


@dataclass
class Budget:
    """What every model gets: the same batches (uint8 planes, recorded moves) in the same order."""
    batches: list[dict[str, np.ndarray]]
    lr_decay_fraction: float = 0.25  # constant learning rate, then linear decay to 0 over this last fraction

    @classmethod
    def sample(cls, pack: PackedGames, steps: int, batch_size: int, seed: int) -> "Budget":
        sampler = BatchSampler(pack, batch_size, seed=seed, features=GO_27)
        batches = []
        for step in range(steps):
            batch = sampler.batch(step)
            batches.append({"planes": batch["planes"].astype(np.uint8), "moves": batch["moves"]})
        return cls(batches)

    def learning_rate(self, peak: float, step: int) -> float:
        steps = len(self.batches)
        return peak * min(1.0, (steps - step) / (self.lr_decay_fraction * steps))


def train(model: nn.Module, budget: Budget, lr: float) -> float:
    """Train ``model``'s move prediction (cross-entropy of the recorded move) on ``budget`` with AdamW at peak
    ``lr``; returns the seconds it took."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    model.train()
    t0 = time.time()
    for step, batch in enumerate(budget.batches):
        for group in optimizer.param_groups:
            group["lr"] = budget.learning_rate(lr, step)
        planes = torch.from_numpy(batch["planes"]).float()
        loss = F.cross_entropy(policy_logits(model, planes), torch.from_numpy(batch["moves"]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.time() - t0


def tune(name: str, build: Callable[[], nn.Module], budget: Budget, val: dict, lrs: list[float],
         seed: int) -> tuple[nn.Module, dict]:
    """Train one model per learning rate (same initial weights); keep the one with the best validation top-1."""
    best: tuple[nn.Module, dict] | None = None
    tried = {}
    for lr in lrs:
        torch.manual_seed(seed)
        model = build()
        seconds = train(model, budget, lr)
        result = score(model, val)
        tried[lr] = dict(result, seconds=round(seconds, 1))
        lo, hi = result["top1_ci95"]
        print(f"{name}: lr {lr:g}: validation top-1 {result['top1']:.3f} ({lo:.3f}-{hi:.3f}), NLL "
              f"{result['nll']:.3f}, {seconds:.0f} s", file=sys.stderr, flush=True)
        if best is None or result["top1"] > best[1]["val_top1"]:
            best = (model, {"lr": lr, "val_top1": result["top1"], "val_nll": result["nll"]})
    model, info = best
    params, macs = cost(build)
    return model, dict(info, params=params, multiply_adds=macs, validation_by_lr=tried)


def dense_name(hidden: tuple[int, ...]) -> str:
    return f"dense {len(hidden)}x{hidden[0]}"


def run(args: argparse.Namespace) -> dict:
    """Layer table, then each model tuned on validation and the chosen one scored once on test."""
    torch.set_num_threads(args.threads)
    reference = cnn_config(args.blocks, args.filters)
    budget = Budget.sample(PackedGames.load(args.train), args.steps, args.batch_size, args.seed)
    val = game_examples(PackedGames.load(args.val), args.val_games, args.per_game, args.seed + 1)
    test = game_examples(PackedGames.load(args.test), args.test_games, args.per_game, args.seed + 2)
    size = PackedGames.load(args.val).size
    results: dict[str, dict] = {}
    report = {"layers": conv_rows(reference, size), "models": results,
              "budget": {"steps": args.steps, "batch_size": args.batch_size,
                         "positions": args.steps * args.batch_size, "lr_grid": args.lr, "seed": args.seed},
              "validation": {"games": len(np.unique(val["games"])), "positions": len(val["moves"])},
              "test": {"games": len(np.unique(test["games"])), "positions": len(test["moves"])}}

    def add(name: str, build: Callable[[], nn.Module], lrs: list[float]) -> None:
        model, info = tune(name, build, budget, val, lrs, args.seed)
        results[name] = dict(info, test=score(model, test))  # the test split, once per chosen model
        print(json.dumps({name: results[name]}), file=sys.stderr, flush=True)

    if args.params_only:  # the costliest model alone, matched to a named dense network
        params_f = matched_filters(args.blocks, cost(lambda: DensePolicy(size, args.params_of))[0], 0, size)
        add(f"CNN {args.blocks}x{params_f} (parameters of {dense_name(args.params_of)})",
            lambda: PolicyValueNet(cnn_config(args.blocks, params_f)), args.lr)
        return report
    for hidden in DENSE_WIDTHS:
        add(dense_name(hidden), lambda h=hidden: DensePolicy(size, h), args.lr)
    best_dense = max((n for n in results), key=lambda n: results[n]["val_top1"])
    reference_name = f"CNN {args.blocks}x{args.filters}"
    add(reference_name, lambda: PolicyValueNet(reference), args.lr)
    flops_f = matched_filters(args.blocks, results[best_dense]["multiply_adds"], 1, size)
    add(f"CNN {args.blocks}x{flops_f} (multiply-adds of {best_dense})",
        lambda: PolicyValueNet(cnn_config(args.blocks, flops_f)), args.lr)
    add(f"{reference_name} + 2x2 max pooling", lambda: PolicyValueNet(cnn_config(args.blocks, args.filters, True)),
        args.lr)
    report["best_dense"] = best_dense
    if args.params_of is not None:
        params_of = best_dense if args.params_of == "best" else dense_name(args.params_of)
        params_f = matched_filters(args.blocks, results[params_of]["params"], 0, size)
        add(f"CNN {args.blocks}x{params_f} (parameters of {params_of})",  # one run: the costliest model by far
            lambda: PolicyValueNet(cnn_config(args.blocks, params_f)), [results[reference_name]["lr"]])
    return report


def print_tables(report: dict) -> None:
    print("| layer | kernel/stride/pad | input | output | receptive field | parameters | dense layer, same in/out |")
    print("|---|---|---|---|---|---|---|")
    for r in report["layers"]:
        print(f"| {r['layer']} | {r['kernel']}/{r['stride']}/{r['padding']} | {r['in']} | {r['out']} | "
              f"{r['receptive_field']}x{r['receptive_field']} | {r['params']:,} | {r['dense_params']:,} |")
    b, t = report["budget"], report["test"]
    print(f"\n{b['steps']} steps of {b['batch_size']} positions ({b['positions']:,}), seed {b['seed']}; "
          f"test: {t['positions']:,} positions of {t['games']} games\n")
    print("| model | parameters | multiply-adds per position | lr (validation) | test top-1 (95% CI) | test NLL |")
    print("|---|---|---|---|---|---|")
    for name, r in report["models"].items():
        s = r["test"]
        lo, hi = s["top1_ci95"]
        print(f"| {name} | {r['params']:,} | {r['multiply_adds'] / 1e6:,.1f} M | {r['lr']:g} | "
              f"{s['top1']:.3f} ({lo:.3f}-{hi:.3f}) | {s['nll']:.3f} ({s['nll_ci95'][0]:.3f}-"
              f"{s['nll_ci95'][1]:.3f}) |")


def dense_or_best(text: str) -> tuple[int, ...] | str | None:
    """``--params-of``: "best", "none" (None), or LAYERSxUNITS of one of the dense baselines, e.g. 2x1024."""
    if text in ("best", "none"):
        return None if text == "none" else text
    for hidden in DENSE_WIDTHS:
        if dense_name(hidden) == f"dense {text}":
            return hidden
    raise argparse.ArgumentTypeError(f"expected best, none or one of "
                                     f"{', '.join(dense_name(h)[6:] for h in DENSE_WIDTHS)}, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, "python scripts/cnn_claims.py")
    parser.add_argument("--train", required=True, help="training pack (.npz from python -m policy.pack)")
    parser.add_argument("--val", required=True, help="pack whose games choose each model's learning rate")
    parser.add_argument("--test", required=True, help="pack whose games score the chosen models, once")
    parser.add_argument("--steps", type=int, default=300, help="training steps, the same for every model")
    parser.add_argument("--batch-size", type=int, default=32, help="positions per step (2 per sampled game)")
    parser.add_argument("--blocks", type=int, default=3, help="residual blocks of every CNN")
    parser.add_argument("--filters", type=int, default=32, help="filters of the reference CNN")
    parser.add_argument("--lr", type=float, nargs="+", default=[5e-4, 2e-3], help="peak learning rates to try")
    parser.add_argument("--params-of", type=dense_or_best, default="best",
                        help="the dense network (1x512, 2x1024, 1x2048) whose parameter count the widest CNN matches; "
                             "best: the best on validation; none: leave that CNN out (it costs 361 multiply-adds a "
                             "parameter)")
    parser.add_argument("--params-only", action="store_true",
                        help="train only the CNN matched to --params-of (a named dense network), at the first --lr")
    parser.add_argument("--val-games", type=int, default=150, help="validation games sampled")
    parser.add_argument("--test-games", type=int, default=300, help="test games sampled")
    parser.add_argument("--per-game", type=int, default=12, help="positions sampled from each val/test game")
    parser.add_argument("--seed", type=int, default=0, help="seed of batches, samples and initial weights")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if min(args.steps, args.batch_size, args.val_games, args.test_games, args.per_game, args.threads) < 1:
        parser.error("--steps, --batch-size, --val-games, --test-games, --per-game and --threads must be positive")
    if args.batch_size % 2:
        parser.error("--batch-size must be even (two positions per sampled game)")
    if min(args.lr) <= 0:
        parser.error("--lr values must be positive")
    if args.params_only and not isinstance(args.params_of, tuple):
        parser.error("--params-only needs --params-of naming a dense network, e.g. 1x512")
    if args.params_only:
        args.lr = args.lr[:1]
    try:
        report = run(args)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    if args.json:
        print(json.dumps(report))
    else:
        print_tables(report)


if __name__ == "__main__":
    main()
