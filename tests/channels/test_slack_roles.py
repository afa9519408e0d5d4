"""What each person may do, and how refusals and typos are answered, over real HTTP.

Alice (AM) owns the accounts; Eve is an AM of the same team (reads them, changes none of
them); Lena leads the team.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy import func, select

from bot.playbooks import load_playbooks
from storage.models import Meeting, StepCompletion
from tests.channels.conftest import SlackWorld
from tests.channels.helpers import ask, buttons, click, posted_message, seen
from tests.channels.slack_book import ALICE, EMAILS, EVE, LENA, TEAMMATE_ACCOUNTS

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRST_STEP = load_playbooks().for_stage("onboarding").steps[0]


@pytest.fixture(autouse=True)
def _slack_knows_emails(world: SlackWorld) -> None:
    world.slack.emails.update(EMAILS)


async def test_teammate_sees_the_checklist_without_tick_buttons(world: SlackWorld) -> None:
    checklist = await ask(world, "playbook tickbox", user=EVE)
    assert FIRST_STEP.title in seen(checklist)
    assert "its owner ticks it" in seen(checklist)
    assert not {"Tick", "Untick"} & set(buttons(checklist))
    owners = await ask(world, "playbook tickbox", user=ALICE)
    assert "Tick" in buttons(owners)


async def test_refused_click_answers_apart_and_leaves_the_checklist_alone(
    world: SlackWorld,
) -> None:
    refused = await click(world, f"tick #{world.book.tickbox} {FIRST_STEP.id}", user=EVE)
    assert refused["replace_original"] is False
    assert "You can change only your own accounts" in seen(refused)
    async with world.db.read_only() as session:
        ticked = await session.scalar(
            select(func.count()).where(StepCompletion.account_id == world.book.tickbox)
        )
    assert ticked == 0


async def test_recap_of_an_account_you_cannot_change_is_refused_before_the_form(
    world: SlackWorld,
) -> None:
    refused = await ask(world, "recap recap co", user=EVE)
    assert "You can change only your own accounts" in seen(refused)
    assert world.slack.calls_to("views.open") == []


async def test_unreadable_meeting_time_is_named_not_blamed_on_the_account(
    world: SlackWorld,
) -> None:
    for when in ("next week", "25:00", "2026-02-30 10:00"):
        answer = await ask(world, f"meeting acme robotics {when}")
        assert f"I can't read “{when}” as a time" in seen(answer), when
        assert "No account matches" not in seen(answer)


async def test_meeting_more_than_a_year_ago_is_refused(world: SlackWorld) -> None:
    answer = await ask(world, "meeting acme robotics 400 days ago")
    assert "more than a year ago" in seen(answer)
    assert "accountbot import meetings" in seen(answer)


async def test_the_same_meeting_logged_four_times_at_once_is_saved_once(
    world: SlackWorld,
) -> None:
    urls = await asyncio.gather(
        *(world.send.command("meeting recap co 2026-03-04 09:00", user=ALICE) for _ in range(4))
    )
    answers = [seen(await world.slack.response(url)) for url in urls]
    assert sum("Logged a meeting with *Recap Co*" in a for a in answers) == 1
    assert sum("already logged" in a or "just been logged" in a for a in answers) == 3
    assert not any("Sorry" in a for a in answers)
    async with world.db.read_only() as session:
        stored = await session.scalar(
            select(func.count()).where(Meeting.account_id == world.book.recap_co)
        )
    assert stored == 2  # the one from the book and this one


async def test_stage_without_a_stage_asks_which_stage(world: SlackWorld) -> None:
    answer = await ask(world, "stage acme robotics")
    assert "Which stage? “robotics” is not one" in seen(answer)
    assert "onboarding, adaptation, growth, renewal" in seen(answer)


@pytest.mark.parametrize("scope", ["team", "at-risk"])
async def test_page_past_the_end_says_so_without_a_range(world: SlackWorld, scope: str) -> None:
    first = seen(await ask(world, f"list {scope}", user=LENA))
    total = re.search(r"\(1–\d+ of (\d+)\)", first)
    assert total is not None, first
    past = seen(await ask(world, f"list {scope} page 99", user=LENA))
    assert f"No more accounts: this page is past the end ({total[1]} in all)." in past
    assert "981" not in past and "Nothing at risk" not in past


async def test_lead_lists_the_team_by_default_and_sees_its_risks_at_home(
    world: SlackWorld,
) -> None:
    listed = await ask(world, "list", user=LENA)
    assert "Your team's accounts" in seen(listed)
    await world.send.event(
        {"type": "app_home_opened", "user": LENA, "tab": "home"}, event_id="EvLEADHOME1"
    )
    published = await world.slack.wait_for(lambda: world.slack.calls_to("views.publish"))
    home = world.slack.view_arg(published[0])
    texts = [b["text"]["text"] for b in home["blocks"] if b["type"] == "section"]
    assert any(t.startswith("*At risk in your team*") for t in texts)
    assert any(t.startswith("*Recap Co* · Alice Archer") for t in texts)
    labels = {
        e["text"]["text"] for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert {"Team accounts", "Team KPIs", "Digest preview"} <= labels
    assert "My KPIs" not in labels
    assert TEAMMATE_ACCOUNTS > 0


async def test_recap_confirmation_falls_back_to_a_dm_when_response_url_is_unreachable(
    world: SlackWorld,
) -> None:
    await world.send.command("recap acme robotics", user=ALICE)
    opened = await world.slack.wait_for(lambda: world.slack.calls_to("views.open"))
    view = world.slack.view_arg(opened[0])
    origin = json.loads(view["private_metadata"])
    view["private_metadata"] = json.dumps({**origin, "response_url": "http://127.0.0.1:9/gone"})
    status, _ = await world.send.submit_view(view, {"summary": "Agreed next steps"}, user=ALICE)
    assert status == 200
    posted = await world.slack.wait_for(lambda: world.slack.calls_to("chat.postMessage"))
    assert posted[0].body["channel"] == ALICE
    assert "Recap saved for *Acme Robotics*" in seen(posted_message(posted[0]))


async def test_errors_inside_the_recap_form_carry_no_code_marks(world: SlackWorld) -> None:
    await world.send.command("recap tickbox", user=ALICE)  # no meeting yet: asks when
    opened = await world.slack.wait_for(lambda: world.slack.calls_to("views.open"))
    view = world.slack.view_arg(opened[0])
    values = {"summary": "Kick-off went well", "meeting_when": "sometime"}
    status, body = await world.send.submit_view(view, values, user=ALICE)
    assert status == 200
    errors = json.loads(body)["errors"]
    assert "I can't read “sometime” as a time" in errors["meeting_when"]
    assert "`" not in errors["meeting_when"]
