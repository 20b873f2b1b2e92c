"""``python -m policy.train``: supervised training of the policy-value network on packed games.

Everything that shapes a run is a flag (or a key of the JSON file given with ``--config``). Batches are a pure
function of (seed, step), the learning rate a pure function of the step, and checkpoints (written atomically)
hold the model, optimizer, step and flags, so ``--resume`` continues exactly where an interrupted run stopped. A
resume refuses flags that would change the run (the architecture, optimizer, learning rate, schedule, batches, seed or
pack) and names each one; it may change only those in ``RESUMABLE`` (length, reporting, device). With a fixed seed a
CPU run is reproducible. bf16 autocast and channels-last on CUDA and on CPUs with bf16 units (AVX-512 BF16, AMX;
``--precision``); ``--compile`` uses ``torch.compile``. Under ``torchrun`` it trains data-parallel (NCCL on GPUs,
gloo on CPU).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from goengine.cli import command_parser
from goengine.features import DEFAULT_FEATURES, FEATURE_SETS, FeatureSet
from goengine.ownership import OwnershipLabels

from .checkpoint import ModelFileError, atomic_save, model_record, read_record, widen_inputs
from .data import BatchSampler, PackedGames, fixed_examples
from .inference import pick_device
from .model import ModelConfig, PolicyValueNet, count_parameters


def build_parser() -> argparse.ArgumentParser:
    p = command_parser(__doc__, "python -m policy.train")
    p.add_argument("--config", help="JSON file of flag values (command-line flags override it)")
    p.add_argument("--train", help="training pack (.npz from python -m policy.pack)")
    p.add_argument("--val", help="validation pack, evaluated every --eval-every steps")
    p.add_argument("--out", default="runs/policy", help="run folder: checkpoint, metrics.csv, curves.png")
    p.add_argument("--export", help="also write the final model file here")
    p.add_argument("--body", choices=["resnet", "plain"], default="resnet",
                   help="residual blocks, or plain convolution layers (ablation)")
    p.add_argument("--blocks", type=int, default=6, help="blocks (or layers) of the body")
    p.add_argument("--filters", type=int, default=64, help="channels of each convolution")
    p.add_argument("--features", choices=sorted({name for name, _ in FEATURE_SETS}), default=DEFAULT_FEATURES.name,
                   help="input plane set (goengine/features.py); --init from a model with fewer planes widens it")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="bf16 autocast; auto: on CUDA and on CPUs with bf16 units")
    p.add_argument("--pooling", action="store_true", help="2x2 max pooling after the first layer (ablation)")
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="adamw", help="sgd: Nesterov momentum 0.9")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="decoupled (AdamW) or L2 (SGD) weight decay")
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    p.add_argument("--schedule", choices=["cosine", "wsd", "constant"], default="cosine",
                   help="wsd: constant, then linear decay to 0 over the last --decay-fraction of the steps "
                        "(so a run can be lengthened or shortened on --resume)")
    p.add_argument("--decay-fraction", type=float, default=0.2, help="wsd: the share of the steps spent decaying")
    p.add_argument("--batch-size", type=int, default=256, help="positions per step")
    p.add_argument("--per-game", type=int, default=2, help="positions taken from each sampled game")
    p.add_argument("--steps", type=int, default=1000, help="optimizer steps of the whole run")
    p.add_argument("--value-weight", type=float, default=0.25, help="weight of the value loss beside the policy loss")
    p.add_argument("--ownership", help="ownership labels of the pack's counted games (python -m policy.ownership): "
                                       "train an ownership head beside the value head")
    p.add_argument("--ownership-weight", type=float, default=1.0,
                   help="weight of the ownership loss (binary cross-entropy, mean over points)")
    p.add_argument("--labelled-share", type=float, default=0.0,
                   help="with --ownership: the share of each batch's games drawn from the labelled games")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--workers", type=int, default=1, help="data loader processes (0: in the main process)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initialisation and of every batch")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--eval-every", type=int, default=200, help="steps between two validations")
    p.add_argument("--eval-positions", type=int, default=2048, help="validation positions (a fixed sample of --val)")
    p.add_argument("--checkpoint-every", type=int, default=100, help="steps between two checkpoints")
    p.add_argument("--resume", action="store_true",
                   help="continue from the run folder's checkpoint; flags other than the length, reporting and "
                        "device ones must be as they were")
    p.add_argument("--stop-at", type=int, help="stop (with a checkpoint) at this step, to resume later")
    p.add_argument("--time-budget", type=float,
                   help="seconds of training: after warm-up the measured speed fixes --steps (never above it) so "
                        "that the run, its learning-rate decay included, ends within the budget")
    p.add_argument("--init", help="start from this model file's weights (fine-tuning)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config:
        with open(args.config) as fh:
            values = json.load(fh)
        unknown = set(values) - set(vars(args))
        if unknown:
            parser.error(f"unknown keys in {args.config}: {sorted(unknown)}")
        parser.set_defaults(**values)
        args = parser.parse_args(argv)
    if not args.train:
        parser.error("--train is required (on the command line or in --config)")
    if args.time_budget is not None and not (args.time_budget > 0 and math.isfinite(args.time_budget)):
        parser.error("--time-budget must be a positive number of seconds")
    if not 0 <= args.labelled_share <= 1 or (args.labelled_share and not args.ownership):
        parser.error("--labelled-share must be from 0 to 1 and needs --ownership")
    if args.time_budget and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        parser.error("--time-budget is not supported under torchrun (each process would fix its own steps)")
    return args


def latest_features(name: str) -> FeatureSet:
    """The newest version of the feature set called ``name``."""
    return max((fs for (n, _), fs in FEATURE_SETS.items() if n == name), key=lambda fs: fs.version)


def use_bf16(precision: str, device: torch.device) -> bool:
    """Whether to train under bf16 autocast: asked for, or ``auto`` on CUDA or a CPU with bf16 units (there
    bf16 with channels-last trains several times faster than fp32: benchmarks/train_speed.py)."""
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bool(torch.backends.mkldnn.is_available()) and \
        bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


# What a resumed run may change: how long it runs, how often it reports and saves, where the final model goes and what
# runs it. Every other flag shapes what the network learns (architecture, optimizer, schedule, batches, seed), so a
# resume with a different value would not continue the run; --train may name another file holding the same pack. On
# another device a resumed run continues the same schedule and batches, though not bit for bit.
RESUMABLE = ("steps", "stop_at", "time_budget", "eval_every", "eval_positions", "val", "checkpoint_every", "export",
             "no_progress", "device", "threads", "workers", "compile", "precision")
_NOT_SETTINGS = ("config", "resume", "out", "train")  # how the run is started and found, not what it is


def pack_digest(pack: PackedGames) -> str:
    """SHA-256 of a pack's games (moves, game boundaries, results, komi): the same pack in any file."""
    digest = hashlib.sha256()
    for array in (pack.moves, pack.offsets, pack.winner, pack.komi):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def resume_conflicts(saved: dict, args: argparse.Namespace, data: dict, pack: PackedGames, digest: str) -> list[str]:
    """Each setting of ``args`` that differs from the checkpoint's saved ``args`` (``saved``) and that a resume may
    not change, as ``--flag old -> new``; and the training pack, when it is not the one described by the
    checkpoint's ``data`` (checkpoints written before packs had a digest are compared by their counts)."""
    defaults = build_parser()
    conflicts = []
    for key, new in vars(args).items():
        if key in RESUMABLE or key in _NOT_SETTINGS:
            continue
        old = saved.get(key, defaults.get_default(key))  # a flag added after the checkpoint was written
        if old != new:
            conflicts.append(f"--{key.replace('_', '-')} {old} -> {new}")
    now = {"games": len(pack), "positions": pack.num_positions, "train_sha256": digest}
    if any(data[key] != value for key, value in now.items() if key in data):
        conflicts.append(f"--train {data.get('train_pack')} ({data.get('games')} games, {data.get('positions')} "
                         f"positions) -> {args.train} (another pack: {len(pack)} games, {pack.num_positions} "
                         f"positions)")
    return conflicts


