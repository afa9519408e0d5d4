"""Importing a team's spreadsheets: `accountbot import KIND FILE`.

* `cells` — one cell's text to a typed value, or a problem naming the line and column;
* `reader` — a file to trimmed cells per row, checking the header;
* `rows` — the kinds of file: columns, natural keys and row parsers;
* `importer` — checks every row, resolves references, upserts all or nothing.
"""

from bot.services.imports.cells import RowProblem
from bot.services.imports.importer import ImportRejected, ImportResult, import_csv
from bot.services.imports.rows import ImportKind

__all__ = ["ImportKind", "ImportRejected", "ImportResult", "RowProblem", "import_csv"]
