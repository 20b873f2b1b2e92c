"""Pondering on 19x19: how fast the next command is answered, and how many visits the reply's subtree brings along.

    python benchmarks/ponder_reuse.py [--moves 6] [--ponder-seconds 2] [--time-per-move 1] [--threads 2]

The GTP loop (``gtp_server.serve``) runs on pipes with the shipped model, ``--ponder`` on, the GTP server's
default runtime and cache. The engine plays Black (``genmove b``, ``--time-per-move`` seconds); then it ponders for
``--ponder-seconds`` while White "thinks"; White answers with the raw policy's move, sent as ``play w``. Printed
as one JSON object: milliseconds from sending ``play`` to its answer, visits already below White's move when it
arrives, and the playouts the next ``genmove`` adds in its own time.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from policy.runtimes import sleep_waiting_threads  # noqa: E402

sleep_waiting_threads()  # as the engine does, before torch loads
import torch  # noqa: E402

from goengine.coords import to_gtp  # noqa: E402
from gtp_server import Engine, serve  # noqa: E402
from policy.inference import Policy  # noqa: E402
from policy.player import PolicyPlayer  # noqa: E402
from policy.search_player import EVAL_CACHE_ENTRIES, MCTSPlayer  # noqa: E402


class Pipes:
    """``serve`` in a thread; ``ask`` sends one command and returns its answer and the seconds it took."""

    def __init__(self, engine: Engine):
        in_r, self.in_w = os.pipe()
        out_r, out_w = os.pipe()
        self.lines: queue.Queue[str | None] = queue.Queue()
        stdout = os.fdopen(out_w, "wb")
        self.server = threading.Thread(target=serve, args=(engine, in_r, stdout), daemon=True)
        self.server.start()
        threading.Thread(target=self._read, args=(os.fdopen(out_r, "rb"),), daemon=True).start()

    def _read(self, stdout) -> None:
        for raw in stdout:
            self.lines.put(raw.decode().rstrip("\n"))

    def ask(self, commands: str) -> tuple[str, float]:
        """Send one or more command lines; the first answer and the seconds until it came."""
        start = time.perf_counter()
        os.write(self.in_w, (commands + "\n").encode())
        return self.read(), time.perf_counter() - start

    def close(self) -> None:
        """End of input: the server stops pondering and returns."""
        os.close(self.in_w)
        self.server.join()

    def read(self) -> str:
        head = self.lines.get(timeout=600)
        if not head.startswith("=") or self.lines.get(timeout=600) != "":
            raise SystemExit(f"failed: {head}")
        return head[1:].strip()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=6)
    ap.add_argument("--ponder-seconds", type=float, default=2.0)
    ap.add_argument("--time-per-move", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runtime", default="auto")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    policy = Policy.load(runtime=args.runtime, cache_size=EVAL_CACHE_ENTRIES)
    player = MCTSPlayer(policy, playouts=10**9, time_per_move=args.time_per_move)
    white = PolicyPlayer(Policy.load(runtime=args.runtime))  # its own network: pondering runs meanwhile
    engine = Engine(player, 19, ponder=True)
    pipes = Pipes(engine)
    stop_ms, carried, added = [], [], []
    pipes.ask("genmove b")
    for _ in range(args.moves):
        time.sleep(args.ponder_seconds)  # White thinks; the engine ponders
        reply = white.choose_move(engine.board)
        root = player.mcts.root
        i = root.index_of(reply)
        node = root.children[i] if i is not None else None
        _, seconds = pipes.ask(f"play w {to_gtp(reply, 19)}")
        stop_ms.append(1000 * seconds)
        before = int(node.child_n.sum()) if node is not None and node.expanded else 0
        carried.append(before)
        pipes.ask("genmove b\nname")  # "name" waits in the queue, so pondering resumes only after it
        pipes.read()
        if node is not None:  # genmove searched on from this node
            added.append(int(node.child_n.sum()) - before)
    pipes.close()
    result = {"runtime": policy.runtime, "threads": args.threads, "ponder_seconds": args.ponder_seconds,
              "time_per_move": args.time_per_move, "play_answer_ms_median": round(statistics.median(stop_ms), 1),
              "play_answer_ms_max": round(max(stop_ms), 1), "visits_carried": carried, "playouts_added": added,
              "load_average": round(os.getloadavg()[0], 2)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
