"""Every Teams template, fed hostile and oversized data, is a valid Adaptive Card 1.5 that shows
user text as typed: no link, mention, emphasis or card function can come from data.

The same data as the Slack and text template tests (tests/channels/hostile_data.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.teams_cards import MAX_CARD_BYTES, card_bytes, card_message, from_template
from bot.handlers.base import Reply
from bot.rendering import TEMPLATES_DIR, Renderer
from tests.channels.adaptive_cards import (
    card_texts,
    check_card,
    check_no_markup_injection,
    markdown_texts,
    shown,
)
from tests.channels.hostile_data import EVIL, MESSAGES, VIEWS, template_of

RENDERER = Renderer("teams")


def _names(surface: str, suffix: str) -> set[str]:
    return {p.stem for p in Path(TEMPLATES_DIR, surface).glob(f"*{suffix}") if p.stem[0] != "_"}


def test_every_reply_has_a_teams_template() -> None:
    assert {template_of(case) for case in (*MESSAGES, *VIEWS)} <= _names("teams", ".json")
    assert _names("teams", ".json") == _names("slack", ".json")


@pytest.mark.parametrize("name", sorted(set(MESSAGES) | set(VIEWS)))
def test_teams_template_is_a_valid_card_that_shows_data_as_typed(name: str) -> None:
    data = {**MESSAGES, **VIEWS}[name]
    message = card_message(RENDERER, Reply(template_of(name), data))
    check_card(message.card)
    check_no_markup_injection(message.card)
    assert message.text.strip() and message.card["fallbackText"] == message.text
    assert card_bytes(message.card) <= MAX_CARD_BYTES


def test_a_card_too_large_for_teams_keeps_its_start_and_says_there_is_more() -> None:
    data = {**MESSAGES["talk_tracks"]}
    message = from_template(RENDERER, "talk_tracks", data)
    texts = card_texts(message.card)
    assert any("…and more" in text for text in texts) or card_bytes(message.card) < 20_000
    check_card(message.card)


def test_hostile_name_is_shown_escaped_not_dropped() -> None:
    card = card_message(RENDERER, Reply("status", MESSAGES["status"])).card
    joined = "\n".join(markdown_texts(card))
    assert "\\*\\*Bold\\*\\*" in joined and "\\[x\\]\\(https://evil.example\\)" in joined
    assert "\\<!channel\\>" in joined
    assert shown(card["body"][0]["text"]).startswith(EVIL)  # what the reader sees: as typed
