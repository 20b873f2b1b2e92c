"""Screenshot a review page (``goengine-review``'s NAME.html) with headless Chromium, as the README's picture.

    python scripts/review_screenshot.py OUT_DIR/NAME.html -o docs/review.png [--width 1100] [--height 2000]

Chromium is the Debian package (``apt-get install chromium``); it runs with a new, temporary profile, no sandbox,
no GPU and no network services, so the page must be self-contained to show its graph and diagrams.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

BROWSERS = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def screenshot(page: str, png: str, width: int = 1100, height: int = 2000, timeout: float = 120) -> None:
    """Render the HTML file ``page`` into ``png`` (``width`` x ``height`` pixels). ``RuntimeError`` when Chromium
    is missing or fails."""
    browser = find_chromium()
    if browser is None:
        raise RuntimeError("Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        target = os.path.join(profile, "shot.png")
        done = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={target}",
                               f"--window-size={width},{height}", "file://" + os.path.abspath(page)],
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not os.path.exists(target):
            raise RuntimeError(f"Chromium failed (exit status {done.returncode}): {done.stderr.strip()[-500:]}")
        shutil.move(target, png)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page", help="the review page (NAME.html)")
    ap.add_argument("-o", "--out", required=True, help="PNG to write")
    ap.add_argument("--width", type=int, default=1100)
    ap.add_argument("--height", type=int, default=2000)
    args = ap.parse_args(argv)
    if not os.path.isfile(args.page):
        ap.error(f"no such page: {args.page}")
    if args.width < 100 or args.height < 100:
        ap.error("--width and --height must be at least 100 pixels")
    try:
        screenshot(args.page, args.out, args.width, args.height)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"review_screenshot: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
