"""A realistic, generated book of accounts for the demo, the benchmarks and tests.

``seed_demo_book`` fills an empty (migrated) database with ``3 × scale`` teams in different
timezones, their leads and account managers, one head and one ops person, 8–12 accounts per
AM across every lifecycle stage (and a few churned), with contracts, ten weeks of meetings and
recaps, upsells, satisfaction signals, deliverables, ticked playbook steps and objections.

The same ``seed`` and ``now`` always give the same book. Everything is dated relative to
``now``, with edges the nudges and KPIs should show: meetings without a recap in the last two
weeks, renewals due in 7, 14 and 30 days, onboarding past 8 days, overdue playbook steps.
Rows go in with bulk inserts, so ``scale=20`` (60 teams, ~3,000 accounts) takes seconds.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.accounts import AccountPlan, plan_book
from bot.demo.activity import (
    clear_recap,
    deliverable_rows,
    meeting_rows,
    signal_rows,
    step_rows,
    upsell_rows,
)
from bot.demo.inserts import insert, insert_ids
from bot.demo.names import (
    ESCAPING_EXAMPLE,
    TIMEZONES,
    person_names,
    team_names,
)
from bot.demo.objections import seed_objections
from bot.playbooks import PlaybookLibrary, load_playbooks
from storage.catalog import bump_catalog
from storage.keys import name_key
from storage.models import (
    Account,
    Contract,
    Deliverable,
    Meeting,
    Role,
    SatisfactionSignal,
    Seniority,
    Stage,
    StepCompletion,
    Team,
    Upsell,
    User,
)

Row = dict[str, Any]
TEAMS_PER_SCALE = 3
AMS_PER_TEAM = 5


@dataclass(frozen=True, slots=True)
class DemoBook:
    """What was seeded: row counts, and people and accounts to point a demo or test at.

    ``accounts_by_stage`` counts live accounts (churned ones: ``churned_accounts``). ``lead_*``
    leads the first team, whose AM ``am_*`` owns ``example_account`` and the hand-picked names
    (including ``escaping_example``). Leads own no accounts: their nudges come to the AMs."""

    seed: int
    scale: int
    teams: int
    users: int
    accounts: int
    accounts_by_stage: dict[str, int]
    churned_accounts: int
    contracts: int
    meetings: int
    upsells: int
    satisfaction_signals: int
    deliverables: int
    step_completions: int
    objections: int
    team_names: tuple[str, ...]
    head_id: int
    head_email: str
    ops_id: int
    ops_email: str
    lead_id: int
    lead_email: str
    am_id: int
    am_email: str
    example_account: str
    escaping_example: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["team_names"] = list(self.team_names)
        return data


@dataclass(slots=True)
class _Org:
    team_ids: list[int]
    zones: list[ZoneInfo]
    head: tuple[int, str]
    ops: tuple[int, str]
    leads: list[tuple[int, str]]
    ams: list[list[tuple[int, str]]]


async def _seed_org(
    session: AsyncSession, rng: random.Random, now: datetime, team_count: int
) -> tuple[_Org, list[str]]:
    created = now - timedelta(days=400)
    names = team_names(team_count)
    team_rows = [
        {
            "name": name,
            "name_key": name_key(name),
            "slack_channel_id": f"C0DEMO{index + 1:03d}",
            "timezone": TIMEZONES[index % len(TIMEZONES)],
            "created_at": created,
        }
        for index, name in enumerate(names)
    ]
    team_ids = await insert_ids(session, Team, team_rows)
    people = person_names(rng)
    user_rows: list[Row] = []

    def person(role: Role, seniority: Seniority | None, team_id: int | None) -> None:
        name, email = next(people)
        user_rows.append(
            {
                "email": email,
                "name": name,
                "role": role,
                "seniority": seniority,
                "team_id": team_id,
                "timezone": None if team_id else "Europe/London",
                "slack_user_id": f"U0DEMO{len(user_rows) + 1:04d}",
                "created_at": created,
            }
        )

    person(Role.HEAD, Seniority.SENIOR, None)
    person(Role.OPS, None, None)
    levels = list(Seniority)
    for team_id in team_ids:
        person(Role.LEAD, Seniority.SENIOR, team_id)
        extra = rng.choices(levels, k=AMS_PER_TEAM - len(levels))
        for seniority in sorted([*levels, *extra], key=levels.index):
            person(Role.AM, seniority, team_id)
    ids = await insert_ids(session, User, user_rows)
    who = [(user_id, row["email"]) for user_id, row in zip(ids, user_rows, strict=True)]
    per_team = 1 + AMS_PER_TEAM
    teams = [who[2 + i * per_team : 2 + (i + 1) * per_team] for i in range(team_count)]
    org = _Org(
        team_ids=team_ids,
        zones=[ZoneInfo(TIMEZONES[i % len(TIMEZONES)]) for i in range(team_count)],
        head=who[0],
        ops=who[1],
        leads=[members[0] for members in teams],
        ams=[members[1:] for members in teams],
    )
    return org, names


def _activity_rows(
    rng: random.Random, org: _Org, plans: list[AccountPlan], now: datetime, lib: PlaybookLibrary
) -> dict[Any, list[Row]]:
    rows: dict[Any, list[Row]] = {
        model: [] for model in (Contract, Meeting, Upsell, SatisfactionSignal, Deliverable)
    }
    rows[StepCompletion] = []
    overdue_left = [False] * len(org.team_ids)
    recent: list[list[Row]] = [[] for _ in org.team_ids]  # meetings a missed recap could be
    for plan in plans:
        team = plan.seat.team
        people = {"ops": org.ops[0], "lead": org.leads[team][0], "head": org.head[0]}
        rows[Contract] += plan.contract_rows(rng, now)
        meetings = meeting_rows(rng, plan, now)
        rows[Meeting] += meetings
        if plan.active:
            window = (now - timedelta(days=13), now - timedelta(hours=26))
            recent[team] += [m for m in meetings if window[0] <= m["occurred_at"] <= window[1]]
        rows[Upsell] += upsell_rows(rng, plan)
        rows[SatisfactionSignal] += signal_rows(rng, plan)
        rows[Deliverable] += deliverable_rows(rng, plan)
        ticks, left = step_rows(
            rng, plan, now, lib, people, leave_one_overdue=not overdue_left[team]
        )
        rows[StepCompletion] += ticks
        overdue_left[team] = overdue_left[team] or left
    for meetings in recent:
        if meetings and all(m["recap_logged_at"] is not None for m in meetings):
            clear_recap(max(meetings, key=lambda m: m["occurred_at"]))
    return rows


async def seed_demo_book(
    session: AsyncSession, *, now: datetime, seed: int = 7, scale: int = 1
) -> DemoBook:
    """Insert a generated book into an empty database (the caller commits)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    rng = random.Random(seed)
    org, names = await _seed_org(session, rng, now, TEAMS_PER_SCALE * scale)
    plans = plan_book(
        rng,
        now,
        zones=org.zones,
        lead_ids=[lead_id for lead_id, _ in org.leads],
        am_ids=[[am_id for am_id, _ in ams] for ams in org.ams],
        head_id=org.head[0],
    )
    account_ids = await insert_ids(session, Account, [p.account_row(now) for p in plans])
    for plan, account_id in zip(plans, account_ids, strict=True):
        plan.id = account_id
    library = load_playbooks()
    rows = _activity_rows(rng, org, plans, now, library)
    for model, model_rows in rows.items():
        await insert(session, model, model_rows)
    objections = await seed_objections(session, rng, plans, now, library)
    await bump_catalog(session)
    await session.flush()
    stages = Counter(plan.stage.value for plan in plans if plan.active)
    first_am = org.ams[0][0]
    return DemoBook(
        seed=seed,
        scale=scale,
        teams=len(org.team_ids),
        users=2 + len(org.team_ids) * (1 + AMS_PER_TEAM),
        accounts=len(plans),
        accounts_by_stage={stage.value: stages[stage.value] for stage in Stage},
        churned_accounts=sum(1 for plan in plans if not plan.active),
        contracts=len(rows[Contract]),
        meetings=len(rows[Meeting]),
        upsells=len(rows[Upsell]),
        satisfaction_signals=len(rows[SatisfactionSignal]),
        deliverables=len(rows[Deliverable]),
        step_completions=len(rows[StepCompletion]),
        objections=objections,
        team_names=tuple(names),
        head_id=org.head[0],
        head_email=org.head[1],
        ops_id=org.ops[0],
        ops_email=org.ops[1],
        lead_id=org.leads[0][0],
        lead_email=org.leads[0][1],
        am_id=first_am[0],
        am_email=first_am[1],
        example_account=plans[0].name,
        escaping_example=ESCAPING_EXAMPLE,
    )
