"""Typed errors: a UserError becomes a friendly answer, anything else an apology."""

from __future__ import annotations

from collections.abc import Sequence

from bot.command_syntax import cmd


class UserError(Exception):
    """Something the user can fix; the message is shown to them as is (it is escaped)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(UserError):
    """No account (or person) by that name; carries the closest suggestions."""

    def __init__(self, query: str, suggestions: Sequence[str] = ()) -> None:
        hint = None if suggestions else f"{cmd('list team')} lists the accounts you can look up."
        super().__init__(f"No account matches “{query}”.", hint=hint)
        self.query = query
        self.suggestions = list(suggestions)


class Ambiguous(UserError):
    """Several accounts fit the name; the user picks one."""

    def __init__(self, query: str, candidates: Sequence[str]) -> None:
        super().__init__(f"“{query}” matches several accounts.")
        self.query = query
        self.candidates = list(candidates)


class Forbidden(UserError):
    """The actor may not see or change this. Never says whether the subject exists."""


class InvalidInput(UserError):
    """The command or form was malformed."""


class ConfigError(Exception):
    """Start-up configuration is wrong; the message names the setting."""
