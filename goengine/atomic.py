"""Write a file atomically: into a temporary file beside it, then renamed over the real name.

A crash, a full disk or an exception in the writer leaves the old file (or none) under the real name, never half
a file; the temporary file is removed. Model files, checkpoints and game packs are all written this way.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(fh)`` on a temporary binary file in ``path``'s folder (made if missing), flush it to disk, and
    rename it to ``path``. The file gets mode 0644 whatever the umask of ``mkstemp``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
