"""The objection walkthrough in Slack, end to end: signed commands, button presses and modal
submissions against the running Bolt app; the exec sponsor's DM through the fake Web API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_app
from bot.playbooks import load_playbooks
from storage.models import AccountTask, AuditEntry, Objection, ObjectionStatus, ObjectionStep
from tests.channels.block_kit import check_view, visible_texts
from tests.channels.conftest import (
    NOW,
    SIGNING_SECRET,
    SlackWorld,
    slack_settings,
    start_server,
)
from tests.channels.helpers import ask, buttons, click, posted_message, seen
from tests.channels.slack_book import ALICE, BOB, LENA
from tests.channels.slack_fakes import SlackSender

pytestmark = pytest.mark.asyncio(loop_scope="module")

WALK = load_playbooks().walk
LEGITIMATE_FACTS = {
    "contact_name": "Priya Shah",
    "decision_maker": "yes",
    "backed_by_data": "yes",
    "channel": "email",
    "summary": "Cost per lead doubled since September <!channel>",
}
PHANTOM_FACTS = {
    "contact_name": "Owen Fletcher",
    "decision_maker": "no",
    "backed_by_data": "no",
    "channel": "call",
    "summary": "Their new VP doubts outbound works at all",
}
ONE_ANSWER = {"answer_1": "Their CRM's attribution report, Q3 against Q2"}


async def opened_view(world: SlackWorld, *, since: int = 0) -> dict[str, Any]:
    """The modal of the latest views.open call (checked)."""
    calls = await world.slack.wait_for(lambda: world.slack.calls_to("views.open")[since:])
    view = world.slack.view_arg(calls[-1])
    check_view(view)
    return view


async def start(world: SlackWorld, account: str, user: str = ALICE) -> dict[str, Any]:
    await world.send.command(f"objection {account}", user=user)
    return await opened_view(world)


async def submit(
    world: SlackWorld, view: dict[str, Any], values: dict[str, str | None], user: str = ALICE
) -> dict[str, Any]:
    """Submit the modal; Slack's answer (an empty ack reads as `{}`)."""
    status, body = await world.send.submit_view(view, values, user=user)
    assert status == 200, body
    return json.loads(body) if body else {}


async def next_view(
    world: SlackWorld, view: dict[str, Any], values: dict[str, str | None], user: str = ALICE
) -> dict[str, Any]:
    answer = await submit(world, view, values, user)
    assert answer.get("response_action") == "update", answer
    updated: dict[str, Any] = {**answer["view"], "id": view["id"]}  # Slack keeps the view's id
    check_view(updated)
    return updated


def step_of(view: dict[str, Any]) -> str:
    return str(view["callback_id"]).partition(":")[2]


def inputs(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]


def shown(view: dict[str, Any]) -> str:
    return "\n".join(visible_texts(view))


async def steps_recorded(world: SlackWorld, objection_id: int) -> int:
    async with world.db.read_only() as session:
        count = await session.scalar(
            select(func.count(ObjectionStep.id)).where(ObjectionStep.objection_id == objection_id)
        )
    return int(count or 0)


async def objection_row(world: SlackWorld, objection_id: int) -> Objection | None:
    async with world.db.read_only() as session:
        return await session.get(Objection, objection_id)


async def walk_to(
    world: SlackWorld, view: dict[str, Any], target: str, facts: dict[str, str]
) -> dict[str, Any]:
    """Submit valid steps until the view of ``target`` is shown."""
    answers = {
        "classify": facts,
        "kind": {},
        "validate": {},
        "clarify": {"restatement": "So costs doubled", "client_confirmed": "yes"},
        "ask": ONE_ANSWER,
        "escalate": {},
    }
    while step_of(view) != target:
        kind = [b for b in view["blocks"] if b.get("block_id") == "kind"]
        values = dict(answers[step_of(view)])
        if kind:
            values["kind"] = kind[0]["element"]["initial_option"]["value"]
        view = await next_view(world, view, values)
    return view


