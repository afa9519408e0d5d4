"""The objection walkthrough in Teams, end to end over HTTP: `account objection ACCOUNT` answers
with a form card, each step's submit replaces it with the next one, the exec sponsor's DM goes
through the outbox to the fake Bot Connector, and the checklist and status follow.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import build_app
from storage.models import AccountTask, Objection, ObjectionStatus, ObjectionStep, OutboxMessage
from tests.channels.adaptive_cards import shown
from tests.channels.conftest import NOW, start_server
from tests.channels.teams_fakes import TeamsSender, TeamsUser
from tests.channels.teams_helpers import buttons, card_of, commands, inputs, seen
from tests.channels.teams_world import ALICE_T, BOB_T, EVE_T, LENA_T, TeamsWorld, teams_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLASSIFY = {
    "contact_name": "Priya Shah",
    "decision_maker": "yes",
    "backed_by_data": "yes",
    "channel": "call",
    "summary": "Cost per lead doubled since September",
}
PHANTOM_CLASSIFY = {
    **CLASSIFY,
    "contact_name": "Tom Vague",
    "decision_maker": "no",
    "backed_by_data": "no",
    "summary": "It just doesn't feel like it's working",
}
CLARIFY = {"restatement": "Leads cost twice what they did in August", "client_confirmed": "yes"}
ASK = {"answer_1": "The GA4 acquisition report", "answer_2": "", "answer_3": ""}
ESCALATE = {"note": "They want a plan by Friday"}
RESOLVE = {"outcome": "resolved", "agreement": "Rebuild the target list together"}
FOLLOW_UPS = {  # title -> (owner, due): NOW is Wed 04 Mar 2026
    "Get access to the data the client cites": ("Alice Archer", "Thu 05 Mar"),
    "Huddle with the exec sponsor on the data": ("Lena Lead", "Fri 06 Mar"),
    "Internal huddle with the channel experts": ("Alice Archer", "Sat 07 Mar"),
    "Present the recommended course of action": ("Alice Archer", "Mon 09 Mar"),
    "Deploy the change with urgency": ("Alice Archer", "Wed 11 Mar"),
}


def chat_of(world: TeamsWorld, user: TeamsUser) -> str:
    return str(world.send.personal_conversation(user)["id"])


def answers_in(world: TeamsWorld, user: TeamsUser) -> list[Any]:
    """Every card the bot sent, replied or updated in the person's chat with it."""
    chat = chat_of(world, user)
    calls = world.connector.calls_to("send", "reply", "update")
    return [c for c in calls if c.conversation_id == chat]


async def post(
    world: TeamsWorld, activity: dict[str, Any], user: TeamsUser, via: TeamsSender | None = None
) -> Any:
    """Post an activity (to the world's app, or `via` another); the (first) call that answers
    it in the person's chat."""
    before = len(answers_in(world, user))
    status, _ = await (via or world.send).post(activity)
    assert status in (200, 201, 202), status
    calls = await world.connector.wait_for(
        lambda: len(answers_in(world, user)) > before and answers_in(world, user)
    )
    return calls[before]


async def say(
    world: TeamsWorld, text: str, user: TeamsUser = ALICE_T, via: TeamsSender | None = None
) -> dict[str, Any]:
    call = await post(world, world.send.personal_message(text, user), user, via)
    assert call.kind in ("send", "reply")
    return call.body  # type: ignore[no-any-return]


def form_data(form: dict[str, Any]) -> dict[str, Any]:
    """What the form's button sends besides the inputs."""
    data: dict[str, Any] = card_of(form)["actions"][0]["data"]
    return data


def values_of(card_activity: dict[str, Any]) -> dict[str, Any]:
    """Input id -> the value it is pre-filled with."""
    return {e["id"]: e.get("value") for e in card_of(card_activity)["body"] if e.get("id")}


