"""Logs: with LOG_FORMAT=json one object per line with the request's fields; never a secret or
a word a user typed, at INFO and above."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter, install_request_fields
from tests.channels.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.channels.slack_book import ALICE
from tests.reliability.conftest import Live

PRIVATE = "Zanzibar merger rumour"  # words only a user typed


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    install_request_fields()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_request_logs_one_json_line_with_its_fields_and_no_user_text(
    live_sqlite: Live, json_lines: io.StringIO
) -> None:
    live = live_sqlite
    for text in (f"status {PRIVATE}", "status acme robotics", f"meeting acme robotics {PRIVATE}"):
        url, _ = live.command(text, ALICE)
        live.answer(url)
    live.slack.fail_http("respond", 404)  # a failure path logs too
    url, _ = live.command(f"talk {PRIVATE}", ALICE)
    live.run(live.slack.wait_for(lambda: live.slack.calls_to("chat.postMessage")))
    live.settle(0.3)
    lines = records(json_lines)
    assert lines, "nothing was logged"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    answered = [line for line in lines if line["message"] == "answered a Slack command"]
    assert len(answered) == 4
    for line in answered:
        assert line["user_id"] == ALICE
        assert line["platform"] == "slack" and line["kind"] == "slash_command"
        assert isinstance(line["request_id"], str) and len(line["request_id"]) == 16
        assert isinstance(line["duration_ms"], int)
    assert [line["command"] for line in answered] == ["status", "status", "meeting", "talk"]
    assert {line["outcome"] for line in answered} >= {"status", "error"}
    assert len({line["request_id"] for line in answered}) == 4
    failure = next(line for line in lines if "response_url failed" in str(line["message"]))
    assert failure["command"] == "talk" and failure["user_id"] == ALICE
    text = json_lines.getvalue()
    for secret in (PRIVATE, PRIVATE.split()[0], BOT_TOKEN, SIGNING_SECRET, "xoxb-"):
        assert secret not in text, secret


def test_an_unverified_request_logs_no_part_of_its_body(
    live_sqlite: Live, json_lines: io.StringIO
) -> None:
    body = f"command=%2Faccount&text={PRIVATE.replace(' ', '+')}&user_id={ALICE}"
    status, _ = live_sqlite.post(
        body,
        "application/x-www-form-urlencoded",
        {"X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0=00"},
    )
    assert status == 401
    text = json_lines.getvalue()
    assert "refused a Slack request without a valid signature" in text
    assert PRIVATE.split()[0] not in text and ALICE not in text
