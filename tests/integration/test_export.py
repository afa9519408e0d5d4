"""Taking everything out: `export_book` writes every kind in its import format, and importing an
export into an empty database and exporting again gives the same bytes, on SQLite and
PostgreSQL.

The small book is the sample one in tests/fixtures/csv (see test_import.py); the large one is
the generated demo book (156 accounts with their history), plus cells that are hard to write:
several lines, commas and quotes, a team's own meeting kind, a known_since day.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from bot.demo.book import seed_demo_book
from bot.playbooks import load_playbooks
from bot.services.imports import SPECS, ImportKind, import_table
from bot.services.imports.export import ExportedFile, export_book
from bot.services.imports.reader import read_csv
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import Account, User
from tests.integration.test_import import import_book, import_text

PLAYBOOKS = load_playbooks()
DEMO_NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)


async def export(db: Database) -> dict[str, ExportedFile]:
    async with db.read_only() as session:
        return {f.name: f for f in await export_book(session, playbooks=PLAYBOOKS)}


async def import_export(db: Database, files: dict[str, ExportedFile], now: datetime) -> None:
    """Every file, in the order the kinds must be imported."""
    for kind in ImportKind:
        text = files[f"{kind.value}.csv"].text
        table = read_csv(
            io.StringIO(text, newline=""), source=kind.value, known=SPECS[kind].headers
        )
        async with db.unit_of_work() as session:
            result = await import_table(session, kind=kind.value, table=table, now=now)
        assert (result.created, result.warnings) == (files[f"{kind.value}.csv"].rows, ()), kind


async def test_every_kind_is_written_in_its_import_format_sorted_by_natural_key(
    db: Database,
) -> None:
    await import_book(db)
    await import_text(
        db,
        "meetings",
        "account,am_email,occurred_at,kind,recap,next_steps\n"
        'Acme Corp,ann.lee@example.com,2026-03-09T09:00:00Z,Demo call,"Two lines,\n'
        'and a ""quote""",\n',
    )
    await import_text(
        db, "steps", "account,step,done_on,done_by_email\nGlobex,kickoff-call,2026-03-10,\n"
    )
    files = await export(db)
    assert list(files) == [f"{kind.value}.csv" for kind in ImportKind]
    assert files["teams.csv"].text == (
        "name,slack_channel_id,timezone\n"
        "Enterprise East,C0EAST,America/New_York\n"
        "Leadership,,UTC\n"
        "Mid-Market,,Europe/Berlin\n"
    )
    assert files["users.csv"].text.splitlines()[:2] == [
        "email,name,role,team,seniority,slack_user_id,teams_aad_object_id,timezone",
        "ann.lee@example.com,Ann Lee,am,Enterprise East,senior,U0ANN,,",
    ]
    assert files["accounts.csv"].text == (
        "name,owner_email,exec_sponsor_email,stage,stage_entered_on,mrr,started_on,"
        "onboarding_completed_on,churned_on,churn_reason,known_since\n"
        "Acme Corp,ann.lee@example.com,hana@example.com,growth,2026-03-10,12000.5,2025-01-06,"
        "2025-01-14,,,2026-03-10\n"
        "Globex,bob@example.com,,onboarding,2026-03-10,0,2026-02-23,,,,2026-03-10\n"
        'Initech,ann.lee@example.com,,renewal,2026-03-10,800,2024-03-01,2024-03-09,2026-02-28,"'
        'Budget cut, moved in-house",2026-03-10\n'
    )
    assert files["contracts.csv"].text == (
        "account,start_on,end_on,value,auto_renew\n"
        "Acme Corp,2025-01-06,2026-01-05,144000,true\n"
        "Acme Corp,2026-01-06,2027-01-05,150000,true\n"
        "Globex,2026-02-23,2027-02-22,0,false\n"
    )
    assert files["meetings.csv"].text == (
        "account,am_email,occurred_at,kind,recap_logged_at,recap,next_steps,upsell_spotted\n"
        "Acme Corp,ann.lee@example.com,2026-03-02T14:00:00+00:00,qbr,"
        "2026-03-02T16:30:00+00:00,,,\n"
        'Acme Corp,ann.lee@example.com,2026-03-09T09:00:00+00:00,Demo call,,"Two lines,\n'
        'and a ""quote""",,\n'
        "Globex,bob@example.com,2026-02-24T09:00:00+00:00,kickoff,2026-02-24T11:00:00+00:00,,,\n"
    )
    assert files["upsells.csv"].text.splitlines()[1:] == [
        "Acme Corp,2026-01-15,Premium support,2400,won,2026-02-01",
        "Acme Corp,2026-02-20,Training,900.5,open,",
        "Initech,2025-11-03,Premium support,1200,lost,2025-12-01",
    ]
    assert files["satisfaction.csv"].text.splitlines()[1:] == [
        "Acme Corp,csat,4.5,2026-01-31",
        "Acme Corp,nps,9,2026-01-31",
        "Globex,case_study,,2026-03-01",
    ]
    assert files["deliverables.csv"].text.splitlines()[1:] == [
        "Acme Corp,Q1 business review deck,2026-03-01,2026-02-27",
        "Globex,Onboarding plan,2026-03-02,",
    ]
    assert files["steps.csv"].text == (
        "account,step,done_on,done_by_email\nGlobex,kickoff-call,2026-03-10,\n"
    )
    assert [f.rows for f in files.values()] == [3, 4, 3, 3, 3, 3, 3, 2, 1]


async def test_export_import_into_an_empty_database_and_export_again_gives_the_same_files(
    database_url: str, tmp_path: Path
) -> None:
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    await upgrade_async(source_url)
    source = Database(source_url)
    try:
        async with source.unit_of_work() as session:
            await seed_demo_book(session, now=DEMO_NOW, scale=1)
            await session.execute(
                update(Account)
                .where(Account.name == "Bits & Bytes <Labs>")
                .values(
                    churn_reason='Moved to "in-house",\r\nthen came back; maybe',
                    known_since=DEMO_NOW.date(),
                )
            )
        await import_text(
            source,
            "meetings",
            "account,am_email,occurred_at,kind,recap,next_steps,upsell_spotted\n"
            + ",".join(
                [
                    "Bits & Bytes <Labs>",
                    (await _owner_of(source, "Bits & Bytes <Labs>")),
                    "2026-03-10 09:15",
                    '" Démo, call "',
                    '"Line one\nline two, with ""quotes"""',
                    "'@Lena: send the deck",  # written so, taken as @Lena: …
                    "=SUM(A1)",
                ]
            )
            + "\n",
            now=DEMO_NOW,
        )
        first = await export(source)
    finally:
        await source.dispose()
    assert all(f.rows > 0 for f in first.values())
    # shown as text, never run, by the spreadsheet app a lead opens it in
    assert (
        '"Line one\nline two, with ""quotes""",\'@Lena: send the deck,\'=SUM(A1)'
        in first["meetings.csv"].text
    )
    assert ",Démo, call," not in first["meetings.csv"].text  # quoted, as it holds a comma
    assert '"Moved to ""in-house"",\r\nthen came back; maybe"' in first["accounts.csv"].text

    await upgrade_async(database_url)
    target = Database(database_url)
    try:
        await import_export(target, first, DEMO_NOW)
        second = await export(target)
    finally:
        await target.dispose()
    for name, file in first.items():
        assert second[name].text == file.text, name


async def _owner_of(db: Database, account: str) -> str:
    async with db.read_only() as session:
        stmt = select(User.email).join(Account, Account.owner_id == User.id)
        return str(await session.scalar(stmt.where(Account.name == account)))