async def test_a_legitimate_objection_walked_from_the_command_to_resolution(
    world: SlackWorld,
) -> None:
    view = await start(world, "acme robotics")
    assert world.slack.calls_to("views.open")[0].body["trigger_id"] == world.send.last_trigger_id
    objection_id = int(view["private_metadata"])
    assert view["notify_on_close"] is True and step_of(view) == "classify"
    assert inputs(view) == [
        "contact_name",
        "decision_maker",
        "backed_by_data",
        "channel",
        "summary",
    ]

    view = await next_view(world, view, LEGITIMATE_FACTS)
    assert step_of(view) == "kind" and view["private_metadata"] == str(objection_id)
    kind = next(b for b in view["blocks"] if b.get("block_id") == "kind")
    assert kind["element"]["initial_option"]["value"] == "legitimate"  # the bot's proposal
    assert "My read: *Legitimate*, because they backed it with data" in shown(view)
    assert "move it to a call" in shown(view)  # it came in by email

    view = await next_view(world, view, {"kind": "legitimate"})
    assert step_of(view) == "validate"
    assert WALK_TRACK_VALIDATE in shown(view)
    view = await next_view(world, view, {"reaction": "Relieved to be heard"})
    assert step_of(view) == "clarify"
    view = await next_view(
        world,
        view,
        {"restatement": "Costs doubled; they need it under 80", "client_confirmed": "yes"},
    )
    assert step_of(view) == "ask"
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == WALK.step("ask").questions["legitimate"]
    view = await next_view(world, view, {"answer_1": "HubSpot attribution", "answer_3": "Q3 vs Q2"})
    assert step_of(view) == "escalate"
    assert "I'll send Lena Lead this" in shown(view)
    assert "HubSpot attribution" in shown(view)

    status_before = await ask(world, "status acme robotics")
    assert f"Objection #{objection_id}*, open" in seen(status_before)
    assert buttons(status_before)["Resume"] == f"objection resume {objection_id}"

    view = await next_view(world, view, {"note": "Please join Thursday's call"})
    assert step_of(view) == "resolve"
    assert "*Lena Lead* (exec sponsor) has been told: a DM is on its way." in shown(view)
    assert "Added 5 follow-ups to the checklist" in shown(view)

    dms = await world.slack.wait_for(
        lambda: [c for c in world.slack.calls_to("chat.postMessage") if c.body["channel"] == LENA]
    )
    dm = posted_message(dms[0])
    assert "*Alice Archer* needs you on an objection at *Acme Robotics*" in seen(dm)
    assert "Cost per lead doubled since September &lt;!channel&gt;" in seen(dm)
    assert "Please join Thursday's call" in seen(dm)
    assert buttons(dm)["Open the walkthrough"] == f"objection resume {objection_id}"

    checklist = await ask(world, "playbook acme robotics")
    text = seen(checklist)
    for follow_up in WALK.follow_ups:
        assert follow_up.title in text
    assert "Huddle with the exec sponsor on the data* · Lena Lead" in text
    assert "due Thu 05 Mar" in text  # data access: the day after the escalation
    ticked = await click(world, f"tick #{world.book.acme_robotics} objection-{objection_id}-deploy")
    assert ":white_check_mark: *Deploy the change with urgency*" in seen(ticked)

    closed = await submit(world, view, {"outcome": "resolved", "agreement": "Rebuild the list"})
    assert closed["response_action"] == "update"
    check_view(closed["view"])
    assert "closed: resolved after less than a minute" in shown(closed["view"])
    assert "submit" not in closed["view"]

    status_after = await ask(world, "status acme robotics")
    assert f"Objection #{objection_id}" not in seen(status_after)
    found = await objection_row(world, objection_id)
    assert found is not None and found.status is ObjectionStatus.RESOLVED
    assert (found.kind, found.outcome, found.escalated_to_id is not None) == (
        "legitimate",
        "resolved",
        True,
    )
    assert await steps_recorded(world, objection_id) == 7
    async with world.db.read_only() as session:
        audited = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("objection.%"))
            )
        ).all()
    assert [a for a in audited if a.startswith("objection.")][-7:] == [
        f"objection.{step.id}" for step in WALK.steps
    ]
    dms_to_lena = [c for c in world.slack.calls_to("chat.postMessage") if c.body["channel"] == LENA]
    assert len(dms_to_lena) == 1  # one DM per escalation


