"""Reading an import file into trimmed `Cells`, one per data row, checking the header.

Pure: no database. Line numbers are the file's: the header is line 1.
"""

from __future__ import annotations

import csv
from typing import TextIO

from bot.services.imports.cells import Cells, RowProblem


class HeaderError(ValueError):
    """The header row is missing, lacks columns or has unknown ones."""


def read_cells(stream: TextIO, expected: tuple[str, ...]) -> tuple[list[Cells], list[RowProblem]]:
    """The data rows as `Cells` (rows of only empty cells are skipped) and rows of bad shape.

    Raises `HeaderError` when the header is not exactly the expected columns (any order, any
    case, a UTF-8 byte order mark allowed)."""
    reader = csv.reader(stream)
    cells: list[Cells] = []
    problems: list[RowProblem] = []
    try:
        columns = _columns(next(reader, None), expected)
        for raw in reader:
            values = [cell.strip() for cell in raw]
            if not any(values):
                continue
            line = reader.line_num - sum(cell.count("\n") for cell in raw)  # its first line
            if len(values) != len(columns):
                reason = f"has {len(values)} cells, the header has {len(columns)}"
                problems.append(RowProblem(line, None, reason))
            else:
                cells.append(Cells(line, dict(zip(columns, values, strict=True))))
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, None, f"not valid CSV: {exc}"))
    return cells, problems


def _columns(header: list[str] | None, expected: tuple[str, ...]) -> list[str]:
    wanted = ", ".join(expected)
    if header is None:
        raise HeaderError(f"the file is empty; the header must be: {wanted}")
    columns = [cell.strip().lstrip("\ufeff").strip().lower() for cell in header]
    faults = [
        f"{label} {', '.join(repr(name) for name in names)}"
        for label, names in (
            ("missing", [name for name in expected if name not in columns]),
            ("unknown", [name for name in columns if name not in expected]),
            ("repeated", sorted({name for name in columns if columns.count(name) > 1})),
        )
        if names
    ]
    if faults:
        raise HeaderError(f"header: {'; '.join(faults)}. Expected the columns: {wanted}")
    return columns