def read_checkpoint(path: Path, args: argparse.Namespace, pack: PackedGames, digest: str) -> dict:
    """The checkpoint to resume from, once it is readable and its settings agree with ``args``; otherwise a
    message and exit status 2, and the run folder is left as it was."""
    try:
        record = read_record(path)
    except ModelFileError as exc:
        _refuse(f"cannot resume: {exc}")
    missing = [key for key in ("optimizer", "step", "args") if key not in record]
    if missing:
        _refuse(f"cannot resume: {path} is a model file, not a training checkpoint (no {', '.join(missing)})")
    conflicts = resume_conflicts(record["args"], args, record.get("data", {}), pack, digest)
    if conflicts:
        _refuse(f"--resume: these settings differ from the checkpoint's ({path}), which a resumed run may not "
                f"change:\n  " + "\n  ".join(conflicts) + "\nUse the checkpoint's values or a new --out folder. "
                f"A resume may change only --{', --'.join(k.replace('_', '-') for k in RESUMABLE)}, and --train "
                f"to another file holding the same pack.")
    return record


def _refuse(message: str) -> NoReturn:
    print(f"python -m policy.train: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def learning_rate(step: int, args: argparse.Namespace) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    if args.schedule == "constant":
        return args.lr
    if args.schedule == "wsd":
        decay = max(1, int(args.steps * args.decay_fraction))
        return args.lr * min(1.0, (args.steps - step) / decay)
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class _Steps(Dataset):
    """Map-style view of a BatchSampler: item ``i`` is the batch of step ``start + i``."""

    def __init__(self, sampler: BatchSampler, start: int, stop: int):
        self.sampler, self.start, self.stop = sampler, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int) -> dict:
        batch = self.sampler.batch(self.start + i)
        batch["planes"] = batch["planes"].astype(np.uint8)  # 0/1 planes: a quarter of the bytes between processes
        return {k: torch.from_numpy(v) for k, v in batch.items()}