WALK_TRACK_VALIDATE = "That makes sense, and I can see why it would worry you."


async def test_a_phantom_objection_asks_other_questions_and_adds_no_follow_ups(
    world: SlackWorld,
) -> None:
    view = await start(world, "acme logistics")
    objection_id = int(view["private_metadata"])
    view = await next_view(world, view, PHANTOM_FACTS)
    kind = next(b for b in view["blocks"] if b.get("block_id") == "kind")
    assert kind["element"]["initial_option"]["value"] == "phantom"
    assert "move it to a call" not in shown(view)  # raised on a call
    view = await walk_to(world, view, "ask", PHANTOM_FACTS)
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == WALK.step("ask").questions["phantom"]
    view = await next_view(world, view, {"answer_2": "A board member's comment"})
    assert "I'll send Lena Lead this" in shown(view)  # no sponsor: the team lead hears
    view = await next_view(world, view, {})
    assert "*Lena Lead* (team lead) has been told" in shown(view)
    assert "Added" not in shown(view)  # no follow-ups for a phantom objection
    closed = await next_view(world, view, {"outcome": "lost", "agreement": "They cancel in May"})
    assert "closed: lost" in shown(closed)
    async with world.db.read_only() as session:
        tasks = await session.scalar(
            select(func.count(AccountTask.id)).where(AccountTask.objection_id == objection_id)
        )
    assert tasks == 0


INVALID = [
    ("classify", {**LEGITIMATE_FACTS, "contact_name": "  "}, "contact_name", "fill this in"),
    ("classify", {**LEGITIMATE_FACTS, "summary": "x" * 201}, "summary", "200 characters"),
    ("classify", {**LEGITIMATE_FACTS, "channel": "fax"}, "channel", "Choose one of"),
    ("kind", {"kind": "maybe"}, "kind", "Choose one of"),
    ("validate", {"reaction": "y" * 501}, "reaction", "500 characters"),
    ("clarify", {"restatement": "", "client_confirmed": "yes"}, "restatement", "fill this in"),
    ("clarify", {"restatement": "So…", "client_confirmed": None}, "client_confirmed", "Choose"),
    ("ask", {}, "answer_1", "at least one"),
    ("escalate", {"note": "z" * 501}, "note", "500 characters"),
    ("resolve", {"outcome": "won", "agreement": "Fine"}, "outcome", "Choose one of"),
]


async def test_invalid_input_at_each_step_is_shown_in_the_modal_and_saves_nothing(
    world: SlackWorld,
) -> None:
    view = await start(world, "tickbox")
    objection_id = int(view["private_metadata"])
    for step, values, block, words in INVALID:
        view = await walk_to(world, view, step, LEGITIMATE_FACTS)
        before = await steps_recorded(world, objection_id)
        answer = await submit(world, view, values)
        assert answer["response_action"] == "errors", (step, answer)
        assert list(answer["errors"]) == [block], (step, values)
        assert words in answer["errors"][block]
        assert await steps_recorded(world, objection_id) == before
    found = await objection_row(world, objection_id)
    assert found is not None and found.status is ObjectionStatus.ESCALATED


