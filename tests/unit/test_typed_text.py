"""What people type is stored as typed, minus the control characters no database takes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.formatting import typed_clean
from bot.handlers.base import split_command
from bot.handlers.meetings import RecapFields


def test_nul_and_escape_characters_are_dropped_line_breaks_kept() -> None:
    assert typed_clean("Acme\x00 \x1b[31mCorp\x7f\n\tnext") == "Acme [31mCorp\n\tnext"
    assert split_command("STATUS \x00") == ("status", "")
    fields = RecapFields.from_form({"summary": "Agreed\x00 the pilot\nand next steps"})
    assert fields.summary == "Agreed the pilot\nand next steps"


@given(st.text())
def test_cleaned_text_has_no_nul_and_keeps_every_printable_character(text: str) -> None:
    cleaned = typed_clean(text)
    assert "\x00" not in cleaned
    assert [c for c in text if c.isprintable() or c in "\n\t"] == [
        c for c in cleaned if c.isprintable() or c in "\n\t"
    ]
