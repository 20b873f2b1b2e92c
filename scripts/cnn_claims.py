"""The chapter's three claims about convolutions, measured on Go.

1. A layer-by-layer summary of a policy CNN: output size by the formula (W - F + 2P)/S + 1, receptive field,
   parameter count, and the parameter count of a fully connected layer with the same input and output sizes.
2. An ablation on the same data and training budget: a fully connected network of similar parameter count, the
   CNN, and the CNN with 2x2 max pooling, each reporting top-1 accuracy on held-out positions.

Usage: python scripts/cnn_claims.py --train data/train/train.npz --val data/val2020/val.npz --steps 400
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn

from goengine.features import GO_27
from policy.data import BatchSampler, PackedGames, fixed_examples
from policy.model import ModelConfig, PolicyValueNet, count_parameters
from policy.train import losses, validate

NUM_PLANES = GO_27.num_planes  # the planes this study's networks were trained on


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
    """A fully connected policy-value network: flatten the planes, one hidden layer, two heads."""

    def __init__(self, size: int, hidden: int):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(NUM_PLANES * size * size, hidden), nn.ReLU())
        self.policy = nn.Linear(hidden, size * size + 1)
        self.value = nn.Linear(hidden, 1)

    def forward(self, planes: torch.Tensor):
        h = self.body(planes)
        return self.policy(h), torch.tanh(self.value(h)).squeeze(1)


def train_and_score(model: nn.Module, sampler: BatchSampler, val: dict, steps: int, lr: float) -> dict:
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    device = torch.device("cpu")
    model.train()
    t0 = time.time()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (steps - step) / (0.25 * steps))
        batch = {k: torch.from_numpy(v) for k, v in sampler.batch(step).items()}
        loss = losses(model, batch, device, 0.25, autocast=False)[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    result = validate(model, val, device, autocast=False)
    return {"params": count_parameters(model), "top1": result["val_top1"], "nll": result["val_nll"],
            "seconds": time.time() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cnn = ModelConfig(blocks=args.blocks, filters=args.filters, in_planes=NUM_PLANES)
    summary = conv_rows(cnn)
    pack = PackedGames.load(args.train)
    val = fixed_examples(PackedGames.load(args.val), 4096, features=GO_27)
    sampler = BatchSampler(pack, args.batch_size, seed=7, features=GO_27)
    cnn_params = count_parameters(PolicyValueNet(cnn))
    hidden = max(1, cnn_params // (NUM_PLANES * 361 + 362 + 2))
    results = {}
    for name, build in (("fully connected", lambda: DensePolicy(19, hidden)),
                        ("CNN", lambda: PolicyValueNet(cnn)),
                        ("CNN + 2x2 max pooling", lambda: PolicyValueNet(ModelConfig(
                            blocks=args.blocks, filters=args.filters, in_planes=NUM_PLANES, pooling=True)))):
        torch.manual_seed(0)
        results[name] = train_and_score(build(), sampler, val, args.steps, args.lr)
    if args.json:
        print(json.dumps({"layers": summary, "ablation": results}))
        return
    print("| layer | kernel/stride/pad | input | output | receptive field | parameters | dense layer, same in/out |")
    print("|---|---|---|---|---|---|---|")
    for r in summary:
        print(f"| {r['layer']} | {r['kernel']}/{r['stride']}/{r['padding']} | {r['in']} | {r['out']} | "
              f"{r['receptive_field']}x{r['receptive_field']} | {r['params']:,} | {r['dense_params']:,} |")
    print()
    print(f"Ablation: {args.steps} steps of {args.batch_size} positions each, same data and seed; "
          f"top-1 on {len(val['moves'])} validation positions")
    print()
    print("| model | parameters | top-1 | NLL | seconds |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['params']:,} | {r['top1']:.3f} | {r['nll']:.3f} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
