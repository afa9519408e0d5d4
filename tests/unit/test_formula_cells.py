"""Exported text never runs as a formula in a spreadsheet, and importing it gives it back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.services.imports.formula_cells import as_written, shown_as_text

FORMULA_STARTS = "=+-@\t\r"
texts = st.text(alphabet=st.sampled_from("'=+-@\t\rab1 ,\"é"), max_size=8) | st.text(max_size=8)


def test_text_a_spreadsheet_would_run_gets_an_apostrophe() -> None:
    assert shown_as_text('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert shown_as_text("+1 555 0100") == "'+1 555 0100"
    assert shown_as_text("-5% churn") == "'-5% churn"
    assert shown_as_text("@Lena call back") == "'@Lena call back"
    assert shown_as_text("'=already quoted") == "''=already quoted"


def test_other_text_is_written_as_it_is() -> None:
    for text in ("Acme Corp", "'Til Dawn Ltd", "a=b", "", "'", "Renewal - Q3"):
        assert shown_as_text(text) == text
        assert as_written(text) == text


@given(texts)
def test_importing_what_the_export_wrote_gives_the_text_back(text: str) -> None:
    assert as_written(shown_as_text(text)) == text


@given(texts)
def test_no_exported_text_starts_like_a_formula(text: str) -> None:
    assert not shown_as_text(text).startswith(tuple(FORMULA_STARTS))
