"""What a kind's rows need from the database once their references are resolved: the time zone
their days and wall-clock times are in, and the rules that depend on it.

* accounts: `stage_entered_on` is the start of that day in the owner's time zone and becomes
  `stage_entered_at`; it and `known_since` may not be after the owner's today. An account the
  file creates without a known_since column is known since the owner's today.
* meetings: a time without a UTC offset is the AM's wall-clock time; a recap comes after the
  meeting.
* steps: the step is one of the account's current-stage playbook; `done_on`, a day in the
  owner's time zone, is neither before the account entered that stage nor after today, and
  becomes `completed_at`: the start of that day, or the stage entry if that was later the same
  day, so the tick counts for the current stage.

Each check gets only rows without problems so far and returns the problems it finds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary, load_playbooks
from bot.services.imports.cells import ParsedRow, RowProblem
from bot.services.imports.kinds import ImportKind
from bot.services.imports.queries import select_in, user_zones
from bot.services.when import from_wall_clock, local_date_of, local_today, start_of_local_day
from storage.models import Account, Stage


@dataclass(slots=True)
class CheckContext:
    now: datetime
    playbooks: PlaybookLibrary | None  # None: the bundled ones
    warnings: list[str] = field(default_factory=list)


Check = Callable[[AsyncSession, list[ParsedRow], CheckContext], Awaitable[list[RowProblem]]]


def _after_today(row: ParsedRow, column: str, day: date, today: date, zone: str) -> RowProblem:
    reason = f"{day.isoformat()} is after today ({today.isoformat()} in {zone}, the owner's zone)"
    return RowProblem(row.line, column, reason)


async def check_accounts(
    session: AsyncSession, rows: list[ParsedRow], context: CheckContext
) -> list[RowProblem]:
    zones = await user_zones(session, (row.values["owner_id"] for row in rows))
    problems = []
    for row in rows:
        zone = zones[row.values["owner_id"]]
        today = local_today(context.now, zone)
        entered_on = row.values.pop("stage_entered_on", None)
        if entered_on is not None and entered_on > today:
            problems.append(_after_today(row, "stage_entered_on", entered_on, today, zone))
        elif entered_on is not None:
            row.values["stage_entered_at"] = start_of_local_day(entered_on, zone)
            row.same_day["stage_entered_at"] = zone
        if "known_since" not in row.values:
            row.create_only["known_since"] = today
        elif (known := row.values["known_since"]) is not None and known > today:
            problems.append(_after_today(row, "known_since", known, today, zone))
    return problems


async def check_meetings(
    session: AsyncSession, rows: list[ParsedRow], context: CheckContext
) -> list[RowProblem]:
    times = ("occurred_at", "recap_logged_at")
    local = [row for row in rows if any(_naive(row.values.get(a)) for a in times)]
    zones = await user_zones(session, (row.values["am_id"] for row in local))
    for row in local:
        for attribute in times:
            moment = row.values.get(attribute)
            if isinstance(moment, datetime) and _naive(moment):
                row.values[attribute] = from_wall_clock(moment, zones[row.values["am_id"]])
    if local:
        many = len(local) != 1
        context.warnings.append(
            f"{len(local)} meeting{'s' if many else ''} had times without a UTC offset: read as "
            "the wall-clock time of each meeting's AM (their time zone, else their team's)."
        )
    problems = []
    for row in rows:
        occurred_at, recap_logged_at = (row.values.get(a) for a in times)
        if recap_logged_at is not None and recap_logged_at < occurred_at:
            reason = "before occurred_at (a recap comes after the meeting)"
            problems.append(RowProblem(row.line, "recap_logged_at", reason))
    return problems


async def check_steps(
    session: AsyncSession, rows: list[ParsedRow], context: CheckContext
) -> list[RowProblem]:
    columns = (Account.id, Account.name, Account.stage, Account.stage_entered_at, Account.owner_id)
    ids = {row.values["account_id"] for row in rows}
    accounts = {a.id: a for a in await select_in(session, columns, Account.id, ids)}
    zones = await user_zones(session, (a.owner_id for a in accounts.values()))
    library = context.playbooks or load_playbooks()
    problems = []
    for row in rows:
        account = accounts[row.values["account_id"]]
        stage, zone = Stage(account.stage).value, zones[account.owner_id]
        playbook = library.playbooks.get(stage)
        steps = [step.id for step in playbook.steps] if playbook else []
        if row.values["step_id"] not in steps:
            reason = (
                f"{row.values['step_id']!r} is not a step of the {stage} playbook, the stage "
                f"{account.name} is in (its steps: {', '.join(steps) or 'none'})"
            )
            problems.append(RowProblem(row.line, "step", reason))
        done_on = row.values.pop("done_on")
        entered_on = local_date_of(account.stage_entered_at, zone)
        today = local_today(context.now, zone)
        if done_on < entered_on:
            reason = (
                f"{done_on.isoformat()} is before {account.name} entered {stage} on "
                f"{entered_on.isoformat()} ({zone}); only steps done since count"
            )
            problems.append(RowProblem(row.line, "done_on", reason))
        elif done_on > today:
            problems.append(_after_today(row, "done_on", done_on, today, zone))
        start = start_of_local_day(done_on, zone)
        row.values["playbook"] = stage
        row.values["completed_at"] = max(start, account.stage_entered_at)
        row.same_day["completed_at"] = zone
    return problems


def _naive(moment: object) -> bool:
    return isinstance(moment, datetime) and moment.tzinfo is None


CHECKS: dict[ImportKind, Check] = {
    ImportKind.ACCOUNTS: check_accounts,
    ImportKind.MEETINGS: check_meetings,
    ImportKind.STEPS: check_steps,
}