async def test_a_forged_objection_id_is_refused_and_changes_nothing(world: SlackWorld) -> None:
    view = await start(world, "recap co")
    objection_id = int(view["private_metadata"])
    view = await next_view(world, view, LEGITIMATE_FACTS)  # Alice's objection, now open
    forgeries = [
        (str(objection_id), BOB, f"There is no objection #{objection_id} you can see"),
        ("99999", ALICE, "There is no objection #99999 you can see"),
        ("99999999999", ALICE, "This form has expired"),
        ("1; DROP TABLE objections", ALICE, "This form has expired"),
    ]
    for forged, user, words in forgeries:
        answer = await submit(
            world, {**view, "private_metadata": forged}, {"kind": "phantom"}, user
        )
        assert answer["response_action"] == "update"
        assert words in shown(answer["view"])
    found = await objection_row(world, objection_id)
    assert found is not None and found.kind is None  # the kind was never set
    assert await steps_recorded(world, objection_id) == 1

    refused = await ask(world, f"objection resume {objection_id}", user=BOB)
    assert f"There is no objection #{objection_id} you can see" in seen(refused)
    listed = await ask(world, "objections", user=BOB)
    assert "Recap Co" not in seen(listed)


async def test_a_submission_delivered_twice_records_one_step(world: SlackWorld) -> None:
    view = await start(world, "nearly done")
    objection_id = int(view["private_metadata"])
    first = await submit(world, view, LEGITIMATE_FACTS)
    assert first["response_action"] == "update"
    again = await submit(world, view, LEGITIMATE_FACTS)  # the same view, the same hash
    assert again == {}
    assert await steps_recorded(world, objection_id) == 1


async def test_an_old_view_submitted_again_shows_the_step_due_now(world: SlackWorld) -> None:
    view = await start(world, "tickbox")
    classify = view
    view = await next_view(world, view, LEGITIMATE_FACTS)
    await next_view(world, view, {"kind": "legitimate"})
    changed = {**classify, "blocks": [*classify["blocks"], {"type": "divider"}]}  # a new hash
    stale = await next_view(world, changed, PHANTOM_FACTS)
    assert step_of(stale) == "validate"
    assert "That step was already saved" in shown(stale)


async def test_closing_the_modal_keeps_what_was_saved_and_resume_picks_it_up(
    world: SlackWorld,
) -> None:
    empty = await start(world, "acme logistics")
    status, _ = await world.send.close_view(empty, user=ALICE)
    assert status == 200
    assert await _gone(world, int(empty["private_metadata"]))  # nothing saved: forgotten

    view = await start(world, "acme logistics")
    objection_id = int(view["private_metadata"])
    view = await walk_to(world, view, "clarify", PHANTOM_FACTS)
    status, _ = await world.send.close_view(view, user=ALICE)
    assert status == 200
    listed = await ask(world, "objections acme logistics")
    assert f"#{objection_id} Acme Logistics*: Their new VP doubts" in seen(listed)
    assert "step 4/7 Clarify it in their words" in seen(listed)

    opened_before = len(world.slack.calls_to("views.open"))
    await world.send.click(f"objection resume {objection_id}", user=LENA)  # the lead resumes
    resumed = await opened_view(world, since=opened_before)
    assert step_of(resumed) == "clarify" and resumed["private_metadata"] == str(objection_id)


async def _gone(world: SlackWorld, objection_id: int) -> bool:
    for _ in range(50):
        if await objection_row(world, objection_id) is None:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_walkthrough_resumes_at_its_step_after_a_restart(world: SlackWorld) -> None:
    view = await start(world, "recap co")
    objection_id = int(view["private_metadata"])
    await walk_to(world, view, "validate", PHANTOM_FACTS)

    url = world.app.settings.database_url
    restarted = build_app(slack_settings(url, world.slack.api_url), clock=lambda: NOW)
    runner, base_url = await start_server(restarted.web)
    try:
        sender = SlackSender(f"{base_url}/slack/events", SIGNING_SECRET, world.slack, world.http)
        opened_before = len(world.slack.calls_to("views.open"))
        await sender.command(f"objection resume {objection_id}", user=ALICE)
        resumed = await opened_view(world, since=opened_before)
        assert step_of(resumed) == "validate"
        assert "Owen Fletcher" not in shown(resumed)  # the facts wait for escalate
        after = await next_view(world, resumed, {})
        assert step_of(after) == "clarify"
    finally:
        await runner.cleanup()
