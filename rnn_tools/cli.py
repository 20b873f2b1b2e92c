"""``python -m rnn_tools``: train and evaluate the tasks, annotate an SGF, comment on a move, draw figures.

Tasks: outcome (1), sentiment (2), tagging (3a), terms (3b), rule-commentary (4a: a Seq2Seq learns the rule
commentator's sentences), review-comments (4b: reviewers' real comments), movelm (5); ``commentary`` and
``comments`` are accepted for 4a and 4b. Paths may be SGF files, folders or archives; without paths ``train``
reads the task's archives of the shared data set, found under ``--data DIR`` or the folder named by
``$GOENGINE_DATA``. ``evaluate`` scores the test split of the games given (``--split`` for another part, or
``all``), every figure with its 95% interval by game. Every command is a thin call into the library.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from goengine.cli import HelpFormatter, command_parser
from goengine.dataset import year_range

WEIGHTS = os.path.join(os.path.dirname(__file__), "weights")
DATA_ENV = "GOENGINE_DATA"  # the folder of the shared data set (holding games/ and commentary/)
PRO = "games/pro-1561-2022.tar.xz"
REVIEWS, ZH_COMMENTARY = "commentary/en-gtl-reviews.tar.xz", "commentary/zh-pro-commentary.tar.xz"
DEFAULT_PATHS = {  # each task's archives, under the data folder
    "outcome": [PRO],
    "sentiment": [REVIEWS, ZH_COMMENTARY],
    "tagging": [PRO],
    "terms": [REVIEWS],
    "rule-commentary": [PRO],
    "review-comments": [REVIEWS, ZH_COMMENTARY],
    "movelm": [PRO],
}
TASK_ALIASES = {"commentary": "rule-commentary", "comments": "review-comments"}  # the former task names
SHIPPED = {"outcome": os.path.join(WEIGHTS, "outcome.pt"), "sentiment": os.path.join(WEIGHTS, "sentiment.pt")}


def _paths(task: str, given: list[str], data: str | None = None) -> list[str]:
    """The paths given, or else the task's archives under the data folder ``data``."""
    if not given and not data:
        raise ValueError(f"no game records given: name them, or give --data DIR (or set {DATA_ENV}) for the "
                         f"shared data set ({', '.join(DEFAULT_PATHS[task])} under it)")
    paths = given or [os.path.join(data, p) for p in DEFAULT_PATHS[task]]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ValueError(f"no such file or folder: {', '.join(missing)}")
    return paths


def _kinds(text: str) -> str:
    """The ``--kinds`` option: cells among elman, lstm, gru."""
    if not text or set(text.split(",")) - {"elman", "lstm", "gru"}:
        raise argparse.ArgumentTypeError("give cells among elman, lstm, gru, comma-separated")
    return text


def _print(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=1, ensure_ascii=False))


def cmd_train(args: argparse.Namespace) -> int:
    args.task = TASK_ALIASES.get(args.task, args.task)
    paths = _paths(args.task, args.paths, args.data)
    common = {"progress": not args.quiet, "seed": args.seed}
    if args.task == "outcome":
        from .outcome import train
        report = train(paths, args.out or SHIPPED["outcome"], every=args.every or 10, limit=args.limit,
                       epochs=args.epochs or 6, members=args.members, years=args.years,
                       value_net=args.value_net,
                       checkpoint=args.checkpoint, cache=args.cache, **common)["test"]
    elif args.task == "sentiment":
        from .sentiment import train
        report = train(paths, args.out or SHIPPED["sentiment"], every=args.every or 1, epochs=args.epochs or 9,
                       max_train=args.max_train or 200_000, checkpoint=args.checkpoint, cache=args.cache,
                       **common)["test"]
    elif args.task == "tagging":
        from .tagging import train_and_score
        board = args.input != "flat"  # defaults: the measured runs of docs/rnn_tools.md
        report = train_and_score(paths, every=args.every or (60 if board else 30),
                                 epochs=args.epochs or (2 if board else 3), inputs=args.input,
                                 kinds=args.kinds.split(","), **common)
    elif args.task == "terms":
        from .terms import train_and_score
        report = train_and_score(paths, every=args.every or 2, epochs=args.epochs or 4, **common)
    elif args.task == "review-comments":
        from .review_comments import train_and_score
        report = train_and_score(paths, every=args.every or 8, epochs=args.epochs or 5,
                                 tune_epochs=args.tune_epochs or 3, **common)
    elif args.task == "rule-commentary":
        from .rule_commentary_seq2seq import train_and_score
        report = train_and_score(paths, every=args.every or 40, epochs=args.epochs or 4, **common)
    else:
        from .movelm import train
        report = train(paths, args.out, every=args.every or 15, epochs=args.epochs or 3,
                       checkpoint=args.checkpoint, **common)
    _print(report, args.json)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    paths = _paths(args.task, args.paths)
    split = None if args.split == "all" else args.split
    if args.task == "outcome":
        from .outcome import evaluate
        report = evaluate(paths, args.model or SHIPPED["outcome"], every=args.every, split=split,
                          years=args.years, progress=not args.json)
    else:
        from .sentiment import evaluate
        report = evaluate(paths, args.model or SHIPPED["sentiment"], split=split)
    _print(report, args.json)
    return 0


