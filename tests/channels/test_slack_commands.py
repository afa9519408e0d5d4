"""`/account …` over real HTTP: signed slash commands in, what the user sees out (response_url)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from storage.models import User
from tests.channels.block_kit import check_message
from tests.channels.conftest import SlackWorld
from tests.channels.helpers import ask, buttons, seen
from tests.channels.slack_book import (
    ALICE,
    ALICE_ACCOUNTS,
    BOB,
    EMAILS,
    EVE,
    HOSTILE_NAME,
    NOBODY,
    STRANGER,
    TEAMMATE_ACCOUNTS,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(autouse=True)
def _slack_knows_emails(world: SlackWorld) -> None:
    world.slack.emails.update(EMAILS)


async def test_empty_command_answers_with_help(world: SlackWorld) -> None:
    message = await ask(world, "")
    assert message["response_type"] == "ephemeral"
    assert "Hi Alice Archer, here is what I can do" in seen(message)
    assert "/account status NAME" in seen(message)
    assert "/account recap NAME" in seen(message)


async def test_a_greeting_is_answered_with_help_everywhere(world: SlackWorld) -> None:
    for greeting in ("hi", "Hello!", "good morning"):
        answer = seen(await ask(world, greeting))
        assert "here is what I can do" in answer and "I don't know" not in answer, greeting


async def test_help_about_one_command_shows_that_command(world: SlackWorld) -> None:
    about = seen(await ask(world, "help objection"))
    assert "/account objection NAME" in about and "/account objections [NAME]" in about
    assert "/account status NAME" not in about
    unknown = seen(await ask(world, "help frobnicate"))
    assert "I don't know the command “frobnicate”" in unknown
    assert "/account status NAME" in unknown


async def test_status_of_a_known_account_shows_its_name_stage_and_renewal(
    world: SlackWorld,
) -> None:
    message = await ask(world, "status acme robotics")
    text = seen(message)
    assert "*Acme Robotics*" in text
    assert "Growth stage, 30 days in it" in text
    assert "Mon 13 Apr 2026 (in 40 days)" in text  # 2026-03-04 + 40 days
    assert "$12,000" in text
    assert "Lena Lead" in text  # exec sponsor
    assert "*Missed recaps*\n1" in text  # the meeting three days ago has no recap
    account = world.book.acme_robotics
    assert buttons(message) == {
        "Playbook": f"playbook #{account}",
        "Log recap": f"recap #{account}",
        "Renewals": "renewals",
    }


async def test_ambiguous_name_offers_each_candidate_as_a_button(world: SlackWorld) -> None:
    message = await ask(world, "status acme")
    assert "matches several accounts" in seen(message)
    assert buttons(message) == {
        "Acme Logistics": "status Acme Logistics",
        "Acme Robotics": "status Acme Robotics",
    }


async def test_candidate_button_answers_with_that_accounts_status(world: SlackWorld) -> None:
    url = await world.send.click("status Acme Logistics", user=ALICE)
    message = await world.slack.response(url)
    assert "*Acme Logistics*" in seen(message)
    assert message["replace_original"] is False


async def test_unknown_name_suggests_the_closest_accounts_as_buttons(world: SlackWorld) -> None:
    message = await ask(world, "playbook tickboks limited")
    assert "No account matches “tickboks limited”" in seen(message)
    assert buttons(message)["Tickbox Ltd"] == "playbook Tickbox Ltd"


async def test_another_teams_account_is_answered_like_one_that_does_not_exist(
    world: SlackWorld,
) -> None:
    other_team = await ask(world, "status Initech")  # Bob's account, team Borealis
    missing = await ask(world, "status Inutexh")
    assert "Initech" not in seen(other_team).replace("“Initech”", "")
    assert seen(other_team).replace("Initech", "Q") == seen(missing).replace("Inutexh", "Q")
    nothing_near = seen(await ask(world, "status zzyzx corp"))
    assert "`/account list team` lists the accounts you can look up" in nothing_near
    by_id = await world.slack.response(
        await world.send.click(f"status #{world.book.initech}", user=ALICE)
    )
    no_such_id = await world.slack.response(await world.send.click("status #999999", user=ALICE))
    assert seen(by_id).replace(str(world.book.initech), "N") == seen(no_such_id).replace(
        "999999", "N"
    )
    own = await ask(world, "status Initech", user=BOB)
    assert "*Initech*" in seen(own)


async def test_unknown_slack_user_is_told_how_to_be_added_and_shown_no_data(
    world: SlackWorld,
) -> None:
    for slack_user in (NOBODY, STRANGER):
        message = await ask(world, "list team", user=slack_user)
        text = seen(message)
        assert "I don't know you yet" in text
        assert "add your work email" in text and "re-import" in text
        assert "Acme" not in text and "Tickbox" not in text
    assert {c.body["user"] for c in world.slack.calls_to("users.info")} == {NOBODY, STRANGER}


async def test_slack_user_is_mapped_by_email_once_then_remembered(world: SlackWorld) -> None:
    first = await ask(world, "list team", user=EVE)
    assert "*Acme Robotics*" in seen(first)  # Eve is in Alice's team
    assert [c.body["user"] for c in world.slack.calls_to("users.info")] == [EVE]
    world.slack.reset()
    second = await ask(world, "help", user=EVE)
    assert "Hi Eve Early" in seen(second)
    assert world.slack.calls_to("users.info") == []
    async with world.db.read_only() as session:
        eve = await session.get(User, world.book.eve)
    assert eve is not None and eve.slack_user_id == EVE


async def test_hostile_account_name_is_escaped_in_every_text_field(world: SlackWorld) -> None:
    for command in ("status evil", "playbook evil", "list mine", "list at-risk"):
        message = await ask(world, command)  # ask() checks every text field
        assert "&lt;!channel&gt; Evil &amp; &lt;@U123&gt; Corp" in seen(message), command
        assert HOSTILE_NAME not in seen(message)


async def test_command_text_escaped_by_slack_is_read_as_typed(world: SlackWorld) -> None:
    message = await ask(world, "status Evil &amp; &lt;@U123&gt; Corp")  # typed: Evil & <@U123>
    assert "*&lt;!channel&gt; Evil &amp; &lt;@U123&gt; Corp*" in seen(message)


@pytest.mark.parametrize(
    "text",
    [
        "status " + "x" * 5000,
        "<!channel> <@U123> &",
        "status <!here>",
        "list team page 99999999999999999999",
        "renewals -5",
        "stage",
        "tick",
        "meeting acme robotics in the year 3000",
        "\u202e\x00\x1b[2J status",
        "recap",
        '"',
    ],
)
async def test_malformed_or_hostile_command_gets_a_helpful_answer(
    world: SlackWorld, text: str
) -> None:
    message = await ask(world, text)  # well-formed, escaped, and not an apology
    assert "something went wrong" not in seen(message)


async def test_more_button_pages_through_a_long_list(world: SlackWorld) -> None:
    total = ALICE_ACCOUNTS + TEAMMATE_ACCOUNTS
    first = await ask(world, "list team")
    assert f"(1–10 of {total})" in seen(first)
    assert buttons(first)[f"More ({total - 10} left)"] == "list team page 2"
    url = await world.send.click("list team page 2", user=ALICE)
    second = await world.slack.response(url)
    check_message(second)
    assert f"(11–{total} of {total})" in seen(second)
    assert not any(label.startswith("More") for label in buttons(second))
    assert "*Crowd Client 12*" in seen(second)


async def test_command_is_acknowledged_before_slow_work_finishes(world: SlackWorld) -> None:
    carol = "UCAROL01"  # Carol Crowd (team Atlas) has not used the bot: it asks Slack who she is
    world.slack.emails[carol] = "carol@example.com"
    world.slack.hang("users.info", 0.5)  # …and Slack takes its time to say
    url = await world.send.command("status acme robotics", user=carol)  # 200 came back
    assert world.slack.posted_to(url) == []  # …while the work is still waiting
    assert "*Acme Robotics*" in seen(await world.slack.response(url))
    assert len(world.slack.calls_to("users.info")) == 1


async def test_handler_exception_is_logged_and_apologised_for(
    world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    acme = world.book.acme_robotics
    unreadable = f"UPDATE accounts SET mrr = 'lots' WHERE id = {acme}"  # not an amount
    async with _stored(world, unreadable, f"UPDATE accounts SET mrr = 12000 WHERE id = {acme}"):
        with caplog.at_level(logging.ERROR):
            message = await ask(world, "status acme robotics")
    assert "Sorry, something went wrong" in seen(message)
    assert "Acme" not in seen(message)
    logged = [r for r in caplog.records if r.exc_info and "real number" in str(r.exc_info[1])]
    assert logged, "the exception was not logged"
    assert logged[0].name == "bot.handlers.router"
    assert all("xoxb-" not in r.getMessage() for r in caplog.records)
    assert "*Acme Robotics*" in seen(await ask(world, "status acme robotics"))  # and after


async def test_failure_outside_the_handlers_is_logged_and_apologised_for(
    world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    # who is asking cannot be looked up: the database lost its users (a bad restore)
    lost = "ALTER TABLE users RENAME TO users_away"
    async with _stored(world, lost, "ALTER TABLE users_away RENAME TO users"):
        with caplog.at_level(logging.ERROR):
            message = await ask(world, "kpi me")
    assert "I can't reach my database right now" in seen(message)
    record = next(r for r in caplog.records if r.name == "bot.channels.slack_surface")
    assert ALICE in record.getMessage() and "'kpi'" in record.getMessage()
    assert "Sorry" not in seen(await ask(world, "kpi me"))  # and after


@asynccontextmanager
async def _stored(world: SlackWorld, change: str, undo: str) -> AsyncIterator[None]:
    """The database holds what accountbot never writes (``change``) for the block."""
    async with world.db.unit_of_work() as session:
        await session.execute(text(change))
    try:
        yield
    finally:
        async with world.db.unit_of_work() as session:
            await session.execute(text(undo))


async def test_request_without_a_user_is_answered_without_data(world: SlackWorld) -> None:
    response_url = world.slack.new_response_url()
    form = {"command": "/account", "text": "list team", "response_url": response_url}
    status, _ = await world.send.post(urlencode(form), "application/x-www-form-urlencoded")
    assert status == 200
    message = await world.slack.response(response_url)
    assert "I don't know you yet" in seen(message)


async def test_failure_in_bolt_middleware_is_logged_with_context_and_retried_by_slack(
    world: SlackWorld, caplog: pytest.LogCaptureFixture
) -> None:
    async with world.db.unit_of_work() as session:  # the de-duplication table goes missing
        await session.execute(text("ALTER TABLE processed_events RENAME TO processed_away"))
    try:
        with caplog.at_level(logging.ERROR):
            status, _ = await world.send.event(
                {"type": "app_home_opened", "user": ALICE, "tab": "home"}, event_id="EvDOWN0001"
            )
    finally:
        async with world.db.unit_of_work() as session:
            await session.execute(text("ALTER TABLE processed_away RENAME TO processed_events"))
    assert status == 500  # not handled, so Slack delivers it again later
    record = next(r for r in caplog.records if r.name == "bot.channels.slack")
    assert "event_callback" in record.getMessage() and ALICE in record.getMessage()
    assert world.slack.calls_to("views.publish") == []
