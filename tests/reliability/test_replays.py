"""A request replayed within the five minutes its signature is valid is applied once."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.playbooks import load_playbooks
from storage.models import AuditEntry, Meeting, StepCompletion
from tests.channels.conftest import SIGNING_SECRET
from tests.channels.slack_book import ALICE
from tests.channels.slack_fakes import sign
from tests.reliability.conftest import Live
from tests.reliability.figures import record

FORM = "application/x-www-form-urlencoded"
FIRST_STEP = load_playbooks().for_stage("onboarding").steps[0].id


def _replay(live: Live, body: str, times: int) -> list[int]:
    """Send the very same signed request (same body, timestamp and signature) ``times`` times,
    as someone who recorded it would."""
    timestamp = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, timestamp, body),
    }
    return [live.post(body, FORM, headers)[0] for _ in range(times)]


def _count(live: Live, *where: object) -> int:
    async def go(session: object) -> int:
        return int(await session.scalar(select(func.count()).where(*where)) or 0)  # type: ignore[attr-defined]

    return live.in_db(go)


def test_a_replayed_slash_command_logs_one_meeting(live: Live) -> None:
    account = live.book.base.acme_logistics
    response_url = live.slack.new_response_url()
    form = {
        "command": "/account",
        "text": "meeting acme logistics 2026-03-04 10:30",
        "user_id": ALICE,
        "response_url": response_url,
        "trigger_id": "trigger-replayed-meeting",
    }
    statuses = _replay(live, urlencode(form), 3)
    assert statuses == [200, 200, 200]
    live.answer(response_url)
    live.settle(0.5)
    assert len(live.slack.posted_to(response_url)) == 1  # one answer, not three
    assert _count(live, Meeting.account_id == account) == 1
    record("replayed requests applied once", 2, "slash command and button")


def test_a_replayed_tick_does_not_tick_again_after_an_untick(live: Live) -> None:
    account = live.book.base.tickbox

    def click(value: str, trigger: str) -> str:
        response_url = live.slack.new_response_url()
        payload = {
            "type": "block_actions",
            "user": {"id": ALICE},
            "trigger_id": trigger,
            "response_url": response_url,
            "actions": [{"action_id": "cmd:step:1", "value": value, "action_ts": "1.1"}],
        }
        body = urlencode({"payload": json.dumps(payload)})
        assert live.signed(body, FORM)[0] == 200
        live.answer(response_url)
        return body

    tick = click(f"tick #{account} {FIRST_STEP}", "trigger-tick-once")
    click(f"untick #{account} {FIRST_STEP}", "trigger-untick-once")
    assert _replay(live, tick, 1) == [200]  # the attacker replays the recorded tick
    live.settle(0.5)
    assert _count(live, StepCompletion.account_id == account) == 0
    ticks = _count(live, AuditEntry.subject_id == account, AuditEntry.action == "step.tick")
    assert ticks == 1
