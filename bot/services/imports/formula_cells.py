"""Text that a spreadsheet app would run as a formula, written so it is shown as text.

Excel, LibreOffice and Google Sheets treat a cell starting with `=`, `+`, `-` or `@` (or a tab
or carriage return before one) as a formula, so a recap typed in chat as `=HYPERLINK(…)`
would run when a lead opens the export. The export writes such text with an apostrophe in
front, which those apps show as text and never run; the import takes that apostrophe off
again, so exporting, importing and exporting still gives the same bytes. Text that starts
with apostrophes before such a character gets one more, so the rule undoes itself exactly;
an apostrophe before anything else (`'Til Dawn Ltd`) is the name's own and stays.
Numbers and dates are written by the export itself, never as formulas, and keep their sign.
"""

from __future__ import annotations

_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _runs_as_formula(text: str) -> bool:
    return text.lstrip("'").startswith(_STARTS)


def shown_as_text(text: str) -> str:
    """``text`` as the export writes it."""
    return f"'{text}" if _runs_as_formula(text) else text


def as_written(cell: str) -> str:
    """An imported cell's text, without the apostrophe `shown_as_text` put before it."""
    return cell[1:] if cell.startswith("'") and _runs_as_formula(cell) else cell
