"""A file's header matched to a kind's columns: by name or by the other names CRMs and
spreadsheets give them, whatever the case, spaces, hyphens or underscores, below a report's
title if there is one. Pure: no files, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

HEADER_SEARCH_LINES = 10  # a report's title lines above its header, at most
_SEPARATORS = re.compile(r"[\s\-_]+")


class HeaderError(ValueError):
    """The header row is missing, lacks required columns or repeats one."""


@dataclass(frozen=True, slots=True)
class Columns:
    """A kind's columns in the order files are written, those a file must have, and the
    headers CRMs and spreadsheets write for some of them (`Account Name` for name)."""

    names: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)  # header -> column

    @property
    def known(self) -> tuple[str, ...]:
        """Every header a file of this kind may use: the columns, then their other names."""
        return (*self.names, *self.aliases)


@dataclass(frozen=True, slots=True)
class Header:
    """The kind's columns the file has, the other headers as written (ignored), and the
    headers read as a column of another name (`("Account Owner", "owner_email")`)."""

    present: frozenset[str]
    ignored: tuple[str, ...]
    read_as: tuple[tuple[str, str], ...] = ()
    first_line: int | None = None  # the header's line when lines above it were skipped


def column_key(header: str) -> str:
    """How a header cell is matched to a column, whatever its case, spaces, hyphens and
    underscores: `Slack Channel ID`, `Owner-Email` and `Time Zone` are slack_channel_id,
    owner_email and timezone."""
    return _SEPARATORS.sub("", header.replace("\ufeff", "").casefold())


def lines_above_header(top: list[tuple[int, list[str]]], columns: Columns) -> int:
    """How many of the first lines come before the header: a report's title and date, as CRMs
    write above an export. The header is the first line with every required column (by name
    or another name); when none has them, the first line, so the error names what is missing."""
    keys = {column_key(name): name for name in columns.names}
    keys |= {column_key(alias): name for alias, name in columns.aliases.items()}
    for index, (_, cells) in enumerate(top):
        found = {keys.get(column_key(cell)) for cell in cells}
        if all(name in found for name in columns.required):
            return index
    return 0


def wanted(columns: Columns) -> str:
    return f"{', '.join(columns.names)} (required: {', '.join(columns.required)})"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


def match_header(header_cells: list[str], columns: Columns) -> tuple[dict[str, int], Header]:
    """Where each column is. A column's own name wins over its other names (`Owner Email`
    over `Account Owner`, which is then ignored); two other names of one column repeat it."""
    by_key = {column_key(name): name for name in columns.names}
    by_alias = {column_key(alias): name for alias, name in columns.aliases.items()}
    positions: dict[str, int] = {}
    repeated: list[str] = []
    ignored: list[str] = []
    aliased: list[tuple[int, str, str]] = []
    for index, written in enumerate(header_cells):
        key = column_key(written)
        name = by_key.get(key)
        if name is None and key in by_alias:
            aliased.append((index, by_alias[key], written))
        elif name is None:
            if written:
                ignored.append(written)
        elif name in positions:
            repeated.append(name)
        else:
            positions[name] = index
    read_as: list[tuple[str, str]] = []
    for index, name, written in aliased:
        if name not in positions:
            positions[name] = index
            read_as.append((written, name))
        elif any(name == column for _, column in read_as):
            repeated.append(name)  # two other names of one column: which is meant?
        else:
            ignored.append(written)  # the column's own name is there too
    missing = [name for name in columns.required if name not in positions]
    faults = [
        f"{label} {_quoted(found)}"
        for label, found in (("missing", missing), ("repeated", sorted(set(repeated))))
        if found
    ]
    if faults:
        unknown = f" Not recognised: {_quoted(ignored)}." if ignored and missing else ""
        raise HeaderError(
            f"header: {'; '.join(faults)}.{unknown} The columns are: {wanted(columns)}, "
            "in any order and case"
        )
    return positions, Header(frozenset(positions), tuple(ignored), tuple(read_as))
