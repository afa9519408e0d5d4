"""Hostile input, generated: whatever is typed or clicked, a signed request is acknowledged in
time, answered (never with an apology for a bug), rendered inert, and refused ones change
nothing. Includes Unicode digits (`list page ²`), calendar extremes (`0001-01-01`) and ids
that overflow PostgreSQL integers (`#999999999999`)."""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.models import AuditEntry
from tests.channels.block_kit import check_message, check_no_markup_injection, check_view
from tests.channels.helpers import seen
from tests.channels.slack_book import ALICE, HOSTILE_NAME
from tests.reliability.conftest import Live
from tests.reliability.figures import record

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "40"))
ACK_LIMIT = 3.0
BUG = "Sorry, something went wrong"
FORM = "application/x-www-form-urlencoded"
COMMANDS = [
    "status", "list", "ls", "playbook", "tick", "untick", "advance", "stage", "meeting",
    "recap", "renewals", "kpi", "digest", "talk", "help", "", "home", "objections",
    "settings", "settings time", "settings zone",
]  # fmt: skip
ODD_WORDS = [
    "acme", "acme robotics", "Payload Systems", "payload", HOSTILE_NAME, "<!channel>",
    "<@U123|boss>", "&amp;", "*bold*", "_it_", "`code`", "%", "_", "\\", "'", '"', "“Acme”",
    "#1", "#0", "#999999999999", "#2147483648", "#-1", "#٣", "page", "page ²", "²", "¹²",
    "٣", "１２", "3", "0", "-1", "99999999999999999999", "0001-01-01 00:00",
    "9999-12-31 23:59", "2026-02-30", "2026-03-04T10:00+99:00", "999999 weeks ago",
    "yesterday 25:00", "now", "force", "growth", "kickoff", "team", "me", "mine",
    "at-risk", "Atlas", "\u202eevil", "\x00", "\x1b[31m", "𝓐𝓬𝓶𝓮", "a" * 300,
    "friday 3pm", "last sunday", "12am", "13pm", "tomorrow", "UTC+2", "Berlin",
    "W. Europe Standard Time", "localtime",
]  # fmt: skip

command_text = st.one_of(
    st.text(max_size=120),
    st.tuples(
        st.sampled_from(COMMANDS),
        st.lists(st.sampled_from(ODD_WORDS) | st.text(max_size=12), max_size=4),
    ).map(lambda parts: " ".join([parts[0], *parts[1]])),
)


def audit_count(live: Live) -> int:
    async def go(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    return live.in_db(go)


def answered(live: Live, response_url: str) -> dict[str, Any]:
    message = live.answer(response_url)
    check_message(message)
    check_no_markup_injection(message)
    return message


def refused(shown: str) -> bool:
    """An error or a "which one?" answer (the error and choose_account templates' marks)."""
    return ":grey_question:" in shown or ":mag:" in shown


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=command_text)
def test_any_typed_command_is_answered_in_time_inertly_and_refusals_change_nothing(
    live: Live, text: str
) -> None:
    before = audit_count(live)
    forms = len(live.slack.calls_to("views.open"))
    response_url, ack = live.command(text, ALICE)
    assert ack < ACK_LIMIT
    live.run(
        live.slack.wait_for(
            lambda: (
                live.slack.posted_to(response_url) or len(live.slack.calls_to("views.open")) > forms
            )
        )
    )
    if not live.slack.posted_to(response_url):  # `recap NAME`: the answer is a form
        check_view(live.slack.view_arg(live.slack.calls_to("views.open")[-1]))
        return
    shown = seen(answered(live, response_url))
    assert BUG not in shown, (text, shown)
    if refused(shown):
        assert audit_count(live) == before, text
    record("max seconds to acknowledge a generated command", round(ack, 3))
    record("generated commands answered", 1, "no 5xx, no apology, all escaped")


@pytest.mark.parametrize(
    "text",
    [
        "list page ²",
        "renewals ¹²",
        "renewals ٣٠",
        "list team page １２",
        "meeting acme robotics 0001-01-01 00:00",
        "meeting acme robotics 9999-12-31 23:59",
        "status #999999999999",
        "playbook #2147483648",
        "tick #99999999999 kickoff",
    ],
)
def test_inputs_that_used_to_crash_get_a_friendly_answer(live: Live, text: str) -> None:
    response_url, _ = live.command(text, ALICE)
    shown = seen(answered(live, response_url))
    assert BUG not in shown
    assert refused(shown)


def test_extreme_dates_are_refused_with_the_one_year_rule(live: Live) -> None:
    far_back, _ = live.command("meeting acme robotics 0001-01-01 00:00", ALICE)
    assert "is more than a year ago" in seen(answered(live, far_back))
    ahead, _ = live.command("meeting acme robotics 9999-12-31 23:59", ALICE)
    assert "is in the future" in seen(answered(live, ahead))


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    action=st.dictionaries(
        st.sampled_from(["action_id", "value", "type", "block_id", "action_ts"]),
        values | st.sampled_from(["cmd", "cmd:x", "tick #1 kickoff", "status acme"]),
        max_size=5,
    ),
    actions_kind=st.sampled_from(["one", "none", "not a list", "two"]),
)
def test_any_button_payload_is_answered_or_refused_never_a_server_error(
    live: Live, action: dict[str, Any], actions_kind: str
) -> None:
    response_url = live.slack.new_response_url()
    actions: Any = {"one": [action], "none": [], "not a list": action, "two": [action, action]}
    payload = {
        "type": "block_actions",
        "user": {"id": ALICE},
        "trigger_id": f"t-{time.monotonic_ns()}",
        "response_url": response_url,
        "actions": actions[actions_kind],
    }
    started = time.monotonic()
    status, _ = live.signed(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status in (200, 400)
    assert time.monotonic() - started < ACK_LIMIT
    handled = (
        status == 200
        and actions_kind in ("one", "two")
        and isinstance(action.get("action_id"), str)
        and str(action["action_id"]).startswith("cmd")
        and isinstance(action.get("value", ""), str)
    )
    if handled:
        assert BUG not in seen(answered(live, response_url))
    record("generated button payloads handled", 1, "200 or 400, never 5xx")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    summary=values,
    when=values,
    metadata=st.text(max_size=60) | st.just('{"account_id": 999999999999}'),
    state=st.sampled_from(["values", "string", "nested wrong"]),
)
def test_any_recap_form_submission_is_answered_in_time_never_a_server_error(
    live: Live, summary: Any, when: Any, metadata: str, state: str
) -> None:
    values: Any = {
        "values": {
            "summary": {"summary": {"type": "plain_text_input", "value": summary}},
            "meeting_when": {"meeting_when": {"type": "plain_text_input", "value": when}},
        },
        "string": "values",
        "nested wrong": {"values": {"summary": "x"}},
    }[state]
    payload = {
        "type": "view_submission",
        "user": {"id": ALICE},
        "view": {
            "id": f"V{time.monotonic_ns()}",
            "callback_id": "recap",
            "private_metadata": metadata,
            "state": values,
        },
    }
    started = time.monotonic()
    status, body = live.signed(urlencode({"payload": json.dumps(payload)}), FORM)
    assert status in (200, 400)
    assert time.monotonic() - started < ACK_LIMIT
    if status == 200 and body:
        answer = json.loads(body)
        assert answer["response_action"] == "errors"
        assert all(BUG not in text for text in answer["errors"].values())
    record("generated form submissions handled", 1, "200 or 400, never 5xx")
