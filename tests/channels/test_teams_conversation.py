"""Teams, end to end over HTTP: activities as Teams sends them in, cards to the fake connector.

The same commands, answers and permissions as Slack, typed in a personal chat, a channel (with
the bot's @mention, answered in the thread) or a group chat, and buttons pressed on cards.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.playbooks import load_playbooks
from storage.models import ConversationRef, Meeting, StepCompletion, User
from tests.channels.conftest import NOW
from tests.channels.helpers import latest_unrecapped, recaps_of
from tests.channels.teams_fakes import CHANNEL_ID, GROUP_CHAT_ID
from tests.channels.teams_helpers import buttons, card_of, commands, inputs, seen
from tests.channels.teams_world import ALICE_T, BOB_T, EVE_T, LENA_T, STRANGER_T, TeamsWorld

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRST_STEP = load_playbooks().for_stage("onboarding").steps[0]


@pytest.mark.parametrize(
    "text",
    ["account status acme robotics", "status acme robotics", "/account status acme robotics"],
)
async def test_status_typed_in_a_personal_chat_in_every_spelling(
    teams_world: TeamsWorld, text: str
) -> None:
    answer = await teams_world.say(teams_world.send.personal_message(text, ALICE_T))
    text_seen = seen(answer)
    assert "Acme Robotics" in text_seen and "Growth stage, 30 days in it" in text_seen
    assert "Mon 13 Apr 2026 (in 40 days)" in text_seen
    assert buttons(answer)["Playbook"] == f"playbook #{teams_world.book.acme_robotics}"


async def test_a_channel_command_needs_no_prefix_after_the_mention_and_answers_in_the_thread(
    teams_world: TeamsWorld,
) -> None:
    activity = teams_world.send.channel_message("status acme robotics", ALICE_T)
    await teams_world.say(activity)
    call = teams_world.connector.calls_to("send", "reply")[-1]
    assert call.conversation_id == f"{CHANNEL_ID};messageid={activity['id']}"
    assert "Growth stage, 30 days in it" in seen(call.body)


async def test_a_group_chat_is_answered_too(teams_world: TeamsWorld) -> None:
    await teams_world.say(teams_world.send.group_chat_message("renewals 60", ALICE_T))
    call = teams_world.connector.calls_to("send", "reply")[-1]
    assert call.conversation_id == GROUP_CHAT_ID
    assert "Contracts ending in the next 60 days" in seen(call.body)


async def test_answers_reuse_their_connection_to_the_bot_framework(
    teams_world: TeamsWorld,
) -> None:
    """A new connection per answer would be a TCP and TLS handshake with Teams every time."""
    for text in ("status acme robotics", "renewals 60", "help"):
        await teams_world.say(teams_world.send.personal_message(text, ALICE_T))
    await teams_world.say(teams_world.send.group_chat_message("help", ALICE_T))
    answers = teams_world.connector.calls_to("send", "reply")[-4:]
    assert len(answers) == 4 and None not in {c.peer for c in answers}
    assert len({c.peer for c in answers}) == 1, [c.peer for c in answers]


@pytest.mark.parametrize("greeting", ["hi", "Hello!", "", "help"])
async def test_greetings_and_help_answer_with_the_command_list(
    teams_world: TeamsWorld, greeting: str
) -> None:
    answer = await teams_world.say(teams_world.send.personal_message(greeting, ALICE_T))
    assert "Hi Alice Archer, here is what I can do" in seen(answer)
    assert "account status NAME" in seen(answer)


async def test_someone_accountbot_does_not_know_sees_how_to_be_added_and_no_data(
    teams_world: TeamsWorld,
) -> None:
    answer = await teams_world.say(teams_world.send.personal_message("list team", STRANGER_T))
    assert "I don't know you yet" in seen(answer)
    assert "Acme" not in seen(answer)


async def test_a_person_without_an_entra_id_is_matched_by_email_once_and_remembered(
    teams_world: TeamsWorld,
) -> None:
    answer = await teams_world.say(teams_world.send.personal_message("list team", EVE_T))
    assert "Your accounts" in seen(answer) or "Acme Robotics" in seen(answer)
    lookups = teams_world.connector.calls_to("member")
    assert len(lookups) == 1
    await teams_world.say(teams_world.send.personal_message("list team", EVE_T))
    assert len(teams_world.connector.calls_to("member")) == 1  # remembered
    async with teams_world.db.read_only() as session:
        eve = (await session.scalars(select(User).where(User.email == "eve@example.com"))).one()
    assert eve.teams_aad_object_id == EVE_T.aad_object_id


async def test_an_account_of_another_team_is_answered_like_one_that_does_not_exist(
    teams_world: TeamsWorld,
) -> None:
    other = seen(
        await teams_world.say(teams_world.send.personal_message("status initech", ALICE_T))
    )
    missing = seen(
        await teams_world.say(teams_world.send.personal_message("status zzyzx corp", ALICE_T))
    )
    assert "No account matches “initech”" in other and "No account matches “zzyzx corp”" in missing
    assert "account list team lists the accounts you can look up" in missing  # not a dead end
    own = seen(await teams_world.say(teams_world.send.personal_message("status initech", BOB_T)))
    assert "Initech" in own and "No account matches" not in own


async def test_ticking_a_step_updates_the_checklist_card_in_place(teams_world: TeamsWorld) -> None:
    account = teams_world.book.tickbox
    checklist = await teams_world.say(
        teams_world.send.personal_message("playbook tickbox", ALICE_T)
    )
    assert ("Tick", f"tick #{account} {FIRST_STEP.id}") in commands(checklist)
    card_id = "card-1"
    submit = teams_world.send.card_submit(
        {"cmd": f"tick #{account} {FIRST_STEP.id}"}, card_id=card_id, user=ALICE_T
    )
    updated = await teams_world.say(submit)
    call = teams_world.connector.calls_to("update")[-1]
    assert call.activity_id == card_id
    assert "✅" in seen(updated) and "done by Alice Archer" in seen(updated)
    assert ("Untick", f"untick #{account} {FIRST_STEP.id}") in commands(updated)
    async with teams_world.db.read_only() as session:
        ticked = await session.scalar(
            select(func.count()).where(StepCompletion.account_id == account)
        )
    assert ticked == 1
    undo = teams_world.send.card_submit(
        {"cmd": f"untick #{account} {FIRST_STEP.id}"}, card_id=card_id, user=ALICE_T
    )
    assert ("Tick", f"tick #{account} {FIRST_STEP.id}") in commands(await teams_world.say(undo))


async def test_a_teammate_reads_the_checklist_without_tick_buttons_and_is_refused_a_tick(
    teams_world: TeamsWorld,
) -> None:
    checklist = await teams_world.say(teams_world.send.personal_message("playbook tickbox", EVE_T))
    assert "its owner ticks it" in seen(checklist)
    assert not {"Tick", "Untick"} & set(buttons(checklist))
    refused = await teams_world.say(
        teams_world.send.card_submit(
            {"cmd": f"tick #{teams_world.book.tickbox} {FIRST_STEP.id}"}, card_id="c9", user=EVE_T
        )
    )
    assert "You can change only your own accounts" in seen(refused)
    assert teams_world.connector.calls_to("update") == []  # a refusal never replaces the card


async def test_the_recap_form_card_saves_the_recap_and_becomes_its_confirmation(
    teams_world: TeamsWorld,
) -> None:
    form = await teams_world.say(teams_world.send.personal_message("recap recap co", ALICE_T))
    assert inputs(form) == ["summary", "next_steps", "upsell_spotted"]
    assert "Recap of the **sync** meeting" not in seen(form)  # markdown renders
    assert "Recap of the sync meeting with Recap Co on Mon 02 Mar 15:00" in seen(form)
    data = card_of(form)["actions"][0]["data"]
    submit = teams_world.send.card_submit(
        data,
        card_id="form-1",
        user=ALICE_T,
        inputs={
            "summary": "Agreed the pilot **now** <at>x</at>",
            "next_steps": "Send proposal",
            "upsell_spotted": "",
        },
    )
    confirmation = await teams_world.say(submit)
    assert teams_world.connector.calls_to("update")[-1].activity_id == "form-1"
    assert "Recap saved for Recap Co" in seen(confirmation)
    assert "Agreed the pilot **now** <at>x</at>" in seen(confirmation)
    async with teams_world.db.read_only() as session:
        meeting = (
            await session.scalars(
                select(Meeting).where(Meeting.account_id == teams_world.book.recap_co)
            )
        ).one()
    assert meeting.recap == "Agreed the pilot **now** <at>x</at>"


async def test_the_recap_card_saves_to_the_meeting_it_named_even_if_a_newer_one_was_logged(
    teams_world: TeamsWorld,
) -> None:
    db, account, say = teams_world.db, teams_world.book.recap_co, teams_world.send.personal_message
    await teams_world.say(say("meeting recap co yesterday 10:00", ALICE_T))
    named = await latest_unrecapped(db, account)
    form = await teams_world.say(say("recap recap co", ALICE_T))
    data = card_of(form)["actions"][0]["data"]
    assert data["meeting_id"] == named
    await teams_world.say(say("meeting recap co now", ALICE_T))  # while the card is open
    newer = await latest_unrecapped(db, account)
    assert newer != named
    submit = teams_world.send.card_submit(
        data, card_id="form-9", user=ALICE_T, inputs={"summary": "Yesterday's call"}
    )
    assert "Recap saved for Recap Co" in seen(await teams_world.say(submit))
    assert await recaps_of(db, named, newer) == {named: "Yesterday's call", newer: None}


async def test_log_recap_now_after_an_older_meeting_opens_the_card_of_that_meeting(
    teams_world: TeamsWorld,
) -> None:
    db, account, say = teams_world.db, teams_world.book.recap_co, teams_world.send.personal_message
    newer = await latest_unrecapped(db, account)
    logged = await teams_world.say(say("meeting recap co 2026-02-27 09:30", ALICE_T))
    button = next(a for a in card_of(logged)["actions"] if a["title"] == "Log recap now")
    pressed = teams_world.send.card_submit(button["data"], card_id="logged-1", user=ALICE_T)
    form = await teams_world.say(pressed)
    assert "Recap of the sync meeting with Recap Co on Fri 27 Feb 09:30" in seen(form)
    empty = teams_world.send.card_submit(
        card_of(form)["actions"][0]["data"], card_id="form-27", user=ALICE_T, inputs={}
    )
    again = await teams_world.say(empty)  # what to fix, on the form of the same meeting
    assert "Write a short summary of the meeting." in seen(again)
    assert "Recap of the sync meeting with Recap Co on Fri 27 Feb 09:30" in seen(again)
    submit = teams_world.send.card_submit(
        card_of(again)["actions"][0]["data"],
        card_id="form-27",
        user=ALICE_T,
        inputs={"summary": "Friday's call"},
    )
    assert "Recap saved for Recap Co" in seen(await teams_world.say(submit))
    older = card_of(form)["actions"][0]["data"]["meeting_id"]
    assert older != newer
    assert await recaps_of(db, older, newer) == {older: "Friday's call", newer: None}


async def test_log_recap_on_home_opens_the_form_of_the_accounts_missed_meeting(
    teams_world: TeamsWorld,
) -> None:
    home = await teams_world.say(teams_world.send.personal_message("home", ALICE_T))
    missed = NOW - timedelta(days=3)  # Acme Robotics' meeting without a recap
    command = f"recap #{teams_world.book.acme_robotics} {missed:%Y-%m-%dT%H:%MZ}"
    assert command in [c for title, c in commands(home) if title == "Log recap"]
    form = await teams_world.say(teams_world.send.personal_message(command, ALICE_T))
    assert "Recap of the sync meeting with Acme Robotics on Sun 01 Mar 15:00" in seen(form)


async def test_an_invalid_recap_comes_back_as_the_form_with_what_to_fix_and_what_was_typed(
    teams_world: TeamsWorld,
) -> None:
    form = await teams_world.say(teams_world.send.personal_message("recap tickbox", ALICE_T))
    assert inputs(form) == ["meeting_when", "summary", "next_steps", "upsell_spotted"]
    data = card_of(form)["actions"][0]["data"]
    submit = teams_world.send.card_submit(
        data,
        card_id="form-2",
        user=ALICE_T,
        inputs={"meeting_when": "next blursday", "summary": "Kick-off"},
    )
    again = await teams_world.say(submit)
    assert "I can't read “next blursday” as a time" in seen(again)
    body = card_of(again)["body"]
    typed = {e["id"]: e.get("value") for e in body if e.get("id")}
    assert typed["summary"] == "Kick-off" and typed["meeting_when"] == "next blursday"
    async with teams_world.db.read_only() as session:
        assert (
            await session.scalars(
                select(Meeting).where(Meeting.account_id == teams_world.book.tickbox)
            )
        ).all() == []


async def test_the_first_message_in_a_personal_chat_stores_its_conversation_reference(
    teams_world: TeamsWorld,
) -> None:
    await teams_world.say(teams_world.send.personal_message("help", LENA_T))
    async with teams_world.db.read_only() as session:
        refs = (
            await session.scalars(
                select(ConversationRef).where(ConversationRef.scope == "personal")
            )
        ).all()
    lena = [r for r in refs if r.reference["user"]["aadObjectId"] == LENA_T.aad_object_id]
    assert len(lena) == 1
    assert lena[0].service_url == teams_world.connector.service_url
    assert lena[0].conversation_id.startswith("a:1")


async def test_a_duplicate_activity_is_answered_once(teams_world: TeamsWorld) -> None:
    activity = teams_world.send.personal_message("meeting acme logistics 2026-03-04 08:00", ALICE_T)
    await teams_world.say(activity)
    status, _ = await teams_world.send.post(activity)
    assert status == 200
    async with teams_world.db.read_only() as session:
        logged = await session.scalar(
            select(func.count()).where(Meeting.account_id == teams_world.book.acme_logistics)
        )
    assert logged == 1
    assert len(teams_world.connector.calls_to("send", "reply")) == 1


async def test_settings_show_and_change_the_persons_time_zone(teams_world: TeamsWorld) -> None:
    say = teams_world.send.personal_message
    own = seen(await teams_world.say(say("settings zone Tokyo", ALICE_T)))
    assert "Saved." in own and "Asia/Tokyo" in own
    team = seen(await teams_world.say(say("settings zone team", ALICE_T)))
    assert "the team's" in team and "Asia/Tokyo" not in team
