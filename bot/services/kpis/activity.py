"""The KPIs of moments, counted in the team's time zone: meetings and their recaps, objections
still open, and playbook steps ticked late.

* Meetings held in the period (local midnight to local midnight), recapped in time: a recap
  logged within 24 hours of the meeting (exactly 24 hours still counts).

* Open objections at the end of a period's last day (in the team's time zone): opened before
  that moment and not resolved by then (no ``resolved_at`` and not marked resolved, or
  resolved later). Escalated: those of them whose status is ``escalated`` now (accountbot
  keeps no history of when an objection was escalated).
* Steps done late: required steps of the account's current-stage playbook first ticked
  within the period (counted for the current stage: ticked since the account entered it) on
  a day after their due day (stage-entry day + ``due_offset_days``, both days in the owner's
  time zone, the overdue-step nudge's rule), unless they fell due before accountbot knew the
  account. Ticks of a stage the account has since left are not counted.

Many teams in several time zones are counted together (`kpis.bound.Run`): open objections and
steps done late in one query each, each row placed in the periods of its person's team's zone
(`zone_bound`); meetings in one query per zone, whose periods' bounds are plain parameters: a
meeting row is tested against every period, and a CASE over the zones in each test cost SQLite
half again the time of a whole digest's eight weeks. The number of queries does not grow with
the number of teams.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.playbooks import PlaybookLibrary, PlaybookStep
from bot.services.kpis.bound import Bound, Run, ScopeKind, scope_kind
from bot.services.kpis.tally import (
    GroupBy,
    Tallies,
    account_keys,
    count_if,
    row_key,
    row_keys,
    store,
)
from bot.services.owners import Owner, OwnerTeam, owner_zone, with_owner
from bot.services.step_rules import before_accountbot, counts_for_current_stage, due_on
from bot.services.when import local_date_of
from storage.expressions import a_day_after, days_after, local_date, plus_days
from storage.models import (
    Account,
    Meeting,
    Objection,
    ObjectionStatus,
    StepCompletion,
    User,
)
from storage.zones import effective_zone_sql

Bounds = tuple[datetime, datetime]  # [first, after) in UTC


def bounds_of_team(run: Run) -> Callable[[int | None], Sequence[Bounds]]:
    """The bounds of each period for a person of a team: those of the team's zone."""
    if len(run.zones) == 1:
        only = run.zones[0][1]
        return lambda _team_id: only
    zone_of_team = {
        team_id: bounds for part, bounds in run.zones for team_id in part.team_ids or ()
    }
    return lambda team_id: zone_of_team[team_id] if team_id is not None else []


def zone_bound(bound: Bound, kind: ScopeKind, zones: int, index: int, side: int) -> Any:
    """The start (``side`` 0) or end (1) of period ``index`` for a row's person: in their
    team's zone, a CASE over the zones by team when the run has several (``User`` joined)."""
    if zones == 1:
        return bound.bound(0, index, side)
    return case(
        *(
            (User.team_id.in_(bound.zone_scope(kind, zone).teams()), bound.bound(zone, index, side))
            for zone in range(zones)
        ),
    )


@cache
def _meetings(periods: int, kind: ScopeKind, by: GroupBy) -> tuple[Select[Any], Bound]:
    """The meetings of one zone's part of the scope (the run's only zone)."""
    bound = Bound()
    in_time = Meeting.recap_logged_at <= a_day_after(Meeting.occurred_at)
    keys = row_keys(by, Meeting.am_id, Meeting.account_id)
    columns = []
    for index in range(periods):
        first, after = bound.bound(0, index, 0), bound.bound(0, index, 1)
        held = and_(Meeting.occurred_at >= first, Meeting.occurred_at < after)
        columns += [count_if(held), count_if(held & in_time)]
    query = (
        select(*keys, *columns)
        .where(
            bound.zone_scope(kind, 0).people(Meeting.am_id),
            Meeting.occurred_at >= bound.moment("earliest"),
            Meeting.occurred_at < bound.moment("latest"),
        )
        .group_by(*keys)
    )
    return query, bound


async def meetings(session: AsyncSession, run: Run, by: GroupBy, out: Tallies) -> None:
    """Meetings held in each period, and those recapped within 24 hours (exactly 24 hours
    still counts), counted in SQL: one query per time zone (a handful in any book), whose
    periods' bounds are parameters there, so many periods cost little."""
    query, bound = _meetings(len(run.periods), scope_kind(run.scope), by)
    for zone in run.zones:
        values = bound.values(Run(run.periods, run.scope, [zone]))
        rows = (await session.execute(query, values)).all()
        store(out, rows, ("meetings", "meetings_recapped_in_time"), by)


def open_at(moment: Any) -> ColumnElement[bool]:
    """An objection opened before ``moment`` and not resolved by then (a walkthrough started
    with nothing recorded yet is not an objection)."""
    return and_(
        Objection.status != ObjectionStatus.DRAFT,
        Objection.opened_at < moment,
        or_(
            and_(Objection.resolved_at.is_(None), Objection.status != ObjectionStatus.RESOLVED),
            Objection.resolved_at >= moment,
        ),
    )


def escalated_by(moment: Any) -> ColumnElement[bool]:
    """Escalated before ``moment``: by the walkthrough's escalated_at, else (objections recorded
    before walkthroughs kept it) by the status now."""
    return or_(
        Objection.escalated_at < moment,
        and_(Objection.escalated_at.is_(None), Objection.status == ObjectionStatus.ESCALATED),
    )


