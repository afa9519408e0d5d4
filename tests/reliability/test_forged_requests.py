"""Forged, unsigned and malformed requests: refused, and nothing is done because of them.

The canary: every forged body names a response_url on the fake Slack. Before the fix, a
non-numeric timestamp made the signature check raise, and the error handler posted an
apology to that URL: anyone could make accountbot send HTTP requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry, ProcessedEvent
from tests.channels.conftest import SIGNING_SECRET
from tests.channels.slack_book import ALICE
from tests.reliability.conftest import Live
from tests.reliability.figures import record

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
SECRET_WORDS = "Confidential renewal plan for Acme"


def _sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def bodies(canary: str) -> dict[str, tuple[str, str]]:
    """One body of each kind Slack sends, each pointing at the canary response_url."""
    command = {
        "command": "/account",
        "text": f"meeting acme robotics now {SECRET_WORDS}",
        "user_id": ALICE,
        "response_url": canary,
        "trigger_id": "forged-trigger",
    }
    action = {
        "type": "block_actions",
        "user": {"id": ALICE},
        "response_url": canary,
        "trigger_id": "forged-trigger-2",
        "actions": [{"action_id": "cmd", "value": "tick #1 kickoff"}],
    }
    submission = {
        "type": "view_submission",
        "user": {"id": ALICE},
        "view": {
            "id": "VFORGED",
            "callback_id": "recap",
            "private_metadata": json.dumps({"account_id": 1, "response_url": canary}),
            "state": {"values": {"summary": {"summary": {"value": SECRET_WORDS}}}},
        },
    }
    event = {
        "type": "event_callback",
        "event_id": "EvFORGED",
        "event": {"type": "app_home_opened", "user": ALICE, "tab": "home"},
    }
    return {
        "slash command": (urlencode(command), FORM),
        "button": (urlencode({"payload": json.dumps(action)}), FORM),
        "form submission": (urlencode({"payload": json.dumps(submission)}), FORM),
        "event": (json.dumps(event), JSON),
    }


Headers = Callable[[str], dict[str, str]]
NOW_TS = str(int(time.time()))
FORGERIES: dict[str, Headers] = {
    "timestamp not a number": lambda b: {
        "X-Slack-Request-Timestamp": "x",
        "X-Slack-Signature": _sign(SIGNING_SECRET, "x", b),
    },
    "timestamp empty": lambda b: {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=00"},
    "timestamp in Arabic-Indic digits": lambda b: {
        "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠",
        "X-Slack-Signature": _sign(SIGNING_SECRET, "١٧٠٠٠٠٠٠٠٠", b),
    },
    "timestamp with a fraction": lambda b: {
        "X-Slack-Request-Timestamp": f"{NOW_TS}.5",
        "X-Slack-Signature": _sign(SIGNING_SECRET, f"{NOW_TS}.5", b),
    },
    "timestamp of 40 digits": lambda b: {
        "X-Slack-Request-Timestamp": "9" * 40,
        "X-Slack-Signature": _sign(SIGNING_SECRET, "9" * 40, b),
    },
    "timestamp negative": lambda b: {
        "X-Slack-Request-Timestamp": "-1",
        "X-Slack-Signature": _sign(SIGNING_SECRET, "-1", b),
    },
    "timestamp six minutes old": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time()) - 360),
        "X-Slack-Signature": _sign(SIGNING_SECRET, str(int(time.time()) - 360), b),
    },
    "timestamp six minutes ahead": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time()) + 360),
        "X-Slack-Signature": _sign(SIGNING_SECRET, str(int(time.time()) + 360), b),
    },
    "no headers at all": lambda b: {},
    "no signature": lambda b: {"X-Slack-Request-Timestamp": str(int(time.time()))},
    "signature not hex": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "zz" * 32,
    },
    "signature of another version": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v1=" + _sign(SIGNING_SECRET, str(int(time.time())), b)[3:],
    },
    "signature in upper case": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": _sign(SIGNING_SECRET, str(int(time.time())), b).upper(),
    },
    "signed with another secret": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": _sign("not-our-secret", str(int(time.time())), b),
    },
    "signed for another body": lambda b: {
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": _sign(SIGNING_SECRET, str(int(time.time())), b + "&x=1"),
    },
}


def _counts(live: Live) -> tuple[int, int]:
    async def count(session: object) -> tuple[int, int]:
        audit = await session.scalar(select(func.count()).select_from(AuditEntry))  # type: ignore[attr-defined]
        seen = await session.scalar(select(func.count()).select_from(ProcessedEvent))  # type: ignore[attr-defined]
        return int(audit or 0), int(seen or 0)

    return live.in_db(count)


def test_forged_requests_of_every_shape_are_401_and_cause_no_outbound_call(
    live_sqlite: Live, caplog: pytest.LogCaptureFixture
) -> None:
    live = live_sqlite
    canary = live.slack.new_response_url()
    before = _counts(live)
    statuses: dict[tuple[str, str], int] = {}
    with caplog.at_level(logging.DEBUG):
        for kind, (body, content_type) in bodies(canary).items():
            for forgery, headers in FORGERIES.items():
                status, _ = live.post(body, content_type, headers(body))
                statuses[(kind, forgery)] = status
        live.settle(1.0)  # anything the server would do after answering, it has done now
    assert {k: s for k, s in statuses.items() if s != 401} == {}
    assert live.slack.calls == [] and live.slack.posted_to(canary) == []
    assert live.slack.failed_attempts == []
    assert _counts(live) == before  # nothing written, not even a de-duplication key
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET_WORDS not in logged and "forged-trigger" not in logged
    record("forged requests refused with 401", len(statuses), "0 outbound calls, 0 writes")


def test_an_unsigned_body_too_large_to_read_is_refused_without_a_server_error(
    live_sqlite: Live,
) -> None:
    status, _ = live_sqlite.post("text=" + "a" * (2 * 1024 * 1024), FORM, {})
    assert status in (401, 413)
    assert live_sqlite.slack.calls == []


MALFORMED = {
    "actions empty": {"type": "block_actions", "user": {"id": ALICE}, "actions": []},
    "actions not a list": {"type": "block_actions", "user": {"id": ALICE}, "actions": "tick"},
    "action not an object": {"type": "block_actions", "user": {"id": ALICE}, "actions": [7]},
    "action without an id": {
        "type": "block_actions",
        "user": {"id": ALICE},
        "actions": [{"value": "status acme"}],
    },
    "button without a user": {"type": "block_actions", "actions": [{"action_id": "cmd"}]},
    "view state a string": {
        "type": "view_submission",
        "user": {"id": ALICE},
        "view": {"id": "V1", "callback_id": "recap", "state": "values"},
    },
    "view values a list": {
        "type": "view_submission",
        "user": {"id": ALICE},
        "view": {"id": "V1", "callback_id": "recap", "state": {"values": []}},
    },
    "view missing": {"type": "view_submission", "user": {"id": ALICE}},
    "event without an event": {"type": "event_callback", "event_id": "Ev1"},
}


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_malformed_signed_interactivity_is_400_not_a_server_error(
    live_sqlite: Live, shape: str
) -> None:
    body = urlencode({"payload": json.dumps(MALFORMED[shape])})
    status, _ = live_sqlite.signed(body, FORM)
    assert status == 400
    live_sqlite.settle()
    assert [c.method for c in live_sqlite.slack.calls if c.method != "auth.test"] == []
    record("malformed signed requests answered 400", 1)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot+json", FORM),
        ("payload=%5B1%2C2%5D", FORM),
        ("[1, 2]", JSON),
        ("null", JSON),
        ("{broken", JSON),
    ],
    ids=["payload not JSON", "payload a list", "JSON list", "JSON null", "JSON broken"],
)
def test_signed_bodies_slack_never_sends_are_400(
    live_sqlite: Live, body: str, content_type: str
) -> None:
    status, _ = live_sqlite.signed(body, content_type)
    assert status == 400
    record("malformed signed requests answered 400", 1)


def test_a_signed_request_nothing_listens_to_is_acknowledged_quietly(live_sqlite: Live) -> None:
    closed = {"type": "view_closed", "user": {"id": ALICE}, "view": {"id": "V9"}}
    status, _ = live_sqlite.signed(urlencode({"payload": json.dumps(closed)}), FORM)
    assert status == 200
    live_sqlite.settle()
    assert [c.method for c in live_sqlite.slack.calls if c.method != "auth.test"] == []
