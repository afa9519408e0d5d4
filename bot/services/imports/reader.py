"""Reading an import file into trimmed `Cells`, one per data row, checking the header.

Files come as spreadsheets and CRMs write them: `read_csv` takes UTF-8 text with or without a
byte order mark (or an encoding the user names, such as the cp1252 Excel on Windows writes for
"CSV (Comma delimited)"; a file that is not UTF-8 is refused, never guessed at, with its first
such line as cp1252 would read it), any line ends, and a comma, semicolon or tab between cells
(sniffed, the header deciding when in doubt, or named by a first line `sep=;`); `read_xlsx`
reads an Excel workbook's sheet named after the kind, else its first, typed cells as their CSV
text would be. `read_cells` finds the header (below a report's title, if any) and matches it to
the kind's columns (`header`), ignores columns the kind does not have and lets optional ones be
left out; cells are trimmed, and the apostrophe an export puts before formula-like text is
taken off. Pure: no database. Line numbers are the file's (a spreadsheet's row numbers, unless
a cell spans lines): the header is line 1, or 2 after a `sep=` line, or lower under a title.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any, TextIO
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.styles.numbers import is_datetime
from openpyxl.utils.exceptions import InvalidFileException

from bot.services.imports.cells import Cells, RowProblem
from bot.services.imports.formula_cells import as_written
from bot.services.imports.header import (
    HEADER_SEARCH_LINES,
    Columns,
    Header,
    HeaderError,
    column_key,
    lines_above_header,
    match_header,
    wanted,
)
from bot.services.imports.local_dates import DateOrder

DELIMITERS = ",;\t"
_XLSX = b"PK\x03\x04"  # a zip archive, as every .xlsx is
_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary format
SNIFF_LINES = 50
_SEP_LINE = re.compile(r'sep=([^"\r\n])[ \t]*(?:\r\n|\r|\n)', re.IGNORECASE)


class UnreadableFile(ValueError):
    """The file is not text in its encoding (or not a workbook); the message says what to do."""


@dataclass(frozen=True, slots=True)
class Table:
    """A file's rows as text: (line of the row's first cell, its cells), the header first.
    `problems` are what could not be read at all (a row that is not valid CSV)."""

    source: str
    rows: list[tuple[int, list[str]]]
    problems: list[RowProblem]


def read_file(path: Path, *, kind: str, known: Collection[str], encoding: str = "utf-8") -> Table:
    """An Excel workbook or a CSV file (in `encoding`), told apart by their first bytes; raises
    `OSError` when it cannot be opened and `UnreadableFile` when it is neither."""
    with path.open("rb") as binary:
        start = binary.read(len(_XLS))
    if start.startswith(_XLSX):
        return read_xlsx(path, kind=kind)
    if start == _XLS:
        raise UnreadableFile(
            f"Cannot read {path.name}: it is an old Excel workbook (.xls); save it as an Excel "
            "Workbook (.xlsx) or as “CSV UTF-8” and import it again."
        )
    with path.open(encoding=encoding, newline="") as stream:
        try:
            return read_csv(stream, source=path.name, known=known)
        except UnicodeDecodeError:
            raise UnreadableFile(_not_text_in(path, encoding)) from None


WINDOWS_ENCODING = "cp1252"  # what Excel on Windows writes for "CSV (Comma delimited)"
_SHOWN = 80


def _not_text_in(path: Path, encoding: str) -> str:
    """Why `path` cannot be read in `encoding`, and what to do. For a file that is not UTF-8,
    its first such line as it reads in cp1252, so the user can tell whether that is it."""
    advice = "save it as “CSV UTF-8” (or as an Excel Workbook, .xlsx) and import it again."
    if codecs.lookup(encoding).name != "utf-8":
        return f"Cannot read {path.name}: it is not {encoding} text; {advice}"
    lines = enumerate(path.read_bytes().splitlines(), start=1)
    number, line = next(((n, line) for n, line in lines if not _utf8(line)), (0, b""))
    if not number:  # cannot happen: UTF-8 never splits a character across line ends
        return f"Cannot read {path.name}: it is not UTF-8 text; {advice}"
    text = line.decode(WINDOWS_ENCODING, errors="replace")
    shown = "".join(c if c.isprintable() else "\ufffd" for c in text).strip()
    shown = shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1].rstrip() + "…"
    return (
        f"Cannot read {path.name}: it is not UTF-8 text (line {number} is not). Excel on "
        f"Windows saves “CSV (Comma delimited)” in {WINDOWS_ENCODING}, where line {number} reads "
        f"“{shown}”: if that is right, import it again with --encoding {WINDOWS_ENCODING}; "
        f"otherwise {advice}"
    )


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_xlsx(path: Path, *, kind: str) -> Table:
    """The rows of a workbook's sheet named after `kind` (any case), else of its first sheet;
    line numbers are the sheet's row numbers. Typed cells read as their CSV text would."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableFile(
            f"Cannot read {path.name} as an Excel workbook (.xlsx): {exc}"
        ) from None
    try:
        sheets = workbook.worksheets
        sheet = next((s for s in sheets if column_key(s.title) == column_key(kind)), sheets[0])
        sheet.reset_dimensions()  # some writers record a wrong used range: read every row
        rows = [
            (line, [_cell_text(cell) for cell in row])
            for line, row in enumerate(sheet.iter_rows(min_row=1), start=1)
        ]
    finally:
        workbook.close()
    width = max((len(cells) for _, cells in rows), default=0)
    padded = [(line, cells + [""] * (width - len(cells))) for line, cells in rows]  # empty ends
    source = path.name if len(sheets) == 1 else f"{path.name} (sheet {sheet.title})"
    return Table(source, padded, [])


