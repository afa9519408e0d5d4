"""The text surface (console and CLI) has a template for every reply and prints data inert.

Uses the same hostile data as the Slack template tests: names with `<!channel>` and `&`,
3000-character texts, 60-item lists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.rendering import TEMPLATES_DIR, Renderer
from tests.channels.hostile_data import EVIL, MESSAGES, VIEWS, template_of

RENDERER = Renderer("text")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _names(surface: str, suffix: str) -> set[str]:
    return {p.stem for p in Path(TEMPLATES_DIR, surface).glob(f"*{suffix}") if p.stem[0] != "_"}


def test_every_reply_has_a_text_template() -> None:
    replies = set(MESSAGES) | set(VIEWS)
    assert {template_of(case) for case in replies} <= _names("text", ".txt")


@pytest.mark.parametrize("name", sorted(set(MESSAGES) | set(VIEWS)))
def test_text_template_renders_hostile_data_without_control_characters(name: str) -> None:
    data: dict[str, Any] = {**MESSAGES, **VIEWS}[name]
    poisoned = _poison(data)
    rendered = RENDERER.render_text(template_of(name), poisoned)
    assert rendered.strip(), f"{name} rendered nothing"
    assert not CONTROL.search(rendered.replace("\n", ""))


NOT_TYPED = ("tz", "zone_from")  # a zone, read by zoneinfo; whose zone it is, set by the handler


def _poison(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level strings (but zones) get a terminal escape and a bidi override appended."""
    return {
        k: (v + "\x1b[2J\u202e" if isinstance(v, str) and k not in NOT_TYPED else v)
        for k, v in data.items()
    }


def test_account_name_is_printed_as_typed_in_text() -> None:
    rendered = RENDERER.render_text("meeting_logged", {**MESSAGES["meeting_logged"]})
    assert EVIL in rendered  # a terminal does not parse mrkdwn: no escaping, nothing lost


def test_kpi_lines_name_each_kpi_and_flag_the_missed_targets() -> None:
    rendered = RENDERER.render_text("kpi_me", MESSAGES["kpi_me"])
    recap_line = next(line for line in rendered.splitlines() if "Recaps within 24 h" in line)
    assert "85%" in recap_line and "target ≥ 100%" in recap_line and "off target" in recap_line
    churn_line = next(line for line in rendered.splitlines() if "Churned accounts" in line)
    assert "off target" not in churn_line and "target" not in churn_line
    assert "Off target for a senior AM: Recaps within 24 h; Missed deadlines; NPS" in rendered