def losses(model, batch: dict, device: torch.device, value_weight: float, autocast: bool,
           ownership_weight: float = 0.0) -> dict[str, torch.Tensor]:
    """The training loss and its parts: policy cross-entropy, value MSE on decided games and, for batches with
    ownership labels, the ownership head's binary cross-entropy (mean over points of the labelled examples)."""
    planes = batch["planes"].to(device, non_blocking=True).float()
    if autocast:
        planes = planes.contiguous(memory_format=torch.channels_last)
    moves = batch["moves"].to(device)
    labelled = "ownership" in batch
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        out = model(planes, ownership=True) if labelled else model(planes)
    logits, value = out[0].float(), out[1].float()
    policy_loss = F.cross_entropy(logits, moves)
    mask = batch["value_mask"].to(device)
    value_loss = ((value - batch["values"].to(device)) ** 2 * mask).sum() / mask.sum().clamp(min=1)
    parts = {"policy_loss": policy_loss, "value_loss": value_loss,
             "train_acc": (logits.argmax(1) == moves).float().mean()}
    loss = policy_loss + value_weight * value_loss
    if labelled:
        target = (batch["ownership"].to(device) + 1) / 2  # 1 the mover's, 0 the opponent's, 1/2 neutral
        own_mask = batch["ownership_mask"].to(device)
        per_example = F.binary_cross_entropy_with_logits(out[2].float(), target, reduction="none").mean(1)
        parts["ownership_loss"] = (per_example * own_mask).sum() / own_mask.sum().clamp(min=1)
        loss = loss + ownership_weight * parts["ownership_loss"]
    parts["loss"] = loss
    return parts


