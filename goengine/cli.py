"""``--help`` of the project's commands: plain-text descriptions and every option's default.

Module docstrings are reST, so their first paragraph (the description a command shows) loses its markup here.
"""
from __future__ import annotations

import argparse
import re


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds ``(default: X)`` to each option's help, except where there is no default to show (None, False, an
    empty list) or the help already gives it in parentheses."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        default = action.default
        if default is None or default is False or default == [] or "(default" in help_text:
            return help_text
        return super()._get_help_string(action)


def plain(text: str) -> str:
    """``text`` without reST markup: inline literals lose their double backquotes, a literal block's ``::`` becomes
    a colon."""
    return re.sub(r"``(.+?)``", r"\1", text).replace("::", ":")


def command_parser(doc: str, prog: str | None = None, paragraphs: int = 1, **options) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` described by the first ``paragraphs`` of ``doc`` in plain text, showing defaults."""
    description = plain("\n\n".join(doc.strip().split("\n\n")[:paragraphs]))
    return argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter, **options)
