"""The objection walkthrough in the demo console, scripted on stdin, on a real SQLite file."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.playbooks import load_playbooks
from storage.db import Database
from storage.models import AccountTask, Objection, ObjectionStatus, ObjectionStep
from tests.integration.console_fixtures import Run

WALK = load_playbooks().walk
LEGITIMATE = [
    "objection acme robotics",
    "Priya Shah",  # who raised it
    "1",  # decides: yes
    "yes",  # backed by data
    "3",  # by email
    "Cost per lead doubled since September",
    "",  # keep the proposed kind
    "They were relieved to be heard",
    "So costs doubled and you need them under 80",
    "1",  # confirmed
    "HubSpot attribution report",
    "Q3 against Q2",
    "",
    "Please join Thursday",
    "resolved",
    "Rebuild the list, review in two weeks",
]
PHANTOM = [
    "objection acme robotics",
    "Owen Fletcher",
    "no",
    "No, it's a feeling or an impression",  # a choice by its label
    "call",
    "Their new VP doubts outbound works",
    "",
    "",
    "So you doubt it works in your market",
    "no",
    "A board member's remark",
    "",
    "",
    "",
    "lost",
    "They cancel in May",
]


async def _objections(db: Database) -> list[Objection]:
    async with db.read_only() as session:
        return list((await session.scalars(select(Objection).order_by(Objection.id))).all())


async def _count(db: Database, model: type, *where: object) -> int:
    async with db.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_legitimate_objection_is_walked_to_resolution_from_the_prompts(
    sqlite_db: Database, run: Run
) -> None:
    out = await run("ann", "\n".join([*LEGITIMATE, "playbook acme robotics", "quit"]))
    assert "step 1 of 7: Who raised it, and how" in out
    assert "move it to a call" in out  # raised by email
    assert "My read: Legitimate, because they backed it with data" in out
    for question in WALK.step("ask").questions["legitimate"]:
        assert question in out
    assert "Acme Robotics has no exec sponsor" not in out  # Lea, the team lead, is told
    assert "(In Slack or Teams, Lea Lead gets this DM:)" in out
    assert "Ann Smith needs you on an objection at Acme Robotics (as their team lead)" in out
    assert "closed (resolved) after less than a minute" in out
    for follow_up in WALK.follow_ups:
        assert follow_up.title in out  # on the checklist
    assert "Follow-ups (they don't hold up the stage):" in out
    [found] = await _objections(sqlite_db)
    assert (found.status, found.kind, found.contact_name, found.channel) == (
        ObjectionStatus.RESOLVED,
        "legitimate",
        "Priya Shah",
        "email",
    )
    assert found.answers == [
        {
            "question": WALK.step("ask").questions["legitimate"][0],
            "answer": "HubSpot attribution report",
        },
        {"question": WALK.step("ask").questions["legitimate"][1], "answer": "Q3 against Q2"},
    ]
    assert await _count(sqlite_db, AccountTask, AccountTask.objection_id == found.id) == 5


async def test_a_phantom_objection_is_walked_with_its_own_questions(
    sqlite_db: Database, run: Run
) -> None:
    out = await run("ann", "\n".join(PHANTOM))
    assert "My read: Phantom, because they gave no data for it" in out
    assert "move it to a call" not in out
    for question in WALK.step("ask").questions["phantom"]:
        assert question in out
    assert "closed (lost)" in out
    [found] = await _objections(sqlite_db)
    assert (found.kind, found.outcome, found.client_confirmed) == ("phantom", "lost", False)
    assert await _count(sqlite_db, AccountTask) == 0


async def test_wrong_answers_are_explained_and_asked_again(sqlite_db: Database, run: Run) -> None:
    script = [
        "objection acme robotics",
        "",  # nobody named
        "1",
        "1",
        "fax",  # not a channel
        "x" * 201,
        # asked again
        "Priya Shah",
        "1",
        "1",
        "1",
        "Costs doubled",
    ]
    out = await run("ann", "\n".join(script))
    assert "Please fix:" in out
    assert "Who raised it?: Please fill this in." in out
    assert (
        "Where did it come up?: “fax” is not a choice. "
        "Choose one of “On a call”, “In a meeting” or “By email”." in out
    )
    assert "The objection in one line: Keep it to 200 characters (it has 201)." in out
    assert "step 2 of 7: What kind of objection is it?" in out
    [found] = await _objections(sqlite_db)
    assert found.contact_name == "Priya Shah"


async def test_asked_again_enter_keeps_what_was_typed_and_a_wrong_choice_is_not_offered(
    sqlite_db: Database, run: Run
) -> None:
    script = [
        "objection acme robotics",
        "Priya Shah",
        "maybe",  # not a choice
        "1",
        "1",
        "",  # the one line missing
        # asked again: Enter keeps Priya Shah and the choices made; the wrong one is asked for
        "",
        "2",
        "",
        "",
        "Costs doubled",
    ]
    out = await run("ann", "\n".join(script))
    again = out.split("Please fix:")[1]
    assert "Who raised it? [Priya Shah]: " in again
    assert "Do they make the decision?: " in again and "[maybe]" not in again
    assert "Did they back it with data? [Yes, a report, numbers or a source]: " in again
    assert "step 2 of 7" in again
    [found] = await _objections(sqlite_db)
    assert (found.contact_name, found.decision_maker, found.channel) == (
        "Priya Shah",
        False,
        "call",
    )


async def test_end_of_input_stops_the_walk_and_keeps_what_was_saved(
    sqlite_db: Database, run: Run
) -> None:
    out = await run("ann", "\n".join(LEGITIMATE[:9]))  # stops inside the clarify step
    assert "Stopped at step 4 of 7. What you saved is kept: `objection resume 1`" in out
    [found] = await _objections(sqlite_db)
    assert found.status is ObjectionStatus.OPEN
    assert await _count(sqlite_db, ObjectionStep) == 3  # classify, kind, validate

    resumed = await run("lea", "objection resume 1\nSo costs doubled\nyes\nquit")
    assert "step 4 of 7: Clarify it in their words" in resumed  # the lead picks it up
    assert "step 5 of 7: Ask questions" in resumed
    assert await _count(sqlite_db, ObjectionStep) == 4


async def test_end_of_input_before_anything_was_saved_leaves_nothing_behind(
    sqlite_db: Database, run: Run
) -> None:
    out = await run("ann", "objection acme robotics\nPriya")
    assert "Objection stopped; nothing was saved." in out
    assert await _objections(sqlite_db) == []


async def test_a_new_walkthrough_names_the_objections_already_open_on_the_account(
    sqlite_db: Database, run: Run
) -> None:
    first = await run("ann", "\n".join(LEGITIMATE[:9]))  # left open at step 4
    assert "step 1 of 7" in first and "Already open" not in first
    again = await run("ann", "objection acme robotics")
    assert (
        "Already open on Acme Robotics: #1 “Cost per lead doubled since September” at step 4/7 "
        "(`objection resume 1` carries it on). Go on here for a new one." in again
    )
