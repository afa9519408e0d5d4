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

Many teams in several time zones are counted together (:class:`Zoning`): open objections and
steps done late in one query each, each row placed in the periods of its person's team's zone;
meetings in one query per zone. The number of queries does not grow with the number of teams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.playbooks import PlaybookLibrary, PlaybookStep
from bot.services.kpis.tally import (
    GroupBy,
    Period,
    Scope,
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
from storage.types import UTCDateTime
from storage.zones import effective_zone_sql

Bounds = tuple[datetime, datetime]  # [first, after) in UTC


class Zoning:
    """The periods' days placed in each time zone of ``zones`` (zone -> the part of the scope
    counted in it), and the zone each team's people are counted in."""

    def __init__(self, periods: Sequence[Period], zones: Mapping[str, Scope]) -> None:
        self.zones = zones
        self.bounds = {
            zone: [Period(p.start, p.end, zone).utc_bounds() for p in periods] for zone in zones
        }
        self._zone_of_team = {
            team_id: zone for zone, part in zones.items() for team_id in part.team_ids or ()
        }
        every = [bound for bounds in self.bounds.values() for bound in bounds]
        self.earliest = min((first for first, _ in every), default=None)
        self.latest = max((after for _, after in every), default=None)

    def of_team(self, team_id: int | None) -> list[Bounds]:
        """The bounds of each period for a person of ``team_id``."""
        if len(self.bounds) == 1:
            return next(iter(self.bounds.values()))
        return self.bounds[self._zone_of_team[team_id]] if team_id is not None else []

    def bound(self, index: int, side: int, team_id: Any) -> Any:
        """The start (``side`` 0) or end (1) of period ``index`` for the person whose team is
        the column ``team_id``: a moment, or a CASE over the zones when there are several."""
        if len(self.bounds) == 1:
            return next(iter(self.bounds.values()))[index][side]
        return case(
            *(
                (team_id.in_(part.team_ids or ()), literal(self.bounds[zone][index][side], _UTC))
                for zone, part in self.zones.items()
            ),
        )


_UTC = UTCDateTime()


async def meetings(
    session: AsyncSession, zoning: Zoning, scope: Scope, by: GroupBy, out: Tallies
) -> None:
    """Meetings held in each period, and those recapped within 24 hours (exactly 24 hours
    still counts), counted in SQL: one query per time zone (a handful in any book), whose
    periods' bounds are constants there, so many periods cost little."""
    in_time = Meeting.recap_logged_at <= a_day_after(Meeting.occurred_at)
    keys = row_keys(by, Meeting.am_id, Meeting.account_id)
    for zone, part in zoning.zones.items():
        bounds = zoning.bounds[zone]
        columns = []
        for first, after in bounds:
            held = and_(Meeting.occurred_at >= first, Meeting.occurred_at < after)
            columns += [count_if(held), count_if(held & in_time)]
        query = (
            select(*keys, *columns)
            .where(
                part.people(Meeting.am_id),
                Meeting.occurred_at >= min(first for first, _ in bounds),
                Meeting.occurred_at < max(after for _, after in bounds),
            )
            .group_by(*keys)
        )
        rows = (await session.execute(query)).all()
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


async def objections(
    session: AsyncSession, zoning: Zoning, scope: Scope, by: GroupBy, out: Tallies
) -> None:
    columns = []
    for index in range(len(out)):
        end = zoning.bound(index, 1, User.team_id)
        still_open = open_at(end)
        columns += [count_if(still_open), count_if(still_open & escalated_by(end))]
    keys = account_keys(by)
    query = (
        select(*keys, *columns)
        .select_from(Objection)
        .join(Account, Account.id == Objection.account_id)
        .join(User, User.id == Account.owner_id)
        .where(scope.people(Account.owner_id), Objection.opened_at < zoning.latest)
        .group_by(*keys)
    )
    rows = (await session.execute(query)).all()
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


def _late(required: Mapping[tuple[str, str], PlaybookStep]) -> ColumnElement[bool]:
    """The tick was made after its step's due day, in SQL, so on-time ticks are not shipped to
    Python (most are): first a coarse test an index range can serve (at least the offset less
    a margin after the stage was entered), then the rule itself on local days in the owner's
    zone, not before accountbot knew the account. Python checks each tick again."""
    return _late_by_offsets(tuple((key, step.due_offset_days) for key, step in required.items()))


@lru_cache(maxsize=8)
def _late_by_offsets(offsets: tuple[tuple[tuple[str, str], int], ...]) -> ColumnElement[bool]:
    """`_late` for (stage, step id) -> due offset: the same for every digest, so built once
    (a CASE over every required step)."""
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


async def steps_done_late(
    session: AsyncSession,
    zoning: Zoning,
    scope: Scope,
    by: GroupBy,
    out: Tallies,
    playbooks: PlaybookLibrary,
) -> None:
    """Read from the ticks made within the periods only (an index on ``completed_at``), each
    kept if no earlier tick of the same step counts for the current stage: the cost follows
    the ticks of the periods, not the whole history of ticks."""
    required = _required_steps(playbooks)
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
        StepCompletion.completed_at >= zoning.earliest,
        StepCompletion.completed_at < zoning.latest,
        scope.people(Account.owner_id),
        counts_for_current_stage(),
        tuple_(Account.stage, StepCompletion.step_id).in_(list(required) or [("", "")]),
        _late(required),
        first_of_stage,
    )
    for row in await session.execute(query):
        key, (stage, entered_at, known_since, zone, team_id, step_id, ticked_at) = row_key(by, row)
        step = required.get((str(stage), step_id))
        if step is None:
            continue
        due = due_on(step, local_date_of(entered_at, zone))
        if local_date_of(ticked_at, zone) <= due or before_accountbot(due, known_since):
            continue
        for (first, after), tallies in zip(zoning.of_team(team_id), out, strict=True):
            if first <= ticked_at < after:
                tallies[key].steps_done_late += 1
