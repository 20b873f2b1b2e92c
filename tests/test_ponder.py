"""Pondering (``gtp_server.py --ponder``): search on the opponent's time, stopped by the next command, tree reused."""
from __future__ import annotations

import os
import queue
import threading
import time

import numpy as np

import pytest
import torch

from goengine.coords import to_gtp
from gtp_server import Engine, main, serve
from policy.inference import Policy
from policy.model import ModelConfig, PolicyValueNet
from policy.search_player import MCTSPlayer

TIMEOUT = 30.0  # seconds; the tree cap (200 000 visits) would take minutes, so an engine that ignored input fails


def tiny_player(playouts: int = 16) -> MCTSPlayer:
    torch.manual_seed(0)
    return MCTSPlayer(Policy(PolicyValueNet(ModelConfig(blocks=1, filters=8, value_hidden=8))), playouts=playouts)


class PipeServer:
    """``serve`` in a daemon thread on pipes."""

    def __init__(self, engine: Engine):
        in_r, self.in_w = os.pipe()
        out_r, out_w = os.pipe()
        self.lines: queue.Queue[str | None] = queue.Queue()
        stdout = os.fdopen(out_w, "wb")
        self.thread = threading.Thread(target=lambda: (serve(engine, in_r, stdout), stdout.close()), daemon=True)
        self.thread.start()
        threading.Thread(target=self._read, args=(os.fdopen(out_r, "rb"),), daemon=True).start()

    def _read(self, stdout) -> None:
        for raw in stdout:
            self.lines.put(raw.decode().removesuffix("\n"))
        self.lines.put(None)

    def ask(self, text: str) -> str:
        """Send ``text`` (one or more command lines); the text of the first response."""
        os.write(self.in_w, text.encode())
        head = self.lines.get(timeout=TIMEOUT)
        assert head is not None and head.startswith("="), head
        assert self.lines.get(timeout=TIMEOUT) == ""
        return head[1:].strip()

    def close(self) -> None:
        os.close(self.in_w)
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()


def wait_for(condition, timeout: float = TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_ponder_stops_at_the_next_command_and_the_reply_keeps_its_visits():
    player = tiny_player()
    server = PipeServer(Engine(player, size=5, ponder=True))
    try:
        server.ask("genmove b\n")
        mcts = player.mcts
        def searched_reply() -> int | None:
            """The most visited reply with a tree below it (a pass may end the game: a terminal child has none)."""
            root = mcts.root
            for j in np.argsort(-root.child_n).tolist():
                child = root.children[j] if j < len(root.children) else None
                if child is not None and child.expanded and child.child_n.sum() >= 10:
                    return j
            return None

        # searching after the answer, on White's turn
        wait_for(lambda: mcts.playouts_at_root() >= 200 and searched_reply() is not None)
        ponder_root = mcts.root
        i = searched_reply()
        reply = ponder_root.children[i]
        server.ask(f"play w {to_gtp(int(ponder_root.points[i]), 5)}\n")  # answered within TIMEOUT
        carried = int(reply.child_n.sum())
        assert carried > 0
        time.sleep(0.2)
        assert int(reply.child_n.sum()) == carried  # the game moved on: no more pondering there
        # the second command is waiting when genmove answers, so no pondering starts after it
        server.ask("genmove b\nname\n")
        assert server.ask("") == "goengine"
        assert reply.parent is None  # genmove's root
        assert int(reply.child_n.sum()) == carried + 16  # the move's 16 playouts added to the pondered ones
    finally:
        server.close()


def test_no_search_after_genmove_without_ponder():
    player = tiny_player()
    server = PipeServer(Engine(player, size=5))
    try:
        server.ask("genmove b\n")
        time.sleep(0.3)
        assert player.mcts.playouts_at_root() == 16
    finally:
        server.close()


def test_ponder_needs_the_search(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--ponder", "--playouts", "0"])
    assert exc.value.code == 2 and "--ponder" in capsys.readouterr().err
