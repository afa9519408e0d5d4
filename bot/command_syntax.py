"""How a command is written for the person to type, on each surface, from one place.

Handlers and services never spell a surface's syntax: they write `cmd("status Acme")`, a
marked command, into their messages. Each surface's renderer turns marks into its own syntax:
`/account status Acme` in Slack, `account status Acme` in Teams, `status Acme` in the console
(see `SURFACE_COMMANDS`). Templates call `typed(...)` for the same result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: never typed by anyone in practice
_MARKED = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")
_STRAY = re.compile(f"[{OPEN}{CLOSE}]")


def cmd(text: str) -> str:
    """A command to show the person, written for whichever surface renders the message."""
    return f"{OPEN}{' '.join(text.split())}{CLOSE}"


@dataclass(frozen=True)
class CommandStyle:
    """A surface's way of writing commands: the prefix, and how a command stands out."""

    prefix: str
    code: Callable[[str], str]

    def write(self, command: str) -> str:
        """``command`` (already escaped for the surface) as the person would type it."""
        return self.code(f"{self.prefix}{command}")

    def plain(self, command: str) -> str:
        """The same without formatting, for places that show plain text (form errors)."""
        return f"{self.prefix}{command}"

    def render(self, text: str, *, formatted: bool = True) -> str:
        """Every marked command in ``text`` written out; stray marks (text cut short) go."""
        write = self.write if formatted else self.plain
        return _STRAY.sub("", _MARKED.sub(lambda m: write(m.group(1)), text))


def _backticks(text: str) -> str:
    return f"`{text}`"


def _bold(text: str) -> str:
    # Teams markdown keeps backslash escapes inside bold but not inside code spans, and
    # command texts carry escaped account names.
    return f"**{text}**"


SURFACE_COMMANDS = {
    "slack": CommandStyle("/account ", _backticks),
    "teams": CommandStyle("account ", _bold),
    "text": CommandStyle("", _backticks),
}
