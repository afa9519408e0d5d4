"""Proactive messages in Teams: the morning DM goes into the person's chat with the bot through
the stored conversation reference; a chat where the bot was blocked is marked dead, not
retried forever."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.delivery.runs import Renderers, queue_daily_nudges
from storage.models import ConversationRef, Meeting, OutboxMessage, OutboxStatus
from tests.channels.conftest import NOW
from tests.channels.teams_helpers import buttons, commands, seen
from tests.channels.teams_world import ALICE_T, TeamsWorld

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def queue(world: TeamsWorld) -> list[int]:
    report = await queue_daily_nudges(
        world.app.services, as_of=NOW, platforms={"teams"}, renderers=Renderers(), on_schedule=False
    )
    return report.queued


async def test_the_morning_dm_reaches_a_teams_user_in_their_chat_with_the_bot(
    teams_world: TeamsWorld,
) -> None:
    await teams_world.say(teams_world.send.personal_message("hi", ALICE_T))  # the chat exists
    [greeted] = teams_world.connector.calls_to("send", "reply")[-1:]
    teams_world.connector.reset()
    assert teams_world.app.delivery is not None
    queued = await queue(teams_world)
    assert queued
    report = await teams_world.app.delivery.sender.drain(ids=set(queued))
    assert set(report.sent) == set(queued)
    sends = teams_world.connector.calls_to("send", "reply")
    alice_chat = teams_world.send.personal_conversation(ALICE_T)["id"]
    mine = [c for c in sends if c.conversation_id == alice_chat]
    assert len(mine) == 1
    assert mine[0].peer == greeted.peer is not None  # the same connection, no new handshake
    assert "Good morning Alice Archer" in seen(mine[0].body)
    assert "Recap missing" in seen(mine[0].body)
    assert {"Log recap", "Snooze 1 day", "Done", "Why am I getting this?"} <= set(
        buttons(mine[0].body)
    )
    logs = {command for title, command in commands(mine[0].body) if title == "Log recap"}
    async with teams_world.db.read_only() as session:  # each names the meeting it is about
        waiting = await session.execute(
            select(Meeting.account_id, Meeting.occurred_at).where(Meeting.recap.is_(None))
        )
        meetings = {f"recap #{account} {at:%Y-%m-%dT%H:%MZ}" for account, at in waiting}
    assert logs and logs <= meetings
    async with teams_world.db.read_only() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(queued)))
        ).all()
    assert all(row.status == OutboxStatus.SENT and row.platform_message_id for row in rows)


async def test_a_chat_where_the_bot_was_blocked_is_marked_dead_and_the_message_parked(
    teams_world: TeamsWorld,
) -> None:
    async with teams_world.db.unit_of_work() as session:  # a new day: new reminders
        for item in await session.scalars(select(OutboxMessage)):
            item.idempotency_key = f"old:{item.id}"
        from storage.models import NudgeItem

        for nudge in await session.scalars(select(NudgeItem)):
            await session.delete(nudge)
    teams_world.connector.fail("reply", 403, times=5, code="BotDisabledByAdmin")
    queued = await queue(teams_world)
    assert teams_world.app.delivery is not None
    report = await teams_world.app.delivery.sender.drain(ids=set(queued))
    assert set(report.parked) == set(queued) and not report.sent
    assert len(teams_world.connector.calls_to("send", "reply")) == len(queued)  # tried once
    async with teams_world.db.read_only() as session:
        refs = (
            await session.scalars(
                select(ConversationRef).where(ConversationRef.scope == "personal")
            )
        ).all()
    alice = next(r for r in refs if r.reference["user"]["aadObjectId"] == ALICE_T.aad_object_id)
    assert alice.dead_since is not None and "403" in (report.parked[queued[0]] or "")
