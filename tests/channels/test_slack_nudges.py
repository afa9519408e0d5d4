"""The morning DM in Slack, and what its buttons do: log the recap, snooze, done, why."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.delivery.runs import Renderers, queue_daily_nudges
from storage.models import Meeting, NudgeItem, UserSettings
from tests.channels.conftest import NOW, SlackWorld
from tests.channels.helpers import ask, buttons, click, form_opened, posted_message, seen
from tests.channels.slack_book import ALICE, LENA

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def morning(world: SlackWorld) -> dict[str, object]:
    """Queue and send today's DMs; Alice's DM as she sees it."""
    assert world.app.delivery is not None
    await queue_daily_nudges(
        world.app.services,
        as_of=NOW,
        platforms={"slack"},
        renderers=Renderers(),
        on_schedule=False,
    )
    await world.app.delivery.sender.drain()
    posts = [c for c in world.slack.calls_to("chat.postMessage") if c.body["channel"] == ALICE]
    assert posts, "Alice got no DM"
    return posted_message(posts[0])


async def test_the_morning_dm_lists_what_is_due_with_a_button_for_each(world: SlackWorld) -> None:
    await ask(world, "meeting acme robotics 2026-02-27 10:00")  # Acme's second missed recap
    dm = await morning(world)
    text = seen(dm)
    assert "Good morning Alice Archer" in text
    assert "*Acme Robotics*" in text and "Recap missing for the sync meeting 3 days ago" in text
    labels = buttons(dm)
    assert {"Log recap", "Snooze 1 day", "Snooze 1 week", "Done", "Why am I getting this?"} <= set(
        labels
    )
    assert "Change when and what I send you: `/account settings`" in text
    acme = world.book.acme_robotics
    logs = [
        element["value"]
        for block in dm["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == "Log recap"
    ]
    async with world.db.read_only() as session:
        meetings = select(Meeting.occurred_at, Meeting.id).where(Meeting.account_id == acme)
        acmes = {at: meeting_id for at, meeting_id in await session.execute(meetings)}
    assert len(acmes) == 2
    for occurred_at, meeting_id in acmes.items():  # each Log recap opens its meeting's form
        value = f"recap #{acme} {occurred_at:%Y-%m-%dT%H:%MZ}"
        assert value in logs
        await world.send.click(value, user=ALICE)
        form = await form_opened(world)
        assert json.loads(form["private_metadata"])["meeting_id"] == meeting_id


async def test_snooze_done_and_why_act_on_the_persons_own_reminder(world: SlackWorld) -> None:
    async with world.db.read_only() as session:
        item = (
            await session.scalars(
                select(NudgeItem).where(NudgeItem.item_key.startswith("missed_recap:"))
            )
        ).first()
    assert item is not None
    why = seen(await click(world, f"why {item.item_key}"))
    assert "Why you got this" in why and "no recap was logged within 24 hours" in why
    assert "`/account settings mute missed_recap`" in why
    snoozed = seen(await click(world, f"snooze {item.item_key} 1w"))
    assert "I'll remind you again on Wed 11 Mar 15:00" in snoozed
    refused = seen(await click(world, f"done {item.item_key}", user=LENA))
    assert "was not sent to you" in refused
    assert "Done" in seen(await click(world, f"done {item.item_key}"))
    async with world.db.read_only() as session:
        stored = await session.get(NudgeItem, item.id)
    assert stored is not None and stored.done_at == NOW
    assert stored.snoozed_until is not None


async def test_settings_change_time_days_mutes_and_vacation(world: SlackWorld) -> None:
    shown = seen(await ask(world, "settings"))
    assert "09:00" in shown and "mon, tue, wed, thu, fri" in shown
    assert "*Time*" in shown
    changed = seen(await ask(world, "settings time 8:15"))
    assert "Saved." in changed and "08:15" in changed
    assert "mon, wed" in seen(await ask(world, "settings days mon,wed"))
    assert "renewal" in seen(await ask(world, "settings mute renewals"))
    assert "until Tue 24 Mar 2026" in seen(await ask(world, "settings vacation 2026-03-24"))
    for bad, words in (
        ("settings time 25:00", "time of day"),
        ("settings days funday", "not a weekday"),
        ("settings mute weather", "not a kind of nudge"),
        ("settings vacation 2025-01-01", "in the past"),
        ("settings colour blue", "I can change"),
    ):
        assert words in seen(await ask(world, bad)), bad
    async with world.db.read_only() as session:
        stored = (
            await session.scalars(select(UserSettings).where(UserSettings.nudge_time == "08:15"))
        ).one()
    assert (stored.working_days, stored.muted) == ("mon,wed", ["renewal"])
    assert "the default" in seen(await ask(world, "settings reset"))


async def test_a_person_sets_their_own_time_zone_and_goes_back_to_the_teams(
    world: SlackWorld,
) -> None:
    own = seen(await ask(world, "settings zone new york"))
    assert "Saved." in own and "*Time zone*\nAmerica/New_York" in own
    assert "did you mean America/New_York?" in seen(await ask(world, "settings zone new yrok"))
    team = seen(await ask(world, "settings zone team"))
    assert "*Time zone*\nUTC, the team's" in team
