"""Numbers in import files: plain ones, and amounts of money as spreadsheets show them.

Pure functions, no database: text in, `Decimal` out, `ValueError` with the reason otherwise.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MONEY_LIMIT = Decimal(10) ** 12  # Numeric(14, 2)

_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_CURRENCY = re.compile(r"^(?:[$€£¥]|[A-Z]{3}(?=[\s\d]))\s*|\s*(?:[$€£¥]|(?<=[\s\d])[A-Z]{3})$")
# 1,200 / 1.200.000 / 1 200,50 / 1'200.50: groups of three after the first, then a decimal part
# with the other separator.
_GROUPED = re.compile(
    r"(?P<whole>[1-9]\d{0,2}(?P<separator>[,.'\s\u00a0\u202f])\d{3}(?:(?P=separator)\d{3})*)"
    r"(?:(?P<point>[,.])(?P<fraction>\d{1,2}))?"
)


def parse_decimal(
    text: str, *, limit: Decimal = MONEY_LIMIT, places: int = 2, money: bool = False
) -> Decimal:
    """A plain number such as 1200 or 1200.50, or with a decimal comma (1200,5). An amount of
    `money` may also be written as spreadsheets show money: thousands grouped (1,200.50,
    1.200,50, 1 200,50, 1'200.50: a separator followed by three digits groups thousands, since
    amounts have at most two decimals) and a currency sign or code around it ($1,200, 1.200 €,
    1200 EUR)."""
    try:
        value = Decimal(_plain(text, money))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or "_" in text:
        example = "1200.50, 1,200.50 or 1.200,50" if money else "4.5 or 4,5"
        raise ValueError(f"not a number: {text!r} (write e.g. {example})")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValueError(f"at most {places} decimal places: {text!r}")
    if abs(value) >= limit:
        raise ValueError(f"too large: {text!r}")
    return value


def _plain(text: str, money: bool) -> str:
    """``text`` as `Decimal` reads a number: its sign first, a decimal comma made a point; for
    `money` also the currency around it dropped and thousands separators removed."""
    bare = text.strip()
    sign = "-" if bare.startswith("-") else ""
    bare = bare.removeprefix("-")
    if money:
        bare = _CURRENCY.sub("", bare)
        if not sign and bare.startswith("-"):  # $-1,200
            sign, bare = "-", bare[1:]
        grouped = _GROUPED.fullmatch(bare)
        if grouped and grouped["point"] != grouped["separator"]:
            whole = re.sub(r"\D", "", grouped["whole"])
            fraction = grouped["fraction"]
            return f"{sign}{whole}.{fraction}" if fraction else sign + whole
    if _DECIMAL_COMMA.fullmatch(bare):
        return sign + bare.replace(",", ".")
    return sign + bare


def parse_money(text: str) -> Decimal:
    value = parse_decimal(text, money=True)
    if value < 0:
        raise ValueError(f"must not be negative: {text!r}")
    return value
