"""Every Slack template, fed hostile and oversized data, stays valid Block Kit and inert.

The data (tests/channels/hostile_data.py) has names with `<!channel>`, `<@U123>` and `&`,
texts over 3000 characters and 60-item lists. Output is checked with slack_sdk's own models
plus the limits they leave out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.channels.slack_messages import fit_blocks, message
from bot.handlers.base import Reply
from bot.rendering import TEMPLATES_DIR, Renderer
from bot.services.playbook_progress import PlaybookProgress
from tests.channels.block_kit import check_message, check_no_markup_injection, check_view
from tests.channels.helpers import buttons, seen
from tests.channels.hostile_data import (
    EVIL,
    EVIL_ESCAPED,
    MESSAGES,
    VIEWS,
    meeting,
    progress,
    template_of,
)

RENDERER = Renderer("slack")


def test_every_slack_template_is_exercised_here() -> None:
    names = {
        p.stem for p in Path(TEMPLATES_DIR, "slack").glob("*.json") if not p.stem.startswith("_")
    }
    assert names == {template_of(case) for case in (*MESSAGES, *VIEWS)}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_message_template_stays_within_block_kit_limits_and_escapes_everything(
    name: str,
) -> None:
    rendered = RENDERER.render_json(template_of(name), MESSAGES[name])  # before any clipping
    check_message(rendered)
    check_no_markup_injection(rendered)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_template_stays_within_block_kit_limits_and_escapes_everything(
    name: str,
) -> None:
    rendered = RENDERER.render_json(template_of(name), VIEWS[name])
    check_view(rendered)
    check_no_markup_injection(rendered)


def test_hostile_name_is_shown_escaped_not_dropped() -> None:
    rendered = RENDERER.render_json(
        "meeting_logged", {**MESSAGES["meeting_logged"], "account": EVIL}
    )
    assert f"*{EVIL_ESCAPED}*" in seen(rendered)


def test_recap_form_asks_when_only_if_no_meeting_is_waiting() -> None:
    def inputs(data: dict[str, Any]) -> list[str]:
        view = RENDERER.render_json("recap_form", data)
        return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]

    waiting = {**VIEWS["recap_form"], "meeting": meeting(None)}
    assert inputs(waiting) == ["summary", "next_steps", "upsell_spotted"]
    assert inputs(VIEWS["recap_form"]) == [
        "meeting_when",
        "summary",
        "next_steps",
        "upsell_spotted",
    ]


def test_playbook_offers_advance_only_when_required_steps_are_done() -> None:
    def labels(p: PlaybookProgress) -> set[str]:
        data = {"account_id": 3, "account": "Acme", "progress": p, "note": None, "editable": True}
        return set(buttons(RENDERER.render_json("playbook", data)))

    assert "Advance to adaptation" in labels(progress(5, all_done=True))
    assert not any(label.startswith("Advance") for label in labels(progress(5)))


@pytest.mark.parametrize(  # 33 steps are shown when there are follow-ups
    ("steps", "left"), [(34, "…and 1 more step."), (35, "…and 2 more steps.")]
)
def test_a_checklist_too_long_for_one_message_says_how_many_steps_are_left(
    steps: int, left: str
) -> None:
    data = {"account_id": 3, "account": "Acme", "progress": progress(steps), "note": None}
    assert left in seen(RENDERER.render_json("playbook", {**data, "editable": True}))


def test_long_list_offers_the_next_page_with_the_handlers_command() -> None:
    rendered = RENDERER.render_json("account_list", MESSAGES["account_list"])
    assert buttons(rendered)["More (560 left)"] == "list at-risk page 2"


def test_oversized_payloads_are_clipped_to_slacks_limits_without_breaking_escapes() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "&amp;" * 1000}}
    fitted = fit_blocks([section] * 120, 50)
    assert len(fitted) == 50
    text = fitted[0]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("…")
    assert text[:-1].endswith("&amp;")  # no half entity left before the ellipsis
    check_message({"text": "x", "blocks": fitted})


def test_message_drops_control_characters_from_every_text() -> None:
    payload = message(
        RENDERER,
        Reply("meeting_logged", {**MESSAGES["meeting_logged"], "account": "Acme\u202e\x1b[2J"}),
    )
    assert "\u202e" not in json.dumps(payload, ensure_ascii=False)
    assert "\x1b" not in json.dumps(payload, ensure_ascii=False)
