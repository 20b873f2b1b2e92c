"""Search speed of streamed analysis at a GUI's interval: visits after a few seconds of ``lz-analyze``.

    python benchmarks/analysis_rate.py [--seconds 6] [--intervals 10 100] [--threads 1] [--weights W]

Starts ``gtp_server.py`` (search on, as GUIs start it) once per run, plays two moves, streams ``lz-analyze`` at
each interval (centiseconds, as Lizzie sends it: 10 is a line every 0.1 s) and reports the visits in the last
line after ``--seconds``, the lines received, and each interval's visits as a share of the slowest-lined one's.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def analysis_visits(interval: int, seconds: float, extra: list[str]) -> tuple[int, int]:
    """(visits summed over the candidates of the last info line, info lines) after ``seconds`` of analysis."""
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "gtp_server.py"), *extra], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    proc.stdin.write("play b Q16\nplay w D4\n")
    proc.stdin.flush()
    for _ in range(4):  # two responses: "=" and a blank line each
        proc.stdout.readline()
    proc.stdin.write(f"lz-analyze b {interval}\n")
    proc.stdin.flush()
    start, last, lines = time.monotonic(), "", 0
    while time.monotonic() - start < seconds:
        line = proc.stdout.readline()
        if line.startswith("info"):
            last, lines = line, lines + 1
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    proc.communicate(timeout=60)
    return sum(int(v) for v in re.findall(r"visits (\d+)", last)), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--intervals", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--weights")
    args = parser.parse_args()
    extra = ["--threads", str(args.threads)] + (["--weights", args.weights] if args.weights else [])
    runs = {i: analysis_visits(i, args.seconds, extra) for i in args.intervals}
    base = runs[max(runs)][0] or 1
    print(json.dumps({"seconds": args.seconds, "threads": args.threads,
                      "runs": [{"interval_cs": i, "visits": v, "lines": n, "share_of_longest_interval": v / base}
                               for i, (v, n) in runs.items()]}))


if __name__ == "__main__":
    main()
