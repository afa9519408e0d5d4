"""A team's spreadsheets in and out: `accountbot import KIND FILE` and `accountbot export DIR`.

* `reader` — a CSV file or an Excel workbook to trimmed cells per row, checking the header,
  the apostrophe an export puts before formula-like text taken off (`formula_cells`);
* `cells` — one cell's text to a typed value, or a problem naming the line and column;
* `numbers`, `local_dates` — numbers, money and dates as spreadsheets write them;
* `rows` — one row of each kind parsed; `kinds` — the kinds of file: columns, natural keys;
* `row_checks` — references resolved, keys repeated in the file, unique ids already taken;
* `checks` — what a kind's rows need from the database: time zones, the account's stage;
* `queries` — the chunked lookups;
* `importer` — checks every row, upserts all or nothing;
* `outcome` — what an import ends with: counts, or every problem and what to do;
* `export` — every kind written back in its import format.
"""

from bot.services.imports.cells import RowProblem
from bot.services.imports.importer import Progress, import_csv, import_table
from bot.services.imports.kinds import SPECS, ImportKind
from bot.services.imports.outcome import ImportRejected, ImportResult
from bot.services.imports.reader import Table, UnreadableFile, read_file

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