def cmd_annotate(args: argparse.Namespace) -> int:
    from .annotate import annotate
    outcome = args.outcome_model or SHIPPED["outcome"]
    counts = annotate(args.game, args.out, args.sentiment_model or SHIPPED["sentiment"],
                      outcome if os.path.exists(outcome) else None)
    print(f"wrote {args.out}: " + ", ".join(f"{k}[] x{v}" for k, v in counts.items()))
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    from goengine.sgf import read_game

    from .rule_commentator import describe
    game = read_game(args.game)
    print(describe(game, args.move, seed=args.seed))
    real = game.comments.get(args.move)
    if real:
        print(f"(recorded comment: {real.strip()})")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    if args.figure == "gradnorms":
        from .gradnorms import plot, summary
        print(summary(plot(args.out)))
    else:
        from goengine.sgf import read_game

        from .outcome import plot_curve
        if not args.game:
            raise ValueError("plot curve needs --game GAME.sgf")
        plot_curve(read_game(args.game), args.model or SHIPPED["outcome"], args.out)
    print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, "python -m rnn_tools", paragraphs=2)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a task's model (and score it on the held-out games)",
                       formatter_class=HelpFormatter)
    p.add_argument("task", choices=sorted(DEFAULT_PATHS) + sorted(TASK_ALIASES), metavar="TASK",
                   help=f"the task's model to train: {', '.join(sorted(DEFAULT_PATHS))}")
    p.add_argument("paths", nargs="*", help="SGF files, folders or archives (default: the task's archives under "
                   "--data)")
    p.add_argument("--data", default=os.environ.get(DATA_ENV),
                   help=f"the shared data set's folder, read when no paths are given (${DATA_ENV} if not given)")
    p.add_argument("-o", "--out", help="model file to write (default for outcome/sentiment: rnn_tools/weights)")
    p.add_argument("--epochs", type=int, help="passes over the training games (default: the task's measured run)")
    p.add_argument("--every", type=int,
                   help="use about one game in EVERY, sampled by hash (default: the task's measured run)")
    p.add_argument("--limit", type=int, help="stop after this many games")
    p.add_argument("--years", type=year_range,
                   help="outcome: only games dated in this range, e.g. 2020-2022 or 2020- (undated games are left out)")
    p.add_argument("--value-net", help="outcome: policy model file whose value head is a feature (default: shipped)")
    p.add_argument("--members", type=int, default=5, help="outcome: LSTMs in the ensemble")
    p.add_argument("--input", choices=["board", "board-stones", "flat"], default="board",
                   help="tagging: board planes read by a board-shaped cell (board-stones: without the plane of "
                   "removed stones), or move tokens")
    p.add_argument("--kinds", default="elman,lstm,gru", type=_kinds,
                   help="tagging: the recurrent cells to train, comma-separated")
    p.add_argument("--tune-epochs", type=int,
                   help="review-comments: epochs of each model after the shared language model (default 3)")
    p.add_argument("--max-train", type=int, help="sentiment: at most this many training sentences (default 200000)")
    p.add_argument("--checkpoint", help="resumable checkpoint file, written after every epoch")
    p.add_argument("--cache", help="pickle of the prepared examples, reused when it exists (outcome, sentiment)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling, initialisation and batch order")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score a shipped (or given) model on game records",
                       formatter_class=HelpFormatter)
    p.add_argument("task", choices=["outcome", "sentiment"], help="the task whose model to score")
    p.add_argument("paths", nargs="+", help="SGF files, folders or archives")
    p.add_argument("--model", help="model file (default: the shipped one)")
    p.add_argument("--every", type=int, default=1, help="use about one game in EVERY (sampled by hash)")
    p.add_argument("--split", choices=["train", "val", "test", "all"], default="test",
                   help="the part of the games to score (all: every game, the training games included)")
    p.add_argument("--years", type=year_range,
                   help="outcome: only games dated in this range, e.g. 2020-2022 (undated games are left out)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("annotate", help="copy an SGF, adding TE/BM marks from comments and GB/GW from the curve",
                       formatter_class=HelpFormatter)
    p.add_argument("game", help="SGF file")
    p.add_argument("-o", "--out", required=True, help="SGF file to write")
    p.add_argument("--sentiment-model", help="sentiment model file (default: the shipped one)")
    p.add_argument("--outcome-model", help="outcome model file (default: the shipped one, if present)")
    p.set_defaults(func=cmd_annotate)

    p = sub.add_parser("comment", help="the rule commentator's sentence for one move", formatter_class=HelpFormatter)
    p.add_argument("game", help="SGF file")
    p.add_argument("--move", type=int, required=True, help="move number, 1-based")
    p.add_argument("--seed", type=int, default=0, help="chooses the paraphrase")
    p.set_defaults(func=cmd_comment)

    p = sub.add_parser("plot", help="figures: the outcome curve of a game, or the gradient-norm demonstration",
                       formatter_class=HelpFormatter)
    p.add_argument("figure", choices=["curve", "gradnorms"], help="which figure")
    p.add_argument("-o", "--out", required=True, help="PNG file")
    p.add_argument("--game", help="SGF file (for curve)")
    p.add_argument("--model", help="outcome model file (default: the shipped one)")
    p.set_defaults(func=cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        return args.func(args)
    except ValueError as exc:  # bad input: unreadable file, empty game, wrong size, missing model
        print(f"error: {exc}", file=sys.stderr)
        return 2