def facts_of(card_activity: dict[str, Any]) -> dict[str, str]:
    """Fact title -> value, over the card's fact sets."""
    body = card_of(card_activity)["body"]
    sets = [e["facts"] for e in body if e.get("type") == "FactSet"]
    return {fact["title"]: fact["value"] for facts in sets for fact in facts}


async def submit(
    world: TeamsWorld,
    form: dict[str, Any],
    typed: dict[str, Any],
    *,
    card_id: str,
    user: TeamsUser = ALICE_T,
) -> dict[str, Any]:
    """Fill in the form card `card_id` and press its button: the card it is replaced with."""
    activity = world.send.card_submit(form_data(form), card_id=card_id, user=user, inputs=typed)
    call = await post(world, activity, user)
    assert (call.kind, call.activity_id) == ("update", card_id), "the answer replaces the form"
    return call.body  # type: ignore[no-any-return]


async def steps_recorded(world: TeamsWorld, objection_id: int) -> int:
    async with world.db.read_only() as session:
        count = await session.scalar(
            select(func.count()).where(ObjectionStep.objection_id == objection_id)
        )
    return int(count or 0)


async def load(world: TeamsWorld, objection_id: int) -> Objection:
    async with world.db.read_only() as session:
        found = await session.get(Objection, objection_id)
    assert found is not None
    return found


async def start(world: TeamsWorld, account: str, user: TeamsUser = ALICE_T) -> dict[str, Any]:
    form = await say(world, f"account objection {account}", user)
    assert inputs(form) == list(CLASSIFY)
    assert form_data(form)["step"] == "classify"
    return form


def dms_to(world: TeamsWorld, user: TeamsUser) -> list[dict[str, Any]]:
    """The objection DMs that reached the person's chat."""
    return [
        c.body
        for c in answers_in(world, user)
        if c.kind in ("send", "reply") and "needs you on an objection" in c.body.get("text", "")
    ]


