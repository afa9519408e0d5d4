"""The digest's chart: a valid PNG of sensible size whose numbers are the digest's.

The PNG carries its text alternative (the eight weeks in words) as its Description, which is
how the test reads the numbers back out of the picture.
"""

from __future__ import annotations

import io
import re
import struct

from PIL import Image

from bot.charts import chart_alt_text, chart_png
from bot.services.kpis.digest import CHART_KPIS, Digest
from bot.services.kpis.weeks import IsoWeek
from storage.db import Database
from tests.integration.builders import make_team, make_user
from tests.integration.digest_book import seed_digest_book
from tests.integration.test_digest import digest_of

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def described_numbers(png: bytes) -> dict[str, list[float | None]]:
    """Each KPI's eight values as the PNG's Description states them (rates as fractions)."""
    description = Image.open(io.BytesIO(png)).text["Description"]
    found: dict[str, list[float | None]] = {}
    for key, label in zip(
        CHART_KPIS,
        ("Recaps within 24 h", "Missed deadlines", "Upsell pitch coverage, quarter to date"),
        strict=True,
    ):
        line = next(line for line in description.splitlines() if line.startswith(label + ":"))
        values = line.removeprefix(label + ": ").split(" (target")[0].rstrip(".").split(", ")
        found[key] = [
            None if v == "—" else float(v.rstrip("%")) / (100 if v.endswith("%") else 1)
            for v in values
        ]
    return found


def check_png(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    assert 3_000 < len(png) < 60_000, len(png)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk comes first
    image = Image.open(io.BytesIO(png))
    image.verify()
    return width, height


def assert_numbers_match(digest: Digest, png: bytes) -> None:
    chart = digest.to_dict()["chart"]
    for key, values in described_numbers(png).items():
        for shown, exact in zip(values, chart[key], strict=True):
            assert (shown is None) == (exact is None), key
            if shown is not None:
                assert abs(shown - exact) <= 0.005, (key, shown, exact)  # shown rounded to 1%


async def test_the_chart_is_a_small_png_and_its_numbers_are_the_digests(
    sqlite_db: Database,
) -> None:
    digest = await digest_of(sqlite_db, await seed_digest_book(sqlite_db))
    png = chart_png(digest)
    assert check_png(png) == (900, 290)
    assert_numbers_match(digest, png)
    text = chart_alt_text(digest)
    assert text.startswith("Atlas: the last 8 weeks, 2025-W52 to 2026-W07.")
    assert "Recaps within 24 h: 100%, 100%, 100%, 75%, 100%, 75%, 100%, 50% (target ≥ 100%)." in (
        text
    )
    assert "Missed deadlines: 0, 0, 0, 0, 0, 0, 1, 3 (target ≤ 0)." in text


async def test_a_team_without_data_or_with_a_hostile_name_still_gets_a_chart(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.unit_of_work() as s:
        team = await make_team(s, name="$\\frac{1}{0}$ <!channel> & {{x}} " + "y" * 200)
        await make_user(s, team=team)

    digest = await digest_of(sqlite_db, team, week=IsoWeek(2026, 1))
    png = chart_png(digest)
    check_png(png)
    assert re.search(r"Recaps within 24 h: (—, ){7}—", chart_alt_text(digest))
    assert_numbers_match(digest, png)
