"""Natural keys: how names are compared and stored in the `name_key` columns."""

from __future__ import annotations

# Phone keyboards type curly quotes; spreadsheets keep whatever was pasted.
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"'})


def name_key(text: str) -> str:
    """Case, repeated spaces and curly quotes do not tell two names apart."""
    return " ".join(text.translate(_QUOTES).split()).casefold()
