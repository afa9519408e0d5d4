"""Reading an import file into trimmed `Cells`, one per data row, checking the header.

Files come as spreadsheets and CRMs write them: `read_csv` takes UTF-8 text with or without a
byte order mark, any line ends, and a comma, semicolon or tab between cells (sniffed, the
header deciding when in doubt). `read_cells` matches the header to a kind's columns whatever
their case, spaces, hyphens or underscores (`Slack Channel ID` is slack_channel_id), ignores
columns the kind does not have and lets optional ones be left out. Pure: no database. Line
numbers are the file's: the header is line 1 (a spreadsheet's row numbers, unless a cell spans
lines).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

from bot.services.imports.cells import Cells, RowProblem

DELIMITERS = ",;\t"
SNIFF_LINES = 50
_SEPARATORS = re.compile(r"[\s\-_]+")


class HeaderError(ValueError):
    """The header row is missing, lacks required columns or repeats one."""


class UnreadableFile(ValueError):
    """The file is not text in UTF-8 (or not a workbook); the message says what to do."""


@dataclass(frozen=True, slots=True)
class Columns:
    """A kind's columns in the order files are written, and those a file must have."""

    names: tuple[str, ...]
    required: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A file's rows as text: (line of the row's first cell, its cells), the header first.
    `problems` are what could not be read at all (a row that is not valid CSV)."""

    source: str
    rows: list[tuple[int, list[str]]]
    problems: list[RowProblem]


@dataclass(frozen=True, slots=True)
class Header:
    """The kind's columns the file has, and the other headers as written (ignored)."""

    present: frozenset[str]
    ignored: tuple[str, ...]


def column_key(header: str) -> str:
    """How a header cell is matched to a column, whatever its case, spaces, hyphens and
    underscores: `Slack Channel ID`, `Owner-Email` and `Time Zone` are slack_channel_id,
    owner_email and timezone."""
    return _SEPARATORS.sub("", header.replace("\ufeff", "").casefold())


def read_file(path: Path, *, known: Collection[str]) -> Table:
    """A CSV file (UTF-8); raises `OSError` when it cannot be opened."""
    with path.open(encoding="utf-8", newline="") as stream:
        try:
            return read_csv(stream, source=path.name, known=known)
        except UnicodeDecodeError:
            raise UnreadableFile(
                f"Cannot read {path.name}: it is not UTF-8 text; save it as “CSV UTF-8” and "
                "import it again."
            ) from None


def read_csv(stream: TextIO, *, source: str, known: Collection[str]) -> Table:
    """Every row of a CSV file; `known` (the kind's columns) settles which delimiter it uses
    when sniffing the first lines leaves a doubt."""
    text = stream.read().removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, known))
    rows: list[tuple[int, list[str]]] = []
    problems: list[RowProblem] = []
    try:
        for raw in reader:
            line = reader.line_num - sum(cell.count("\n") for cell in raw)  # its first line
            rows.append((line, raw))
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, None, f"not valid CSV: {exc}"))
    return Table(source, rows, problems)


def _delimiter(text: str, known: Collection[str]) -> str:
    lines = [line for line in islice(io.StringIO(text, newline=""), SNIFF_LINES) if line.strip()]
    if not lines:
        return ","
    try:
        sniffed = csv.Sniffer().sniff("".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    if sniffed not in DELIMITERS:
        sniffed = ","

    known_keys = {column_key(name) for name in known}

    def columns_found(delimiter: str) -> int:
        header = next(csv.reader([lines[0]], delimiter=delimiter), [])
        return len({column_key(cell) for cell in header} & known_keys)

    # The header has the kind's column names: the delimiter finding the most of them wins,
    # the sniffed one on a tie.
    candidates = [sniffed, *(d for d in DELIMITERS if d != sniffed)]
    return max(candidates, key=columns_found)


def read_cells(table: Table, columns: Columns) -> tuple[list[Cells], list[RowProblem], Header]:
    """The data rows as `Cells` with every column of the kind (a column the file leaves out
    reads as empty), rows of bad shape as problems, and what the header holds. Rows of only
    empty cells are skipped. Raises `HeaderError` when a required column is missing or one
    of the kind's columns is repeated."""
    rows = ((line, [cell.strip() for cell in raw]) for line, raw in table.rows)
    filled = ((line, values) for line, values in rows if any(values))
    first = next(filled, None)
    if first is None:
        raise HeaderError(
            f"the file is empty; the first line must be the header: {_wanted(columns)}"
        )
    header_cells = first[1]
    positions, header = _match(header_cells, columns)
    absent = dict.fromkeys((name for name in columns.names if name not in positions), "")
    cells: list[Cells] = []
    problems = list(table.problems)
    for line, values in filled:
        extra = values[len(header_cells) :]
        if len(values) < len(header_cells) or any(extra):
            reason = f"has {len(values)} cells, the header has {len(header_cells)}"
            problems.append(RowProblem(line, None, reason))
            continue
        found = {name: values[index] for name, index in positions.items()}
        cells.append(Cells(line, found | absent))
    return cells, problems, header


def _wanted(columns: Columns) -> str:
    return f"{', '.join(columns.names)} (required: {', '.join(columns.required)})"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _match(header_cells: list[str], columns: Columns) -> tuple[dict[str, int], Header]:
    by_key = {column_key(name): name for name in columns.names}
    names = [by_key.get(column_key(cell)) for cell in header_cells]
    positions: dict[str, int] = {}
    repeated: list[str] = []
    ignored: list[str] = []
    for index, (name, written) in enumerate(zip(names, header_cells, strict=True)):
        if name is None:
            if written:
                ignored.append(written)
        elif name in positions:
            repeated.append(name)
        else:
            positions[name] = index
    missing = [name for name in columns.required if name not in positions]
    faults = [
        f"{label} {_quoted(found)}"
        for label, found in (("missing", missing), ("repeated", sorted(set(repeated))))
        if found
    ]
    if faults:
        unknown = f" Not recognised: {_quoted(ignored)}." if ignored and missing else ""
        raise HeaderError(
            f"header: {'; '.join(faults)}.{unknown} The columns are: {_wanted(columns)}, "
            "in any order and case"
        )
    return positions, Header(frozenset(positions), tuple(ignored))
