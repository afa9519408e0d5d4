"""Golden renderings of the fixed digest book (tests/integration/digest_book.py) on every
surface, and one set of numbers: each headline KPI shows the value `digest --format json`
gives, in the text, in Slack and in Teams.

Run with UPDATE_GOLDEN=1 to rewrite the files in tests/fixtures/golden/ after a deliberate
change, and read the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.channels.slack_messages import message
from bot.channels.teams_cards import card_message
from bot.handlers.kpi import digest_reply
from bot.kpi_display import kpi_label, kpi_value
from bot.rendering import Renderer
from bot.services.kpis.digest import HEADLINE, Digest
from storage.db import Database
from tests.channels.adaptive_cards import check_card, check_no_markup_injection
from tests.channels.block_kit import check_message
from tests.channels.block_kit import check_no_markup_injection as check_slack_markup
from tests.integration.digest_book import seed_digest_book
from tests.integration.test_digest import digest_of

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
MONDAY = datetime(2026, 2, 16, 9, 0, tzinfo=UTC)
CHART_URL = "https://bot.example.com/charts/1-2026-W07-golden.png"


def renderings(digest: Digest) -> dict[str, Any]:
    def renderer(surface: str) -> Renderer:
        return Renderer(surface, clock=lambda: MONDAY)  # type: ignore[arg-type]

    text = digest_reply(digest, preview=False)
    slack = digest_reply(digest, preview=False, chart_attached=True)
    teams = digest_reply(digest, preview=False, chart_url=CHART_URL)
    return {
        "digest.txt": renderer("text").render_text(text.template, text.data) + "\n",
        "digest.slack.json": message(renderer("slack"), slack),
        "digest.teams.json": card_message(renderer("teams"), teams).card,
        "digest.json": digest.to_dict(),
    }


def _serialised(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture
async def golden_digest(sqlite_db: Database) -> Digest:
    return await digest_of(sqlite_db, await seed_digest_book(sqlite_db))


@pytest.mark.parametrize(
    "name", ["digest.txt", "digest.slack.json", "digest.teams.json", "digest.json"]
)
async def test_the_fixed_book_renders_as_its_golden_file(golden_digest: Digest, name: str) -> None:
    rendered = _serialised(renderings(golden_digest)[name])
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


async def test_every_surface_shows_the_numbers_of_the_json(golden_digest: Digest) -> None:
    shown = renderings(golden_digest)
    numbers = shown["digest.json"]["kpis"]
    slack, card = shown["digest.slack.json"], shown["digest.teams.json"]
    check_message(slack)
    check_slack_markup(slack)
    check_card(card)
    check_no_markup_injection(card)
    kpi_section = slack["blocks"][2]["text"]["text"].splitlines()
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    text_lines = shown["digest.txt"].splitlines()
    for key in HEADLINE:
        value = kpi_value(numbers[key], key)
        label = kpi_label(key)
        assert any(line.startswith(f"{label}: *{value}*") for line in kpi_section), key
        assert facts[label].startswith(f"**{value}**"), key
        line = next(line for line in text_lines if line.strip().startswith(label + " "))
        assert line.split()[len(label.split())] == value, key
    reasons = [r["text"] for r in shown["digest.json"]["reasons"]]
    assert all(f"- {r}" in shown["digest.txt"] for r in reasons)
    assert all(f"• {r}" in json.dumps(slack, ensure_ascii=False) for r in reasons)
    image = next(e for e in card["body"] if e["type"] == "Image")
    assert image["url"] == CHART_URL and "Recaps within 24 h: 100%" in image["altText"]
