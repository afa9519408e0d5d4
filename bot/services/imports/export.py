"""`accountbot export DIR`: every kind written in exactly its import format.

One CSV text per kind with the import's headers in order, `\\n` line ends and rows sorted by
their natural key (in Python, so SQLite and PostgreSQL agree), so that importing an export into
an empty database and exporting again gives the same bytes. Cells: dates ISO (`2026-03-02`),
datetimes ISO 8601 in UTC with the offset, numbers plain without trailing zeros (`1200.5`),
yes/no as true/false, names and e-mails as stored, empty for null; text a spreadsheet would
run as a formula (`=…`, `+…`, `-…`, `@…`) has an apostrophe before it (`formula_cells`).
A day that stands for a moment (`stage_entered_on`, a step's `done_on`) is that moment's day
in the owner's time zone.
`steps` are the ticks that count for each account's current stage, for the steps its playbook
has (the first tick of each).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.playbooks import PlaybookLibrary
from bot.services.imports.formula_cells import shown_as_text
from bot.services.imports.kinds import SPECS, ImportKind
from bot.services.owners import Owner, owner_zone, with_owner
from bot.services.step_rules import counts_for_current_stage
from bot.services.when import local_date_of
from storage.models import (
    Account,
    Contract,
    Deliverable,
    Meeting,
    SatisfactionSignal,
    Stage,
    StepCompletion,
    Team,
    Upsell,
    User,
)

Row = dict[str, Any]  # column -> value, as `cell_text` writes it
Exporter = Callable[[AsyncSession, PlaybookLibrary], Awaitable[list[tuple[tuple[Any, ...], Row]]]]

Sponsor = aliased(User, name="sponsor")
Person = aliased(User, name="person")


@dataclass(frozen=True, slots=True)
class ExportedFile:
    kind: ImportKind
    text: str
    rows: int

    @property
    def name(self) -> str:
        return f"{self.kind.value}.csv"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return shown_as_text(str(value))


def csv_text(headers: Sequence[str], rows: Sequence[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([cell_text(row[column]) for column in headers] for row in rows)
    return buffer.getvalue()


async def _teams(session: AsyncSession, _: PlaybookLibrary) -> list[tuple[tuple[Any, ...], Row]]:
    rows = await session.execute(select(Team))
    return [
        ((team.name_key,), {"name": team.name, **_columns(team, "slack_channel_id", "timezone")})
        for (team,) in rows.unique()
    ]


async def _users(session: AsyncSession, _: PlaybookLibrary) -> list[tuple[tuple[Any, ...], Row]]:
    stmt = select(User, Team.name).outerjoin(Team, Team.id == User.team_id)
    columns = ("email", "name", "role", "seniority", "slack_user_id", "teams_aad_object_id")
    return [
        ((user.email,), {**_columns(user, *columns, "timezone"), "team": team})
        for user, team in (await session.execute(stmt)).unique()
    ]


async def _accounts(session: AsyncSession, _: PlaybookLibrary) -> list[tuple[tuple[Any, ...], Row]]:
    stmt = with_owner(
        select(Account, Owner.email, Sponsor.email, owner_zone()).outerjoin(
            Sponsor, Sponsor.id == Account.exec_sponsor_id
        )
    )
    columns = ("name", "stage", "mrr", "started_on", "onboarding_completed_on", "churned_on")
    found = []
    for account, owner, sponsor, zone in (await session.execute(stmt)).unique():
        row = {
            **_columns(account, *columns, "churn_reason", "known_since"),
            "owner_email": owner,
            "exec_sponsor_email": sponsor,
            "stage_entered_on": local_date_of(account.stage_entered_at, zone),
        }
        found.append(((account.name_key,), row))
    return found


def _columns(model: Any, *names: str) -> Row:
    return {name: getattr(model, name) for name in names}


def _of_accounts(
    model: Any, key: tuple[str, ...], *columns: str, person: tuple[str, str] | None = None
) -> Exporter:
    """Rows of a table hanging off accounts, sorted by account name and then `key`; `person`
    is (column, attribute) of a user shown by e-mail."""

    async def export(
        session: AsyncSession, _: PlaybookLibrary
    ) -> list[tuple[tuple[Any, ...], Row]]:
        extra = [Person.email] if person else []
        stmt = select(model, Account.name, Account.name_key, *extra).join(
            Account, Account.id == model.account_id
        )
        if person:
            stmt = stmt.outerjoin(Person, Person.id == getattr(model, person[1]))
        found = []
        for stored, name, name_key, *email in (await session.execute(stmt)).unique():
            row = {"account": name, **_columns(stored, *key, *columns)}
            if person:
                row[person[0]] = email[0]
            found.append(((name_key, *(row[k] for k in key)), row))
        return found

    return export


async def _steps(
    session: AsyncSession, playbooks: PlaybookLibrary
) -> list[tuple[tuple[Any, ...], Row]]:
    stmt = with_owner(
        select(
            StepCompletion.step_id,
            StepCompletion.completed_at,
            Person.email,
            Account.name,
            Account.name_key,
            Account.stage,
            owner_zone(),
        )
        .join(Account, Account.id == StepCompletion.account_id)
        .outerjoin(Person, Person.id == StepCompletion.completed_by_id)
    ).where(counts_for_current_stage())
    stmt = stmt.order_by(Account.id, StepCompletion.completed_at, StepCompletion.id)
    found: dict[tuple[Any, ...], Row] = {}
    for step_id, completed_at, email, name, name_key, stage, zone in await session.execute(stmt):
        playbook = playbooks.playbooks.get(Stage(stage).value)
        if playbook is None or step_id not in {step.id for step in playbook.steps}:
            continue  # not a step the account's playbook has now: it could not be imported
        found.setdefault(
            (name_key, step_id),
            {
                "account": name,
                "step": step_id,
                "done_on": local_date_of(completed_at, zone),
                "done_by_email": email,
            },
        )
    return list(found.items())


EXPORTERS: dict[ImportKind, Exporter] = {
    ImportKind.TEAMS: _teams,
    ImportKind.USERS: _users,
    ImportKind.ACCOUNTS: _accounts,
    ImportKind.CONTRACTS: _of_accounts(Contract, ("start_on",), "end_on", "value", "auto_renew"),
    ImportKind.MEETINGS: _of_accounts(
        Meeting,
        ("occurred_at",),
        "kind",
        "recap_logged_at",
        "recap",
        "next_steps",
        "upsell_spotted",
        person=("am_email", "am_id"),
    ),
    ImportKind.UPSELLS: _of_accounts(
        Upsell, ("service", "pitched_on"), "value", "status", "closed_on"
    ),
    ImportKind.SATISFACTION: _of_accounts(SatisfactionSignal, ("kind", "recorded_on"), "score"),
    ImportKind.DELIVERABLES: _of_accounts(Deliverable, ("title", "due_on"), "delivered_on"),
    ImportKind.STEPS: _steps,
}


async def export_book(session: AsyncSession, *, playbooks: PlaybookLibrary) -> list[ExportedFile]:
    """Every kind, in the order to import them."""
    files = []
    for kind in ImportKind:
        keyed = await EXPORTERS[kind](session, playbooks)
        rows = [row for _, row in sorted(keyed, key=lambda pair: pair[0])]
        files.append(ExportedFile(kind, csv_text(SPECS[kind].headers, rows), len(rows)))
    return files