@torch.no_grad()
def validate(model, examples: dict, device: torch.device, autocast: bool, batch_size: int = 512) -> dict:
    model.eval()
    n = len(examples["moves"])
    nll = correct = top5 = value_right = value_count = 0.0
    for i in range(0, n, batch_size):
        planes = torch.from_numpy(examples["planes"][i:i + batch_size]).to(device)
        moves = torch.from_numpy(examples["moves"][i:i + batch_size]).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            logits, value = model(planes)
        logits, value = logits.float(), value.float().cpu().numpy()
        nll += F.cross_entropy(logits, moves, reduction="sum").item()
        correct += (logits.argmax(1) == moves).sum().item()
        top5 += (logits.topk(5, dim=1).indices == moves[:, None]).any(1).sum().item()
        target, mask = examples["values"][i:i + batch_size], examples["value_mask"][i:i + batch_size] > 0
        value_right += float(((value > 0) == (target > 0))[mask].sum())
        value_count += float(mask.sum())
    model.train()
    return {"val_top1": correct / n, "val_top5": top5 / n, "val_nll": nll / n,
            "val_value_acc": value_right / value_count if value_count else float("nan")}


def plot_curves(csv_path: Path, png_path: Path) -> None:
    """Loss and accuracy against step, from metrics.csv."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(csv_path) as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    steps = [int(r["step"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(steps, [float(r["policy_loss"]) for r in rows], label="train policy loss")
    vals = [(int(r["step"]), float(r["val_nll"])) for r in rows if r.get("val_nll")]
    if vals:
        ax1.plot(*zip(*vals), "o-", label="validation NLL")
    ax1.set_xlabel("step")
    ax1.legend()
    ax2.plot(steps, [float(r["train_acc"]) for r in rows], label="train top-1")
    vals = [(int(r["step"]), float(r["val_top1"])) for r in rows if r.get("val_top1")]
    if vals:
        ax2.plot(*zip(*vals), "o-", label="validation top-1")
    ax2.set_xlabel("step")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


FIELDS = ["step", "loss", "policy_loss", "value_loss", "ownership_loss", "train_acc", "lr", "positions_per_s",
          "elapsed_s", "val_top1", "val_top5", "val_nll", "val_value_acc"]


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = int(os.environ.get("RANK", "0"))
    device = pick_device(args.device)
    if distributed:
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend)
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    autocast = use_bf16(args.precision, device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest convolution once
    out = Path(args.out)
    ckpt_path, csv_path = out / "checkpoint.pt", out / "metrics.csv"
    is_main = rank == 0

    pack = PackedGames.load(args.train)
    digest = pack_digest(pack)
    state = read_checkpoint(ckpt_path, args, pack, digest) if args.resume and ckpt_path.exists() else None
    features = latest_features(args.features)
    ownership = None
    if args.ownership:
        try:
            ownership = OwnershipLabels.load(args.ownership)
        except (OSError, ValueError) as exc:
            _refuse(f"--ownership: {exc}")
    config = ModelConfig(body=args.body, blocks=args.blocks, filters=args.filters, pooling=args.pooling,
                         in_planes=features.num_planes, ownership=ownership is not None)
    model = PolicyValueNet(config)
    if args.init and state is None:
        try:
            load_init(model, widen_inputs(read_record(args.init), features))
        except (RuntimeError, ValueError, KeyError) as exc:
            raise SystemExit(f"--init {args.init} does not fit {config} reading {features}: "
                             f"{str(exc).splitlines()[0]}") from None
    model.to(device)
    if autocast:
        model = model.to(memory_format=torch.channels_last)
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                                    weight_decay=args.weight_decay)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    start, elapsed_before = 0, 0.0
    if state is not None:
        try:
            model.load_state_dict(state["state_dict"])
            optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, KeyError, ValueError) as exc:  # e.g. written by code with another feature set
            _refuse(f"cannot resume: {ckpt_path} does not fit this network and optimizer: "
                    f"{str(exc).strip().splitlines()[0]}")
        start, elapsed_before = int(state["step"]), float(state.get("elapsed_s", 0.0))
        if is_main:
            print(f"resumed from {ckpt_path} at step {start}", file=sys.stderr)
    elif args.resume and is_main:
        print(f"no checkpoint at {ckpt_path}: starting a new run", file=sys.stderr)
    train_model = model
    if distributed:
        train_model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    if args.compile:
        train_model = torch.compile(train_model)

    val_examples = None
    if args.val and is_main:
        val_examples = fixed_examples(PackedGames.load(args.val), args.eval_positions, features=features)
    try:
        sampler = BatchSampler(pack, args.batch_size, seed=args.seed * 1000 + rank, per_game=args.per_game,
                               features=features, ownership=ownership, labelled_share=args.labelled_share)
    except ValueError as exc:  # labels of another board size, or none for this pack
        _refuse(f"--ownership {args.ownership}: {exc}")
    stop = min(args.steps, args.stop_at or args.steps)
    loader = DataLoader(_Steps(sampler, start, stop), batch_size=None, shuffle=False,
                        num_workers=args.workers, persistent_workers=False, pin_memory=device.type == "cuda",
                        prefetch_factor=4 if args.workers else None)
    if is_main:
        out.mkdir(parents=True, exist_ok=True)
        if not (args.resume and csv_path.exists()):
            with open(csv_path, "w", newline="") as fh:
                csv.DictWriter(fh, FIELDS).writeheader()
        print(f"model {config} with {count_parameters(model):,} parameters; {len(pack):,} games, "
              f"{pack.num_positions:,} positions; {features}; device {device}{' bf16' if autocast else ''}",
              file=sys.stderr)
        if ownership is not None:
            print(f"ownership labels for {int((sampler.own_rows >= 0).sum()):,} of the {len(pack):,} games",
                  file=sys.stderr)

    from tqdm import tqdm
    bar = tqdm(total=args.steps, initial=start, disable=args.no_progress or not is_main, unit="step",
               dynamic_ncols=True)
    model.train()
    t0 = time.time()
    window_t, window_n = time.time(), 0
    # the speed is measured from 20 steps in (the loader has started) to 50 steps after warm-up
    mark_step, budget_step = start + 20, max(args.warmup, start + 20) + 50
    mark_t = t0
    last: dict = {}
    step = start
    for step, batch in enumerate(loader, start=start):
        if step >= stop:
            break
        lr = learning_rate(step, args)
        for group in optimizer.param_groups:
            group["lr"] = lr
        parts = losses(train_model, batch, device, args.value_weight, autocast, args.ownership_weight)
        loss, acc = parts["loss"], parts["train_acc"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        window_n += len(batch["moves"])
        done = step + 1
        if done == mark_step:
            mark_t = time.time()
        if args.time_budget and done == budget_step:
            now = time.time()
            stop = fit_steps_to_budget(args, done, done - mark_step, now - mark_t, elapsed_before + now - t0, stop)
            bar.total = args.steps
        if not is_main:
            continue
        bar.update(1)
        evaluate_now = val_examples is not None and (done % args.eval_every == 0 or done == stop)
        checkpoint_now = done % args.checkpoint_every == 0 or done == stop
        if done % 10 and not evaluate_now and not checkpoint_now:
            continue  # reading the loss waits for the device: only every 10th step
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise SystemExit(f"training stopped at step {done}: the loss is {loss_value} (diverged). The last "
                             f"checkpoint ({ckpt_path}) and model file were left as they were; lower --lr")
        speed = window_n / max(1e-9, time.time() - window_t)
        bar.set_postfix(loss=f"{loss_value:.3f}", acc=f"{acc.item():.3f}", pos_s=f"{speed:.0f}")
        row = {name: value.item() for name, value in parts.items()}
        row.update(step=done, lr=lr, positions_per_s=speed, elapsed_s=elapsed_before + time.time() - t0)
        if evaluate_now:
            row.update(validate(model, val_examples, device, autocast))
            tqdm.write(f"step {done}: " + ", ".join(f"{k} {row[k]:.4f}" for k in row if k.startswith("val_")),
                       file=sys.stderr)
        with open(csv_path, "a", newline="") as fh:
            csv.DictWriter(fh, FIELDS).writerow(row)
        window_t, window_n = time.time(), 0
        last = row
        if checkpoint_now:
            try:
                record = model_record(model, pack.size, data=_data_summary(pack, args, digest),
                                      metrics=_metrics(last), features=features)
            except ValueError as exc:
                raise SystemExit(f"training stopped at step {done}: {exc}. The last checkpoint ({ckpt_path}) "
                                 f"was left as it was; lower --lr") from None
            record.update(optimizer=optimizer.state_dict(), step=done, elapsed_s=row["elapsed_s"],
                          args=vars(args))
            atomic_save(record, ckpt_path)
    bar.close()
    if is_main and start < stop:
        plot_curves(csv_path, out / "curves.png")
        if args.export and stop == args.steps:
            atomic_save(model_record(model, pack.size, data=_data_summary(pack, args, digest),
                                     metrics=_metrics(last), features=features), args.export)
    if distributed:
        torch.distributed.destroy_process_group()
    return last


def load_init(model: PolicyValueNet, state: dict) -> None:
    """Load ``state`` (from ``--init``) into ``model``. The ownership head is the one part that may differ: a new
    head starts from its initialisation, and the head of a model file is left out when the run trains none."""
    head = "ownership_conv."
    if model.ownership_conv is None:
        state = {k: v for k, v in state.items() if not k.startswith(head)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    wrong = [k for k in missing if not k.startswith(head)] + list(unexpected)
    if wrong:
        raise RuntimeError(f"the model file's weights do not fit: {', '.join(sorted(wrong)[:5])}")


def fit_steps_to_budget(args: argparse.Namespace, done: int, timed_steps: int, timed_seconds: float,
                        spent: float, stop: int) -> int:
    """Lower ``args.steps`` so that the run ends within ``args.time_budget`` at the speed seen so far.

    ``timed_steps`` took ``timed_seconds`` in this process; ``spent`` is the training time so far, earlier runs of
    a resumed one included. Called once, after warm-up: the learning rate up to here does not depend on
    ``args.steps``, so the schedule stays a pure function of the step, and the steps chosen go into every
    checkpoint.
    """
    per_step = timed_seconds / max(1, timed_steps)
    reserve = 0.03 * args.time_budget + 10  # validation, checkpoints and the final export
    fitted = done + int(max(0.0, args.time_budget - spent - reserve) / per_step)
    if fitted < args.steps:
        print(f"--time-budget {args.time_budget:.0f} s at {per_step * 1000:.1f} ms a step: {fitted} steps "
              f"instead of {args.steps}", file=sys.stderr)
        args.steps = fitted
    return min(stop, args.steps)


def _metrics(row: dict) -> dict:
    return {k: float(v) for k, v in row.items() if isinstance(v, (int, float)) and not np.isnan(v)}


def _data_summary(pack: PackedGames, args: argparse.Namespace, digest: str) -> dict:
    return {"train_pack": str(args.train), "games": len(pack), "positions": pack.num_positions,
            "train_sha256": digest,
            "sources": sorted(os.path.basename(s) for s in pack.summary.get("sources", {})), "steps": args.steps,
            "batch_size": args.batch_size, "init": str(args.init) if args.init else None}


if __name__ == "__main__":
    main()
