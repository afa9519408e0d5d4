"""CSV cells of an import to typed values, or a problem naming the line and column.

Pure functions, no database. A reference to another row (a team by name, a user by e-mail,
an account by name) is kept as a `Ref` for the importer to resolve, one query per kind.
Cells arrive trimmed; an empty cell is null. Messages are for people fixing a spreadsheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar, cast

from bot.services.imports.local_dates import DateOrder, as_iso, looks_local
from storage.keys import name_key
from storage.models import Role

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

NAME_MAX = 200
SCORE_LIMIT = Decimal(10) ** 4  # Numeric(6, 2)
OFFSET_EXAMPLE = "2026-03-02T15:00:00+01:00"
TEAMLESS_ROLES = frozenset({Role.HEAD, Role.OPS})

# A date, or a date at midnight as tools that only have date-times write one.
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
# Also TRUE and FALSE as Excel writes them in CSV files in German, French, Spanish, Italian,
# Dutch and Portuguese.
_TRUE = frozenset(
    {"true", "yes", "y", "1", "wahr", "vrai", "verdadero", "vero", "waar", "verdadeiro"}
)
_FALSE = frozenset({"false", "no", "n", "0", "falsch", "faux", "falso", "onwaar"})


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row (or the header, line 1) cannot be imported; `column` is None for the row."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.column}: " if self.column else ""
        return f"line {self.line}: {where}{self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class RefKind(StrEnum):
    TEAM = "team"
    USER = "user"  # by e-mail
    PERSON = "person"  # a user by name, as CRMs write an owner: "Ann Lee"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class Ref:
    """A cell naming another row: `key` is how it is matched (casefolded name, lowered e-mail)."""

    column: str
    kind: RefKind
    key: str
    shown: str


@dataclass(slots=True)
class ParsedRow:
    """Model attribute -> value; `refs` are attributes (e.g. owner_id) still to be resolved.

    `create_only` are values for a row the import creates (an existing one keeps its own);
    `same_day` names datetime attributes that stand for a day in a time zone: a stored value
    on the same local day is kept, so importing a day again changes nothing."""

    line: int
    values: dict[str, Any]
    refs: dict[str, Ref | None] = field(default_factory=dict)
    create_only: dict[str, Any] = field(default_factory=dict)
    same_day: dict[str, str] = field(default_factory=dict)  # attribute -> time zone name


# Cell parsers: text in, value out, ValueError with the reason otherwise.


def parse_date(text: str) -> date:
    """YYYY-MM-DD; a time of exactly midnight may follow (2026-03-02 00:00:00)."""
    if match := _DATE.fullmatch(text):
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    raise ValueError(f"not a date (expected YYYY-MM-DD): {text!r}")


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date and time. With a UTC offset it is returned in UTC; without one it is
    returned naive, a wall-clock time for the importer to place in a time zone."""
    moment = None
    if _DATETIME.fullmatch(text):
        with suppress(ValueError):
            moment = datetime.fromisoformat(text)
    if moment is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(
            f"a day without its time: {text!r}; write when it started, e.g. {text} 15:00 (the "
            f"AM's wall-clock time) or {text}T15:00:00+01:00"
        )
    if moment is None:
        raise ValueError(f"not a date and time (expected e.g. {OFFSET_EXAMPLE}): {text!r}")
    return moment if moment.tzinfo is None else moment.astimezone(UTC)


def parse_bool(text: str) -> bool:
    lowered = text.casefold()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a yes/no value (expected true/false, yes/no or 1/0): {text!r}")


def parse_enum(enum: type[E], text: str) -> E:
    """Case-insensitive; "Case Study" and "case-study" also match case_study."""
    member = _members(enum).get(text.casefold().replace("-", "_").replace(" ", "_"))
    if member is None:
        expected = ", ".join(member.value for member in enum)
        raise ValueError(f"unknown value {text!r} (expected one of: {expected})")
    return cast(E, member)


@cache
def _members(enum: type[StrEnum]) -> dict[str, StrEnum]:
    return {member.value: member for member in enum}


def parse_email(text: str) -> str:
    if not _EMAIL.fullmatch(text):
        raise ValueError(f"not an email address: {text!r}")
    if len(text) > 320:
        raise ValueError("longer than 320 characters")
    return text.lower()


class Cells:
    """One row's trimmed cells by column; a bad cell records a problem and reads as None.

    Dates are ISO; with `dates`, also as a spreadsheet's locale writes them in that order.
    Such dates refused (without `dates`, or not valid in its order) are kept in `local_dates`
    for the import's hint."""

    def __init__(self, line: int, cells: Mapping[str, str], dates: DateOrder | None = None) -> None:
        self.line = line
        self.cells = cells
        self.dates = dates
        self.problems: list[RowProblem] = []
        self.local_dates: list[str] = []

    def problem(self, column: str | None, reason: str) -> None:
        self.problems.append(RowProblem(self.line, column, reason))

    def text(self, column: str, *, max_length: int, required: bool = False) -> str | None:
        value = self.cells[column]
        if not value:
            if required:
                self.problem(column, "required, but empty")
            return None
        if len(value) > max_length:
            self.problem(column, f"longer than {max_length} characters")
            return None
        return value

    def value(self, column: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        text = self.text(column, max_length=10_000, required=required)
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.problem(column, str(exc))
            return None

    def day(self, column: str, *, required: bool = False) -> date | None:
        return self._dated(column, parse_date, required)

    def moment(self, column: str, *, required: bool = False) -> datetime | None:
        return self._dated(column, parse_datetime, required)

    def _dated(self, column: str, parse: Callable[[str], T], required: bool) -> T | None:
        text = self.text(column, max_length=10_000, required=required)
        if text is None:
            return None
        try:
            return parse(as_iso(text, self.dates) if self.dates else text)
        except ValueError as exc:
            if not looks_local(text):
                self.problem(column, str(exc))
                return None
            if self.dates:
                self.problem(column, f"not a date in {self.dates.shown}: {text!r}")
            else:
                self.problem(column, f"{exc} (see the note on dates below)")
            self.local_dates.append(text)
            return None

    def enum(self, column: str, enum: type[E], *, required: bool = False) -> E | None:
        return self.value(column, lambda text: parse_enum(enum, text), required=required)

    def name(self, column: str) -> tuple[str | None, str | None]:
        """A required name and its case-insensitive key."""
        name = self.text(column, max_length=NAME_MAX, required=True)
        key = name_key(name) if name else None
        if key is not None and len(key) > NAME_MAX:
            self.problem(column, f"longer than {NAME_MAX} characters")
        return name, key

    def ref(self, column: str, kind: RefKind, *, required: bool = False) -> Ref | None:
        text = self.text(column, max_length=10_000, required=required)
        if text is None:
            return None
        if kind is RefKind.USER and "@" not in text:
            kind = RefKind.PERSON
        key = text.lower() if kind is RefKind.USER else name_key(text)
        return Ref(column, kind, key, text)

    def not_before(
        self, column: str, later: date | None, earlier_column: str, earlier: Any
    ) -> None:
        if later is not None and earlier is not None and later < earlier:
            self.problem(column, f"{later.isoformat()} is before {earlier_column}")
