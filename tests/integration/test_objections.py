"""The objection walkthrough's rules, on SQLite and PostgreSQL: who may see and work on one,
one step saved once even when submitted twice at the same moment, follow-ups on the checklist,
and the nudge about an objection left open too long."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.errors import UserError
from bot.handlers.base import CommandContext, Reply
from bot.handlers.objections import list_objections, objection, resume, submit_step
from bot.handlers.playbook import tick
from bot.services.container import Services
from bot.services.daily import daily_nudges
from bot.services.objections.lists import live_objections
from storage.db import Database
from storage.models import AccountTask, ObjectionStep, Role, User
from tests.integration.builders import make_account, make_team, make_user
from tests.integration.test_daily_nudges import services_for

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
FACTS = {
    "contact_name": "Priya Shah",
    "decision_maker": "yes",
    "backed_by_data": "yes",
    "channel": "call",
    "summary": "Cost per lead doubled",
}


async def _seed(db: Database) -> dict[str, int]:
    async with db.unit_of_work() as session:
        atlas = await make_team(session, name="Atlas", timezone="Pacific/Auckland")
        borealis = await make_team(session, name="Borealis")
        ann = await make_user(session, team=atlas, name="Ann Smith", email="ann@example.com")
        amy = await make_user(session, team=atlas, name="Amy Mate", email="amy@example.com")
        lea = await make_user(
            session, team=atlas, name="Lea Lead", email="lea@example.com", role=Role.LEAD
        )
        sam = await make_user(
            session, team=borealis, name="Sam Sponsor", email="sam@example.com", role=Role.LEAD
        )
        bob = await make_user(session, team=borealis, name="Bob Baker", email="bob@example.com")
        acme = await make_account(session, owner=ann, name="Acme Robotics", exec_sponsor=sam)
    return {
        "ann": ann.id,
        "amy": amy.id,
        "lea": lea.id,
        "sam": sam.id,
        "bob": bob.id,
        "acme": acme.id,
    }


class World:
    def __init__(self, db: Database, people: dict[str, int], clock: list[datetime]) -> None:
        self.db = db
        self.people = people
        self.clock = clock
        self.services: Services = services_for(db, lambda: clock[0])

    async def ctx(self, who: str, once_key: str | None = None) -> CommandContext:
        async with self.db.read_only() as session:
            actor = await session.get(User, self.people[who])
        assert actor is not None
        return CommandContext(self.services, actor, self.clock[0], once_key=once_key)

    async def start(self, who: str = "ann") -> int:
        reply = await objection(await self.ctx(who), "acme robotics")
        return int(reply.data["screen"].objection.id)

    async def step(self, who: str, objection_id: int, step: str, values: dict[str, Any]) -> Reply:
        return await submit_step(await self.ctx(who), objection_id, step, values)

    async def steps(self, objection_id: int) -> int:
        async with self.db.read_only() as session:
            count = await session.scalar(
                select(func.count(ObjectionStep.id)).where(
                    ObjectionStep.objection_id == objection_id
                )
            )
        return int(count or 0)


@pytest.fixture
async def world(db: Database) -> World:
    return World(db, await _seed(db), [NOW])


async def walk(world: World, objection_id: int, until: str, who: str = "ann") -> None:
    answers: dict[str, dict[str, Any]] = {
        "classify": FACTS,
        "kind": {"kind": "legitimate"},
        "validate": {},
        "clarify": {"restatement": "So costs doubled", "client_confirmed": "yes"},
        "ask": {"answer_1": "The CRM report"},
        "escalate": {},
        "resolve": {"outcome": "resolved", "agreement": "A new list"},
    }
    for step in answers:
        if step == until:
            return
        reply = await world.step(who, objection_id, step, answers[step])
        assert not getattr(reply.data.get("screen"), "errors", None), reply.data


async def test_the_same_step_submitted_twice_at_once_is_saved_once(world: World) -> None:
    objection_id = await world.start()
    first, second = await asyncio.gather(
        world.step("ann", objection_id, "classify", FACTS),
        world.step("ann", objection_id, "classify", {**FACTS, "contact_name": "Someone Else"}),
    )
    assert await world.steps(objection_id) == 1
    notices = [r.data.get("notice") for r in (first, second)]
    assert notices.count(None) == 1 and "That step was already saved" in str(notices)
    assert {r.data["screen"].step.id for r in (first, second)} == {"kind"}


async def test_who_may_see_and_work_on_an_objection(world: World) -> None:
    objection_id = await world.start()
    await walk(world, objection_id, "validate")
    teammate = await resume(await world.ctx("amy"), str(objection_id))
    assert teammate.template == "objection_summary"  # the team reads it
    with pytest.raises(UserError, match="Only the account's AM, their team lead or its exec"):
        await world.step("amy", objection_id, "validate", {})
    with pytest.raises(UserError, match=f"There is no objection #{objection_id} you can see"):
        await resume(await world.ctx("bob"), str(objection_id))
    for who in ("lea", "sam"):  # the lead, and the exec sponsor from another team
        reply = await resume(await world.ctx(who), str(objection_id))
        assert reply.template == "objection_form"
    await world.step("sam", objection_id, "validate", {"reaction": "Calmer"})
    assert await world.steps(objection_id) == 3


async def test_each_reader_lists_the_live_objections_they_may_see(world: World) -> None:
    objection_id = await world.start()
    await walk(world, objection_id, "validate")  # recorded: live, no longer a draft
    sees = {"ann": True, "amy": True, "lea": True, "sam": True, "bob": False}
    for who, expected in sees.items():  # the sponsor sam and bob are another team's
        for own_only in (False, True):  # `objections`, and an AM's App Home
            ctx = await world.ctx(who)
            async with world.db.read_only() as session:
                found = await live_objections(
                    session,
                    actor=ctx.actor,
                    walk=world.services.playbooks.walk,
                    now=ctx.now,
                    stale_days=3,
                    own_only=own_only,
                )
            listed = [item.id for item in found.items]
            visible = expected and not (own_only and who in ("amy", "lea"))
            assert listed == ([objection_id] if visible else []), (who, own_only)
            assert found.total == len(listed)


async def test_a_started_form_left_empty_is_reused_and_nobody_else_sees_it(world: World) -> None:
    first = await world.start()
    assert await world.start() == first  # the same empty draft
    with pytest.raises(UserError, match="There is no objection"):
        await resume(await world.ctx("lea"), str(first))  # a draft is its author's only
    listed = await list_objections(await world.ctx("ann"), "")
    assert listed.data["objections"] == []  # nothing recorded: not an objection yet


async def test_escalating_a_legitimate_objection_adds_follow_ups_with_owners_and_due_dates(
    world: World,
) -> None:
    objection_id = await world.start()
    await walk(world, objection_id, "resolve")
    async with world.db.read_only() as session:
        tasks = (
            await session.scalars(
                select(AccountTask).where(AccountTask.objection_id == objection_id)
            )
        ).all()
    by_id = {t.step_id.rsplit(f"objection-{objection_id}-", 1)[1]: t for t in tasks}
    auckland_today = date(2026, 3, 5)  # 15:00 UTC is already the 5th in Auckland
    assert {k: (t.due_on - auckland_today).days for k, t in by_id.items()} == {
        "data-access": 1,
        "sponsor-huddle": 2,
        "internal-huddle": 3,
        "present-recommendation": 5,
        "deploy": 7,
    }
    assert by_id["sponsor-huddle"].owner_id == world.people["sam"]
    assert by_id["deploy"].owner_id == world.people["ann"]

    with pytest.raises(UserError, match="change only your own accounts"):
        await tick(await world.ctx("amy"), f"acme robotics objection-{objection_id}-deploy")
    progress = await tick(await world.ctx("ann"), f"acme robotics objection-{objection_id}-deploy")
    follow_ups = {f.id: f for f in progress.data["progress"].follow_ups}
    assert follow_ups[f"objection-{objection_id}-deploy"].done
    assert progress.data["progress"].required_done == 0  # follow-ups never count as steps


async def test_an_objection_open_too_long_becomes_a_nudge_for_its_owner_once(world: World) -> None:
    objection_id = await world.start()
    await walk(world, objection_id, "validate")

    async def objection_nudges(days_later: float) -> list[Any]:
        as_of = NOW + timedelta(days=days_later)
        async with world.db.read_only() as session:
            found = await daily_nudges(
                session,
                as_of=as_of,
                settings=world.services.settings,
                rules=world.services.nudge_rules,
                playbooks=world.services.playbooks,
            )
        return [n for d in found for n in d.urgent if n.kind == "objection"]

    assert await objection_nudges(2.9) == []
    [nudge] = await objection_nudges(3.1)
    assert (nudge.user_id, nudge.key) == (world.people["ann"], f"objection:open:{objection_id}")
    assert nudge.detail["days_open"] == 3 and nudge.detail["summary"] == "Cost per lead doubled"

    world.clock[0] = NOW + timedelta(days=4)
    await world.step("ann", objection_id, "validate", {})
    for step, values in (
        ("clarify", {"restatement": "x", "client_confirmed": "no"}),
        ("ask", {"answer_2": "y"}),
        ("escalate", {}),
        ("resolve", {"outcome": "lost", "agreement": "z"}),
    ):
        await world.step("ann", objection_id, step, values)
    assert await objection_nudges(5) == []  # resolved
