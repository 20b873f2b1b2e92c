"""Talk to a GTP engine running as a subprocess: send a command, read one response, with timeouts."""
from __future__ import annotations

import queue
import shlex
import subprocess
import threading
from typing import IO


class GtpError(RuntimeError):
    """The engine answered ``?``: ``message`` is its error text."""


class EngineDied(RuntimeError):
    """The engine exited, closed its output, timed out or wrote something that is not GTP."""


class GtpClient:
    """One GTP engine process. ``command`` is a shell-like string or an argument list.

    ``send`` returns the response text (without ``=``) or raises ``GtpError`` for a ``?`` answer and
    ``EngineDied`` when no well-formed answer arrives within ``timeout`` seconds.
    """

    def __init__(self, command: str | list[str], stderr: IO | int | None = subprocess.DEVNULL,
                 cwd: str | None = None):
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        self.process = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                        cwd=cwd)
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.closed = False

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _next_line(self, timeout: float | None) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise EngineDied(f"no answer within {timeout:g} s") from None
        if line is None:
            self._lines.put(None)
            raise EngineDied(f"engine exited (code {self.process.poll()})")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def send(self, command: str, timeout: float | None = 60.0) -> str:
        """Send one command and return its successful response text."""
        if self.closed:
            raise EngineDied("engine already closed")
        try:
            self.process.stdin.write(command.encode("utf-8") + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise EngineDied(f"cannot write to engine: {exc}") from exc
        first = self._next_line(timeout)
        while not first.strip():  # tolerate stray blank lines before a response
            first = self._next_line(timeout)
        if first[:1] not in "=?":
            raise EngineDied(f"not a GTP response: {first[:80]!r}")
        lines = [first[1:].lstrip("0123456789").strip()]
        while True:
            line = self._next_line(timeout)
            if not line.strip():
                break
            lines.append(line)
        text = "\n".join(lines).strip()
        if first[0] == "?":
            raise GtpError(text)
        return text

    def close(self, timeout: float = 5.0) -> None:
        """Send ``quit`` and wait for the process; kill it if it lingers."""
        if self.closed:
            return
        self.closed = True
        try:
            self.process.stdin.write(b"quit\n")
            self.process.stdin.flush()
            self.process.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "GtpClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
