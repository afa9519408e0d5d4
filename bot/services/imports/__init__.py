"""Importing a team's spreadsheets: `accountbot import KIND FILE`.

* `cells` — one cell's text to a typed value, or a problem naming the line and column;
* `reader` — a file to trimmed cells per row, checking the header;
* `rows` — the kinds of file: columns, natural keys and row parsers;
* `importer` — checks every row, resolves references, upserts all or nothing.
"""

from bot.services.imports.cells import RowProblem
from bot.services.imports.importer import (
    ImportRejected,
    ImportResult,
    Progress,
    import_csv,
    import_table,
)
from bot.services.imports.reader import Table, UnreadableFile, read_file
from bot.services.imports.rows import SPECS, ImportKind

__all__ = [
    "SPECS",
    "ImportKind",
    "ImportRejected",
    "ImportResult",
    "Progress",
    "RowProblem",
    "Table",
    "UnreadableFile",
    "import_csv",
    "import_table",
    "read_file",
]
