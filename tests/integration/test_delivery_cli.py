"""`accountbot nudges --send` and `digest --send` against a fake Slack, on the demo book.

The digest goes out as one message with its chart attached (files_upload_v2).

Slack answers 30% of the DMs with 429 and 10% with 500: every missed-recap and renewal-within-
14-days nudge still reaches its AM, in at most two DMs each, the command exits 0, and running it
again sends nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.demo.book import seed_demo_book
from bot.kpi_display import kpi_label, kpi_value
from bot.playbooks import load_playbooks
from bot.services.nudges import NudgeRules, pending_nudges
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, User
from tests.channels.slack_fakes import FakeSlack, FakeSlackThread

AS_OF = datetime(2026, 3, 11, 9, 30, tzinfo=UTC)  # a Wednesday morning
BOT_TOKEN = "xoxb-test-token"
POST = "chat.postMessage"


@pytest.fixture
def demo_db(migrated_sqlite_url: str) -> str:
    url = migrated_sqlite_url

    async def seed() -> None:
        db = Database(url)
        async with db.unit_of_work() as session:
            await seed_demo_book(session, now=AS_OF)
        await db.dispose()

    asyncio.run(seed())
    return url


@pytest.fixture
def slack(demo_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeSlack]:
    with FakeSlackThread(chaos=(0.3, 0.1)) as fake:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATABASE_URL", demo_db)
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        monkeypatch.setenv("ACCOUNTBOT_LOG_LEVEL", "WARNING")
        for name in ("MicrosoftAppId", "TEAMS_ALLOW_UNAUTHENTICATED", "SLACK_SIGNING_SECRET"):
            monkeypatch.delenv(name, raising=False)
        yield fake


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def due(url: str) -> list[Any]:
    async def go() -> list[Any]:
        db = Database(url)
        try:
            async with db.read_only() as session:
                return await pending_nudges(
                    session, as_of=AS_OF, rules=NudgeRules(), playbooks=load_playbooks()
                )
        finally:
            await db.dispose()

    return asyncio.run(go())


def slack_ids(url: str) -> dict[int, str]:
    async def go() -> dict[int, str]:
        db = Database(url)
        try:
            async with db.read_only() as session:
                rows = await session.execute(select(User.id, User.slack_user_id))
                return {user_id: slack_id for user_id, slack_id in rows if slack_id}
        finally:
            await db.dispose()

    return asyncio.run(go())


def sent_texts(url: str) -> list[str]:
    """The texts of the outbox messages marked sent."""

    async def go() -> list[str]:
        db = Database(url)
        try:
            async with db.read_only() as session:
                stmt = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
                return [row.payload["text"] for row in await session.scalars(stmt)]
        finally:
            await db.dispose()

    return asyncio.run(go())


def urgent_keys(url: str) -> list[tuple[str, str]]:
    """(Slack id, nudge key) of every missed-recap and renewal-within-14-days nudge due."""
    people = slack_ids(url)
    return [
        (people[n.user_id], n.key)
        for n in due(url)
        if n.kind == "missed_recap"
        or (n.kind == "renewal" and 0 <= int(n.detail["days_left"] or 0) <= 14)
    ]


def dms(slack: FakeSlack) -> dict[str, list[str]]:
    """Slack user id -> the texts of every DM (blocks included) it received."""
    received: dict[str, list[str]] = defaultdict(list)
    for call in slack.calls_to("chat.postMessage"):
        blocks = call.body.get("blocks")
        received[call.body["channel"]].append(
            call.body["text"]
            + json.dumps(json.loads(blocks) if isinstance(blocks, str) else blocks)
        )
    return received


def test_nudges_send_delivers_every_urgent_nudge_through_429s_and_500s_once(
    slack: FakeSlack, demo_db: str
) -> None:
    expected = urgent_keys(demo_db)
    assert expected, "the demo book should have urgent nudges"
    first = run("nudges", "--send", "--as-of", AS_OF.isoformat())
    assert first.exit_code == 0, first.output
    assert slack.failed_attempts, "the fake Slack should have failed some calls"
    received = dms(slack)
    for channel, key in expected:
        assert 1 <= len(received[channel]) <= 2, channel
        assert any(key in text for text in received[channel]), key
    assert all(len(texts) <= 2 for texts in received.values())
    sent_before = len(slack.calls_to("chat.postMessage"))
    # Calls reuse their connections (a new one per call is a TLS handshake with slack.com). How
    # many are open at once follows how many DMs overlap, which a busy machine changes (5 for
    # 16 calls was seen under a full parallel run, 2 alone): count reuse, not a fixed ratio.
    per_connection = Counter(c.peer for c in slack.calls)
    assert None not in per_connection and max(per_connection.values()) >= 3
    assert len(per_connection) <= len(slack.calls) // 2

    again = run("nudges", "--send", "--as-of", AS_OF.isoformat())
    assert again.exit_code == 0, again.output
    assert len(slack.calls_to("chat.postMessage")) == sent_before
    assert "Nothing new to send" in again.output or "already queued" in again.output


def test_digest_send_posts_each_team_week_to_its_channel_once_with_its_chart(
    slack: FakeSlack, demo_db: str
) -> None:
    first = run("digest", "--send", "--week", "2026-W10")
    assert first.exit_code == 0, first.output
    posts = slack.posted_files()
    assert sorted(body["channel_id"] for body, _ in posts) == [
        "C0DEMO001",
        "C0DEMO002",
        "C0DEMO003",
    ]
    for body, files in posts:
        assert json.loads(body["files"])[0]["title"].endswith("to 2026-W10")
        blocks = json.loads(body["blocks"])
        assert "2026-W10" in blocks[0]["text"]["text"]
        assert "Why it changed" in json.dumps(blocks) and "Needs attention" in json.dumps(blocks)
        assert len(files) == 1 and files[0].startswith(b"\x89PNG\r\n\x1a\n")
        assert 3_000 < len(files[0]) < 60_000
    assert not slack.calls_to(POST)  # the post is the file's message: one message, not two
    preview = run("digest", "--team", "Atlas", "--week", "2026-W10", "--format", "json")
    numbers = json.loads(preview.stdout)["kpis"]
    [atlas] = [json.loads(b["blocks"]) for b, _ in posts if b["channel_id"] == "C0DEMO001"]
    kpi_lines = atlas[2]["text"]["text"]
    for key in ("recap_compliance", "missed_deadlines", "upsell_pitch_coverage_qtd", "nps_90d"):
        assert f"{kpi_label(key)}: *{kpi_value(numbers[key], key)}*" in kpi_lines, key
    again = run("digest", "--send", "--week", "2026-W10")
    assert again.exit_code == 0
    assert len(slack.posted_files()) == len(posts)


def send_atlas_refused(slack: FakeSlack, method: str, error: str) -> Result:
    """`digest --send` of Atlas for 2026-W10 with Slack answering ``method`` with ``error``."""
    slack.chaos = (0.0, 0.0)
    slack.failing_methods[method] = error
    return run("digest", "--send", "--team", "Atlas", "--week", "2026-W10")


def test_a_workspace_that_refuses_the_chart_gets_the_digest_without_it(
    slack: FakeSlack, demo_db: str
) -> None:
    result = send_atlas_refused(slack, "files.getUploadURLExternal", "missing_scope")
    assert result.exit_code == 0, result.output
    assert not slack.posted_files()
    [post] = slack.calls_to(POST)
    assert post.body["channel"] == "C0DEMO001" and "2026-W10" in post.body["text"]
    assert "The chart, in words" in json.dumps(post.body["blocks"])


def test_a_message_slack_refuses_for_good_is_parked_listed_and_can_be_retried(
    slack: FakeSlack, demo_db: str
) -> None:
    result = send_atlas_refused(slack, "files.completeUploadExternal", "channel_not_found")
    assert result.exit_code == 1
    assert "Not sent (parked)" in result.output and "channel_not_found" in result.output
    listed = run("outbox", "list")
    assert "parked" in listed.output and "channel_not_found" in listed.output
    row_id = listed.output.split()[0].lstrip("#")
    assert run("outbox", "retry", row_id).exit_code == 1  # still refused: parked again
    del slack.failing_methods["files.completeUploadExternal"]
    retried = run("outbox", "retry", row_id)
    assert retried.exit_code == 0 and "Sent." in retried.output
    assert [body["channel_id"] for body, _ in slack.posted_files()][-1] == "C0DEMO001"
    assert run("outbox", "retry", row_id).exit_code == 1  # sent: nothing to retry
    assert run("outbox", "drop", "999999").exit_code == 1


def test_a_sender_killed_between_posting_and_marking_loses_nothing_and_repeats_only_those(
    slack: FakeSlack, demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first `nudges --send` is killed (SIGKILL) while Slack holds its third DM unanswered;
    the next run sends what was left and, once the claim's lease is over, that third DM
    again: nothing lost, and only a message posted but not yet marked sent when the sender
    died (the one Slack held, and any other answered in that instant) goes twice."""
    slack.chaos = (0.0, 0.0)
    slack.stall_calls = {3}
    env = {
        **os.environ,
        "DATABASE_URL": demo_db,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "OUTBOX_CLAIM_LEASE_SECONDS": "1",
        "SLACK_MESSAGES_PER_SECOND": "50",
        "ACCOUNTBOT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-c", "from bot.cli import main; main()"]
    first = subprocess.Popen(
        [*command, "nudges", "--send", "--as-of", AS_OF.isoformat()], env=env, cwd=tmp_path
    )
    deadline = time.monotonic() + 60
    while len(slack.calls_to("chat.postMessage")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    posted_before = [
        (c.body["channel"], c.body["text"]) for c in slack.calls_to("chat.postMessage")
    ]
    marked = set(sent_texts(demo_db))
    in_flight = {item for item in posted_before if item[1] not in marked}
    assert 1 <= len(in_flight) <= 3  # the stalled DM, and at most a couple answered meanwhile
    slack.stall_calls = set()
    time.sleep(1.2)  # the dead sender's claim runs out
    monkeypatch.setenv("OUTBOX_CLAIM_LEASE_SECONDS", "1")
    second = run("nudges", "--send", "--as-of", AS_OF.isoformat())
    assert second.exit_code == 0, second.output
    posted = [(c.body["channel"], c.body["text"]) for c in slack.calls_to("chat.postMessage")]
    repeated = {item for item, n in Counter(posted).items() if n > 1}
    assert repeated <= in_flight and all(n <= 2 for n in Counter(posted).values())
    received = dms(slack)
    for channel, key in urgent_keys(demo_db):
        assert any(key in text for text in received[channel]), key
