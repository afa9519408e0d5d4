"""Slack answering 500, 429, 404 or nothing at all: the person still gets their answer.

A response_url is retried with backoff (honouring Retry-After); when it keeps failing or has
expired, the answer goes by direct message. Each failure is logged with the user and the
command word, never the text.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.helpers import posted_message, seen
from tests.channels.slack_book import ALICE
from tests.reliability.conftest import Live, start_live
from tests.reliability.figures import record

TEXT = "status acme robotics"


@pytest.fixture(scope="module")
def live_impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Slack calls time out after one second, so hangs can be tested quickly."""
    url = f"sqlite:///{tmp_path_factory.mktemp('faults')}/accountbot.db"
    server = start_live(url, "sqlite", slack_timeout_seconds=1.0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _reset(live_impatient: Live) -> Iterator[None]:
    live_impatient.slack.reset()
    yield


def wait_for_dm(live: Live) -> dict[str, object]:
    calls = live.run(live.slack.wait_for(lambda: live.slack.calls_to("chat.postMessage")))
    assert calls[0].body["channel"] == ALICE
    return posted_message(calls[0])


@pytest.mark.parametrize(
    ("statuses", "retry_after"),
    [((500,), None), ((500, 503), None), ((429,), 1)],
    ids=["one 500", "500 then 503", "429 with Retry-After"],
)
def test_a_failing_response_url_is_retried_and_answered_there_once(
    live_impatient: Live, statuses: tuple[int, ...], retry_after: int | None
) -> None:
    live = live_impatient
    live.slack.fail_http("respond", *statuses, retry_after=retry_after)
    started = time.monotonic()
    url, _ = live.command(TEXT, ALICE)
    message = live.answer(url)
    took = time.monotonic() - started
    assert "*Acme Robotics*" in seen(message)
    assert [status for _, status in live.slack.failed_attempts] == list(statuses)
    if retry_after:
        assert took >= retry_after  # waited as Slack asked
    live.settle(0.3)
    assert len(live.slack.posted_to(url)) == 1
    assert live.slack.calls_to("chat.postMessage") == []
    record("response_url failures recovered by retrying", 1)


@pytest.mark.parametrize(
    ("statuses", "attempts"),
    [((404,), 1), ((500, 500, 500), 3), ((429, 429, 429), 3)],
    ids=["expired (404)", "500 three times", "429 three times"],
)
def test_a_response_url_that_keeps_failing_falls_back_to_a_direct_message(
    live_impatient: Live,
    caplog: pytest.LogCaptureFixture,
    statuses: tuple[int, ...],
    attempts: int,
) -> None:
    live = live_impatient
    live.slack.fail_http("respond", *statuses, retry_after=0)
    with caplog.at_level(logging.INFO):
        url, _ = live.command(TEXT, ALICE)
        message = wait_for_dm(live)
    assert "*Acme Robotics*" in seen(message)
    assert len(live.slack.failed_attempts) == attempts  # 404 is final: not retried
    assert live.slack.posted_to(url) == []
    warning = next(r for r in caplog.records if "response_url failed" in r.getMessage())
    assert getattr(warning, "user_id", None) == ALICE
    assert getattr(warning, "command", None) == "status"
    assert "acme" not in warning.getMessage().casefold()
    record("answers delivered by DM after response_url failed", 1)


def test_a_hung_response_url_times_out_and_the_answer_arrives_by_direct_message(
    live_impatient: Live,
) -> None:
    live = live_impatient
    live.slack.hang("respond", 3.0, times=3)
    started = time.monotonic()
    live.command(TEXT, ALICE)
    message = wait_for_dm(live)
    assert "*Acme Robotics*" in seen(message)
    took = time.monotonic() - started
    assert took < 8  # three one-second timeouts and their backoff, not minutes
    record("max seconds to answer past a hung response_url", round(took, 1))


def test_web_api_429_and_500_are_retried_before_the_answer_is_given_up(
    live_impatient: Live,
) -> None:
    live = live_impatient
    live.slack.fail_http("respond", 404)
    live.slack.fail_http("chat.postMessage", 429, 500, retry_after=0)
    live.command(TEXT, ALICE)
    message = wait_for_dm(live)
    assert "*Acme Robotics*" in seen(message)
    assert ("chat.postMessage", 429) in live.slack.failed_attempts
    assert ("chat.postMessage", 500) in live.slack.failed_attempts


def test_when_every_way_fails_the_failure_is_logged_without_the_text(
    live_impatient: Live, caplog: pytest.LogCaptureFixture
) -> None:
    live = live_impatient
    live.slack.fail_http("respond", 404)
    live.slack.fail_http("chat.postMessage", 500, 500, 500)

    def gave_up() -> bool:
        return any(
            r.levelno >= logging.ERROR and "direct message" in r.getMessage()
            for r in caplog.records
        )

    with caplog.at_level(logging.INFO):
        live.command(TEXT, ALICE)
        deadline = time.monotonic() + 15
        while not gave_up() and time.monotonic() < deadline:
            live.settle(0.1)
    assert gave_up()
    assert len(live.slack.failed_attempts) == 4
    assert all("acme" not in r.getMessage().casefold() for r in caplog.records)


def test_slack_that_never_answers_views_open_gets_a_clear_message(
    live_impatient: Live, tmp_path: Path
) -> None:
    live = live_impatient
    live.slack.hang("views.open", 3.0, times=3)
    url, ack = live.command("recap recap co", ALICE)
    assert ack < 3.0
    message = live.answer(url)
    assert "did not let me open the recap form in time" in seen(message)


def test_slack_unreachable_on_the_first_command_gets_an_apology_not_dispatch_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt checks the bot token with auth.test on the first request; when Slack cannot be
    reached then, the person who typed the command reads an apology in Slack (the ack's
    body, which needs no call to Slack), instead of Slack's "dispatch_failed"."""
    live = start_live(f"sqlite:///{tmp_path}/accountbot.db", "sqlite")
    try:
        live.run(live.slack.stop())  # nothing listens at SLACK_API_URL any more
        with caplog.at_level(logging.ERROR):
            _, (status, body) = live.run(live.send.command_acked(TEXT, user=ALICE))
        assert status == 200
        answer = json.loads(body)
        assert answer["text"].startswith("Sorry, something went wrong on my side")
        assert answer["blocks"][0]["text"]["text"] == ":warning: " + answer["text"]
        assert "response_type" not in answer  # ephemeral: only the person who typed it
        assert any("Slack request failed" in r.getMessage() for r in caplog.records)
    finally:
        live.stop()
