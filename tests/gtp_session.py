"""A real ``python gtp_server.py`` subprocess for the GTP tests: raw bytes in, responses (or raw lines) out."""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "gtp_server.py")
RESPONSE_HEAD = re.compile(r"^([=?])(\d*)(?: (.*))?$")


def make_tiny_model(path: str) -> str:
    """A randomly initialised 1-block, 8-filter network saved as a model file."""
    import torch

    from policy.checkpoint import save_model
    from policy.model import ModelConfig, PolicyValueNet
    torch.manual_seed(0)
    save_model(PolicyValueNet(ModelConfig(blocks=1, filters=8)), path)
    return path


class GtpSession:
    """The engine as a subprocess. ``stderr`` goes to a file so that stdout holds GTP only."""

    def __init__(self, model: str, *args: str, stderr_path: str | None = None, cwd: str = ROOT):
        self.stderr = open(stderr_path or os.devnull, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--weights", model, "--threads", "1", "--score-playouts", "8", "--playouts", "0",
             "--seed", "1", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, cwd=cwd)
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, data: bytes | str) -> None:
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def raw_line(self, timeout: float = 60.0) -> str | None:
        """The next stdout line without its LF (None at end of output)."""
        line = self.lines.get(timeout=timeout)
        return None if line is None else line.decode("utf-8").removesuffix("\n")

    def response(self, timeout: float = 60.0) -> tuple[bool, str | None, str]:
        """The next whole response: (success, id or None, text with the ``=id `` prefix removed)."""
        first = self.raw_line(timeout)
        assert first is not None, "engine closed its output"
        m = RESPONSE_HEAD.match(first)
        assert m, f"not a response head: {first!r}"
        body = [m.group(3) or ""]
        while True:
            line = self.raw_line(timeout)
            assert line is not None, "response not terminated by a blank line"
            if line == "":
                break
            body.append(line)
        text = "\n".join(body) if body[0] else "\n".join(body[1:])
        return m.group(1) == "=", m.group(2) or None, text

    def ok(self, command: str) -> str:
        self.send(command + "\n")
        success, _, text = self.response()
        assert success, f"{command!r} failed: {text}"
        return text

    def fail(self, command: str) -> str:
        self.send(command + "\n")
        success, _, text = self.response()
        assert not success, f"{command!r} should fail, answered {text!r}"
        return text

    def close(self) -> int:
        if self.proc.poll() is None:
            try:
                self.send("quit\n")
            except (BrokenPipeError, OSError, ValueError):  # ValueError: stdin already closed
                pass
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.stderr.close()
        return code