@cache
def _objections(
    periods: int, zones: int, kind: ScopeKind, by: GroupBy
) -> tuple[Select[Any], Bound]:
    bound = Bound()
    columns = []
    for index in range(periods):
        end = zone_bound(bound, kind, zones, index, 1)  # in the zone of the owner's team
        still_open = open_at(end)
        columns += [count_if(still_open), count_if(still_open & escalated_by(end))]
    keys = account_keys(by)
    query = (
        select(*keys, *columns)
        .select_from(Objection)
        .join(Account, Account.id == Objection.account_id)
        .join(User, User.id == Account.owner_id)
        .where(
            bound.scope(kind).people(Account.owner_id), Objection.opened_at < bound.moment("latest")
        )
        .group_by(*keys)
    )
    return query, bound


async def objections(session: AsyncSession, run: Run, by: GroupBy, out: Tallies) -> None:
    query, bound = _objections(len(run.periods), len(run.zones), scope_kind(run.scope), by)
    rows = (await session.execute(query, bound.values(run))).all()
    store(out, rows, ("open_objections", "escalated_objections"), by)


def _required_steps(playbooks: PlaybookLibrary) -> dict[tuple[str, str], PlaybookStep]:
    """(stage, step id) -> each required step of the playbooks."""
    return {
        (stage, step.id): step
        for stage, playbook in playbooks.playbooks.items()
        for step in playbook.required_steps
    }


# A tick this many days before its step's due offset is on time in any time zone (local days
# differ from UTC ones by under a day, and DST moves a wall clock by an hour or two).
_SURELY_ON_TIME_DAYS = 2


@lru_cache(maxsize=8)
def _late_by_offsets(offsets: tuple[tuple[tuple[str, str], int], ...]) -> ColumnElement[bool]:
    """The tick was made after its step's due day, in SQL, so on-time ticks are not shipped to
    Python (most are): first a coarse test an index range can serve (at least the offset less
    a margin after the stage was entered), then the rule itself on local days in the owner's
    zone, not before accountbot knew the account (a CASE over every required step, by (stage,
    step id) -> due offset). Python checks each tick again."""
    if not offsets:
        return true()

    def offset(less: int) -> ColumnElement[int]:
        return case(
            *(
                (and_(Account.stage == stage, StepCompletion.step_id == step_id), days - less)
                for (stage, step_id), days in offsets
            ),
        )

    zone = effective_zone_sql(Owner.timezone, OwnerTeam.timezone)
    due = plus_days(local_date(Account.stage_entered_at, zone), offset(0))
    return and_(
        StepCompletion.completed_at
        >= days_after(Account.stage_entered_at, offset(_SURELY_ON_TIME_DAYS)),
        local_date(StepCompletion.completed_at, zone) > due,
        or_(Account.known_since.is_(None), Account.known_since <= due),
    )


@cache
def _steps_done_late(
    offsets: tuple[tuple[tuple[str, str], int], ...], kind: ScopeKind, by: GroupBy
) -> tuple[Select[Any], Bound]:
    """The ticks of the required steps (stage, step id) -> due offset made late within the
    run's moments (see `steps_done_late`)."""
    bound = Bound()
    required = [key for key, _ in offsets]
    earlier = aliased(StepCompletion, name="earlier")
    first_of_stage = ~exists().where(
        earlier.account_id == StepCompletion.account_id,
        earlier.playbook == StepCompletion.playbook,
        earlier.step_id == StepCompletion.step_id,
        earlier.completed_at >= Account.stage_entered_at,
        or_(
            earlier.completed_at < StepCompletion.completed_at,
            and_(
                earlier.completed_at == StepCompletion.completed_at,
                earlier.id < StepCompletion.id,
            ),
        ),
    )
    query = with_owner(
        select(
            *account_keys(by),
            Account.stage,
            Account.stage_entered_at,
            Account.known_since,
            owner_zone(),
            Owner.team_id,
            StepCompletion.step_id,
            StepCompletion.completed_at,
        )
        .select_from(StepCompletion)
        .join(Account, Account.id == StepCompletion.account_id)
    ).where(
        StepCompletion.completed_at >= bound.moment("earliest"),
        StepCompletion.completed_at < bound.moment("latest"),
        bound.scope(kind).people(Account.owner_id),
        counts_for_current_stage(),
        tuple_(Account.stage, StepCompletion.step_id).in_(required or [("", "")]),
        _late_by_offsets(offsets),
        first_of_stage,
    )
    return query, bound


async def steps_done_late(
    session: AsyncSession,
    run: Run,
    by: GroupBy,
    out: Tallies,
    playbooks: PlaybookLibrary,
) -> None:
    """Read from the ticks made within the periods only (an index on ``completed_at``), each
    kept if no earlier tick of the same step counts for the current stage: the cost follows
    the ticks of the periods, not the whole history of ticks."""
    required = _required_steps(playbooks)
    offsets = tuple((key, step.due_offset_days) for key, step in required.items())
    query, bound = _steps_done_late(offsets, scope_kind(run.scope), by)
    bounds_of = bounds_of_team(run)
    for row in await session.execute(query, bound.values(run)):
        key, (stage, entered_at, known_since, zone, team_id, step_id, ticked_at) = row_key(by, row)
        step = required.get((str(stage), step_id))
        if step is None:
            continue
        due = due_on(step, local_date_of(entered_at, zone))
        if local_date_of(ticked_at, zone) <= due or before_accountbot(due, known_since):
            continue
        for (first, after), tallies in zip(bounds_of(team_id), out, strict=True):
            if first <= ticked_at < after:
                tallies[key].steps_done_late += 1