def _cell_text(cell: Any) -> str:
    """A cell as a CSV file would hold it: dates YYYY-MM-DD, date-times YYYY-MM-DD HH:MM:SS
    (with no offset, so read in a time zone as such text is), numbers without float noise."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        shown_as_date = is_datetime(getattr(cell, "number_format", None)) == "date"
        return value.date().isoformat() if shown_as_date else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


def read_csv(stream: TextIO, *, source: str, known: Collection[str]) -> Table:
    """Every row of a CSV file; `known` (the kind's columns) settles which delimiter it uses
    when sniffing the first lines leaves a doubt. A first line `sep=;`, as Excel writes and
    reads it, names the delimiter and is not a row (line numbers still count it)."""
    text = stream.read().removeprefix("\ufeff")
    declared = _SEP_LINE.match(text)
    if declared:
        delimiter, text, skipped = declared[1], text[declared.end() :], 1
    else:
        delimiter, skipped = _delimiter(text, known), 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    problems: list[RowProblem] = []
    try:
        for raw in reader:
            line = reader.line_num - sum(cell.count("\n") for cell in raw)  # its first line
            rows.append((line + skipped, raw))
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num + skipped, None, f"not valid CSV: {exc}"))
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

    def columns_found(delimiter: str) -> int:  # in the header: the first lines' best
        rows = csv.reader(lines[:HEADER_SEARCH_LINES], delimiter=delimiter)
        return max(len({column_key(cell) for cell in row} & known_keys) for row in rows)

    # The header has the kind's column names: the delimiter finding the most of them wins,
    # the sniffed one on a tie.
    candidates = [sniffed, *(d for d in DELIMITERS if d != sniffed)]
    return max(candidates, key=columns_found)


def read_cells(
    table: Table, columns: Columns, *, dates: DateOrder | None = None
) -> tuple[list[Cells], list[RowProblem], Header]:
    """The data rows as `Cells` with every column of the kind (a column the file leaves out
    reads as empty; dates also in `dates` order), rows of bad shape as problems, and what the
    header holds. Rows of only empty cells are skipped, and so are lines above the header (a
    report's title: `lines_above_header`). Raises `HeaderError` when a required column is
    missing or one of the kind's columns is repeated."""
    rows = ((line, [as_written(cell.strip()) for cell in raw]) for line, raw in table.rows)
    filled: Iterator[tuple[int, list[str]]] = (
        (line, values) for line, values in rows if any(values)
    )
    top = list(islice(filled, HEADER_SEARCH_LINES))
    if not top:
        raise HeaderError(
            f"the file is empty; the first line must be the header: {wanted(columns)}"
        )
    above = lines_above_header(top, columns)
    header_line, header_cells = top[above]
    filled = chain(top[above + 1 :], filled)
    positions, header = match_header(header_cells, columns)
    if above:
        header = replace(header, first_line=header_line)
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
        cells.append(Cells(line, found | absent, dates))
    return cells, problems, header