async def test_a_legitimate_objection_is_walked_to_resolution_card_by_card(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    account = world.book.acme_robotics
    await say(world, "hi", LENA_T)  # the sponsor's chat with the bot exists

    form = await start(world, "acme robotics")
    objection_id = form_data(form)["objection_id"]
    assert isinstance(objection_id, int) and form_data(form)["form"] == "objection"
    assert f"Objection #{objection_id} · Acme Robotics · step 1 of 7" in seen(form)
    assert "Who raised it, and how" in seen(form)
    assert card_of(form)["actions"][0]["title"] == "Next"

    card = "objection-card-1"
    kind = await submit(world, form, CLASSIFY, card_id=card)
    assert "step 2 of 7" in seen(kind)
    assert "My read: Legitimate" in seen(kind)
    assert "because they backed it with data and they make the decision" in seen(kind)
    assert values_of(kind) == {"kind": "legitimate"}  # the proposal, pre-selected

    validate = await submit(world, kind, {"kind": "legitimate"}, card_id=card)
    assert "Validate the concern" in seen(validate)
    assert "Objection: validate the concern" in seen(validate)  # its talk track
    assert "How did they take it? (optional)" in seen(validate)

    clarify = await submit(world, validate, {"reaction": ""}, card_id=card)
    assert inputs(clarify) == ["restatement", "client_confirmed"]
    ask = await submit(world, clarify, CLARIFY, card_id=card)
    assert inputs(ask) == ["answer_1", "answer_2", "answer_3"]
    assert "Which report or data source are you looking at?" in seen(ask)

    escalate = await submit(world, ask, ASK, card_id=card)
    assert "I'll send Lena Lead this, with a button back here" in seen(escalate)
    assert "The GA4 acquisition report" in seen(escalate)  # what the sponsor will read
    lena_before = len(dms_to(world, LENA_T))
    resolve = await submit(world, escalate, ESCALATE, card_id=card)
    assert "step 7 of 7" in seen(resolve) and inputs(resolve) == ["outcome", "agreement"]
    assert "Lena Lead (exec sponsor) has been told: a DM is on its way" in seen(resolve)
    assert "Added 5 follow-ups to the Acme Robotics checklist" in seen(resolve)

    # The sponsor's DM, through the outbox, with a way back to the walkthrough.
    dms = await world.connector.wait_for(lambda: dms_to(world, LENA_T)[lena_before:])
    dm = dms[0]
    assert "Alice Archer needs you on an objection at Acme Robotics" in seen(dm)
    assert "you are its exec sponsor" in seen(dm)
    assert "Cost per lead doubled since September" in seen(dm)
    assert "Deploy the change with urgency (due Wed 11 Mar)" in seen(dm)
    assert buttons(dm) == {"Open the walkthrough": f"objection resume {objection_id}"}
    pressed = world.send.card_submit(
        {"cmd": f"objection resume {objection_id}"}, card_id="dm-1", user=LENA_T
    )
    opened = await post(world, pressed, LENA_T)
    assert opened.kind in ("send", "reply")  # a new card: the DM stays
    assert "step 7 of 7" in seen(opened.body) and inputs(opened.body) == ["outcome", "agreement"]

    # The checklist has the follow-ups, with owners and due dates; one is ticked by its button.
    checklist = await say(world, "playbook acme robotics")
    text = seen(checklist)
    for title, (owner, due) in FOLLOW_UPS.items():
        assert f"{title} · {owner} · due {due}" in text
    tick = f"tick #{account} objection-{objection_id}-data-access"
    assert ("Tick", tick) in commands(checklist)
    ticked = await post(
        world, world.send.card_submit({"cmd": tick}, card_id="cl-1", user=ALICE_T), ALICE_T
    )
    assert ticked.kind == "update" and ticked.activity_id == "cl-1"
    assert "✅ Get access to the data the client cites · Alice Archer · done by Alice Archer" in (
        seen(ticked.body)
    )
    async with world.db.read_only() as session:
        tasks = (
            await session.scalars(
                select(AccountTask).where(AccountTask.objection_id == objection_id)
            )
        ).all()
    assert len(tasks) == 5 and [t.step_id for t in tasks if t.done_at] == [
        f"objection-{objection_id}-data-access"
    ]

    # Before resolution the account's status lists the objection with a Resume button.
    status = await say(world, "status acme robotics")
    assert f"#{objection_id} · Cost per lead doubled since September" in seen(status)
    assert "step 7/7 Resolve it" in seen(status)
    assert ("Resume", f"objection resume {objection_id}") in commands(status)
    assert facts_of(status)["Open objections"] == "1"

    closed = await submit(world, resolve, RESOLVE, card_id=card)
    assert f"Objection #{objection_id} · Acme Robotics: closed (resolved)" in seen(closed)
    assert "Rebuild the target list together" in seen(closed)
    assert inputs(closed) == []
    found = await load(world, objection_id)
    assert found.status is ObjectionStatus.RESOLVED and found.kind == "legitimate"
    assert await steps_recorded(world, objection_id) == 7
    # The sponsor's copy of the last step, sent after the AM closed it, changes nothing.
    late = await submit(world, opened.body, RESOLVE, card_id="lena-form", user=LENA_T)
    assert "That step was already saved" in seen(late) and "closed (resolved)" in seen(late)
    assert await steps_recorded(world, objection_id) == 7

    status = await say(world, "status acme robotics")
    assert facts_of(status)["Open objections"] == "0"
    assert "Resume" not in buttons(status)
    assert len(dms_to(world, LENA_T)) == lena_before + 1  # once per escalation
    async with world.db.read_only() as session:
        queued = await session.scalar(
            select(func.count()).where(
                OutboxMessage.idempotency_key == f"objection:{objection_id}:escalated"
            )
        )
    assert queued == 1


async def walk(
    world: TeamsWorld, account: str, answers: list[dict[str, Any]], *, card_id: str
) -> tuple[int, dict[str, Any]]:
    """Start an objection and submit `answers` step by step: its id and the card it is at."""
    form = await start(world, account)
    for typed in answers:
        form = await submit(world, form, typed, card_id=card_id)
    return form_data(form)["objection_id"], form


async def test_a_phantom_objection_asks_other_questions_and_adds_no_follow_ups(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    await say(world, "hi", LENA_T)
    objection_id, kind = await walk(world, "acme logistics", [PHANTOM_CLASSIFY], card_id="ph-1")
    assert "My read: Phantom" in seen(kind) and "they gave no data for it" in seen(kind)
    assert values_of(kind) == {"kind": "phantom"}
    form = kind
    for typed in ({"kind": "phantom"}, {"reaction": "Calmer"}, CLARIFY):
        form = await submit(world, form, typed, card_id="ph-1")
    assert inputs(form) == ["answer_1", "answer_2", "answer_3"]
    assert "What worries you most about this, really?" in seen(form)
    assert "Which report or data source are you looking at?" not in seen(form)
    lena_before = len(dms_to(world, LENA_T))
    form = await submit(
        world, form, {"answer_1": "", "answer_2": "", "answer_3": "A QBR"}, card_id="ph-1"
    )
    assert "I'll send Lena Lead this" in seen(form)
    assert facts_of(form)["What would you need to see to feel good about it again?"] == "A QBR"
    form = await submit(world, form, {"note": ""}, card_id="ph-1")
    assert "Lena Lead (team lead) has been told" in seen(form)
    assert "Added" not in seen(form) and "checklist" not in seen(form)
    dm = (await world.connector.wait_for(lambda: dms_to(world, LENA_T)[lena_before:]))[0]
    assert "needs you on an objection at Acme Logistics (as their team lead)" in seen(dm)
    assert "Follow-ups" not in seen(dm)
    closed = await submit(
        world, form, {"outcome": "lost", "agreement": "They are leaving"}, card_id="ph-1"
    )
    assert "closed (lost)" in seen(closed)
    async with world.db.read_only() as session:
        tasks = await session.scalar(
            select(func.count()).where(AccountTask.objection_id == objection_id)
        )
    assert tasks == 0
    found = await load(world, objection_id)
    assert found.kind == "phantom" and found.status is ObjectionStatus.RESOLVED
    assert found.answers == [
        {"question": "What would you need to see to feel good about it again?", "answer": "A QBR"}
    ]
    assert len(dms_to(world, LENA_T)) == lena_before + 1


def error_under(card_activity: dict[str, Any], input_id: str) -> str:
    """The error shown right under an input (empty if none)."""
    body = card_of(card_activity)["body"]
    index = next(n for n, e in enumerate(body) if e.get("id") == input_id)
    after = body[index + 1] if index + 1 < len(body) else {}
    return shown(str(after.get("text", ""))) if after.get("color") == "Attention" else ""


VALID = {
    "classify": CLASSIFY,
    "kind": {"kind": "legitimate"},
    "validate": {"reaction": ""},
    "clarify": CLARIFY,
    "ask": ASK,
    "escalate": ESCALATE,
    "resolve": RESOLVE,
}
# step -> what is typed wrong, the input it is wrong in, what the card says
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("classify", {**CLASSIFY, "contact_name": "  "}, "contact_name", "Please fill this in."),
    (
        "classify",
        {**CLASSIFY, "decision_maker": "maybe"},
        "decision_maker",
        "“maybe” is not a choice. Choose one of “Yes",
    ),
    ("classify", {**CLASSIFY, "summary": "x" * 201}, "summary", "(it has 201)"),
    ("kind", {"kind": "bogus"}, "kind", "Choose one of “Legitimate: backed by data"),
    ("validate", {"reaction": "y" * 501}, "reaction", "Keep it to 500 characters (it has 501)"),
    ("clarify", {**CLARIFY, "restatement": ""}, "restatement", "Please fill this in."),
    ("ask", {"answer_1": "", "answer_2": " ", "answer_3": ""}, "answer_1", "at least one"),
    ("escalate", {"note": "z" * 501}, "note", "Keep it to 500 characters (it has 501)"),
    (
        "resolve",
        {**RESOLVE, "outcome": ""},
        "outcome",
        "Choose one of “Resolved”, “Escalated further” or “Lost”.",
    ),
]


async def test_invalid_input_in_each_step_brings_the_card_back_with_the_error_and_what_was_typed(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    form = await start(world, "tickbox")
    objection_id = form_data(form)["objection_id"]
    for step in VALID:
        for _, typed, field, error in [case for case in INVALID if case[0] == step]:
            before = await load(world, objection_id)
            recorded = await steps_recorded(world, objection_id)
            again = await submit(world, form, typed, card_id="bad-1")
            assert form_data(again) == form_data(form), "the same step again"
            assert "Please fix what is marked below" in seen(again)
            assert error in error_under(again, field), (step, field, seen(again))
            kept = values_of(again)
            for other, value in typed.items():
                if other != field and value.strip():
                    assert kept[other] == value, (step, other)
            if field in ("summary", "reaction", "note"):  # too long: kept to shorten
                assert kept[field] == typed[field]
            if field in ("decision_maker", "kind"):  # not one of the choices: none chosen
                assert kept[field] is None
            assert await steps_recorded(world, objection_id) == recorded
            after = await load(world, objection_id)
            assert (after.status, after.current_step, after.version) == (
                before.status,
                before.current_step,
                before.version,
            )
            form = again
        form = await submit(world, form, VALID[step], card_id="bad-1")
        assert "Please fix" not in seen(form)
    assert "closed (resolved)" in seen(form)
    assert await steps_recorded(world, objection_id) == len(VALID)


async def test_someone_elses_objection_is_answered_as_if_it_did_not_exist(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    bob_form = await start(world, "initech", BOB_T)
    bobs = form_data(bob_form)["objection_id"]
    await submit(world, bob_form, CLASSIFY, card_id="bob-1", user=BOB_T)
    alices, _ = await walk(world, "recap co", [CLASSIFY], card_id="alice-9")
    assert await steps_recorded(world, bobs) == 1
    updates = len(world.connector.calls_to("update"))
    for forged in (bobs, 999_999):
        data = {"form": "objection", "objection_id": forged, "step": "kind"}
        activity = world.send.card_submit(
            data, card_id="alice-9", user=ALICE_T, inputs=VALID["kind"]
        )
        call = await post(world, activity, ALICE_T)
        assert call.kind in ("send", "reply"), "an error never replaces the form"
        assert f"There is no objection #{forged} you can see." in seen(call.body)
    for broken in ("1", True, None):
        data = {"form": "objection", "objection_id": broken, "step": "kind"}
        activity = world.send.card_submit(
            data, card_id="alice-9", user=ALICE_T, inputs=VALID["kind"]
        )
        call = await post(world, activity, ALICE_T)
        assert "This form has expired" in seen(call.body)
    assert len(world.connector.calls_to("update")) == updates
    assert await steps_recorded(world, bobs) == 1
    assert (await load(world, bobs)).kind is None

    refused = await say(world, f"account objection resume {alices}", BOB_T)
    assert f"There is no objection #{alices} you can see." in seen(refused)
    assert inputs(refused) == []
    # A teammate reads it, but only its AM, their lead or the sponsor works on it.
    read_only = await say(world, f"account objection resume {alices}", EVE_T)
    assert "at step 2 of 7 (What kind of objection is it?)" in seen(read_only)
    assert inputs(read_only) == []
    data = {"form": "objection", "objection_id": alices, "step": "kind"}
    activity = world.send.card_submit(data, card_id="eve-1", user=EVE_T, inputs=VALID["kind"])
    call = await post(world, activity, EVE_T)
    assert "Only the account's AM, their team lead or its exec sponsor" in seen(call.body)
    assert await steps_recorded(world, alices) == 1


@asynccontextmanager
async def restarted(world: TeamsWorld) -> AsyncIterator[TeamsSender]:
    """A second accountbot on the same database, as after a restart: a sender to it."""
    app = build_app(teams_settings(world.db.url), clock=lambda: NOW)
    runner, base_url = await start_server(app.web)
    try:
        ids = itertools.count(100_000)  # activity ids the first sender never used
        yield TeamsSender(f"{base_url}/api/messages", world.connector, world.http, _ids=ids)
    finally:
        await runner.cleanup()


async def test_a_submit_delivered_twice_records_one_step_and_is_answered_once_even_after_a_restart(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    objection_id, kind = await walk(world, "nearly done", [CLASSIFY], card_id="twice-1")
    data = form_data(kind)
    activity = world.send.card_submit(data, card_id="twice-1", user=ALICE_T, inputs=VALID["kind"])
    validate = await post(world, activity, ALICE_T)
    assert "Validate the concern" in seen(validate.body)
    answered = len(answers_in(world, ALICE_T))
    status, _ = await world.send.post(activity)  # Teams delivers it again
    assert status == 200
    assert len(answers_in(world, ALICE_T)) == answered
    assert await steps_recorded(world, objection_id) == 2

    async with restarted(world) as fresh:
        status, _ = await fresh.post(activity)  # again, to a process that never saw it
        assert status == 200
        assert len(answers_in(world, ALICE_T)) == answered
        assert await steps_recorded(world, objection_id) == 2
        assert (await load(world, objection_id)).current_step.value == "validate"

        resumed = await say(world, f"account objection resume {objection_id}", via=fresh)
        assert f"Objection #{objection_id} · Nearly Done Inc · step 3 of 7" in seen(resumed)
        assert inputs(resumed) == ["reaction"]
        listed = await say(world, "account objections", via=fresh)
        assert ("Resume", f"objection resume {objection_id}") in commands(listed)
        goes_on = fresh.card_submit(
            form_data(resumed), card_id="fresh-1", user=ALICE_T, inputs={"reaction": "Fine"}
        )
        clarify = await post(world, goes_on, ALICE_T, fresh)
        assert clarify.activity_id == "fresh-1" and inputs(clarify.body) == [
            "restatement",
            "client_confirmed",
        ]
    assert await steps_recorded(world, objection_id) == 3


async def test_objections_lists_the_open_ones_with_their_step_and_a_resume_button(
    teams_world: TeamsWorld,
) -> None:
    world = teams_world
    objection_id, _ = await walk(world, "acme logistics", [PHANTOM_CLASSIFY], card_id="ls-1")
    listed = await say(world, "account objections acme logistics")
    text = seen(listed)
    assert "Open objections for Acme Logistics (1), oldest first" in text
    assert f"#{objection_id} · It just doesn't feel like it's working" in text
    assert "open · step 2/7 What kind of objection is it?" in text and "AM Alice Archer" in text
    assert ("Resume", f"objection resume {objection_id}") in commands(listed)
    everyone = await say(world, "account objections")
    assert f"#{objection_id} Acme Logistics · It just doesn't" in seen(everyone)
    home = await say(world, "home")
    assert ("Resume", f"objection resume {objection_id}") in commands(home)

    pressed = world.send.card_submit(
        {"cmd": f"objection resume {objection_id}"}, card_id="ls-card", user=ALICE_T
    )
    form = await post(world, pressed, ALICE_T)
    assert form.kind in ("send", "reply"), "the list stays; the form is a new card"
    assert form_data(form.body) == {
        "form": "objection",
        "objection_id": objection_id,
        "step": "kind",
    }
    none = await say(world, "account objections tickbox")
    assert "No open objections for Tickbox Ltd" in seen(none)
