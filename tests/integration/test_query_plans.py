"""The queries that must not grow with history use their indexes, on SQLite and PostgreSQL.

Each test runs the real code on a small book, captures the SELECTs it sends, and asks the
database for their plans (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN with sequential scans
discouraged, so a table is scanned whole only when no index can serve the query). A renamed or
dropped index, or a rewrite that stops using one, fails here instead of slowing a big book."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select

from bot.playbooks import load_playbooks
from bot.services.kpis import IsoWeek
from bot.services.kpis.report import team_kpi_reports
from bot.services.kpis.targets import KpiTargets
from bot.services.lookup import find_account
from bot.services.nudges import NudgeRules, pending_nudges
from bot.services.objections.lists import live_objections
from bot.services.portfolio import list_accounts
from bot.services.renewals import renewals_page
from bot.services.risk_lists import at_risk_page
from bot.services.risk_snapshot import refresh_all
from storage.db import Database
from storage.models import Team
from tests.integration.account_builders import LIBRARY, fetch_user
from tests.integration.builders import make_account, make_objection
from tests.integration.test_portfolio import Book, seed

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


async def plans(db: Database, run: Callable[[Any], Awaitable[object]]) -> list[tuple[str, str]]:
    """(statement, plan) of every SELECT ``run(session)`` sends."""
    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with db.read_only() as session:
            await run(session)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    sqlite = db.engine.dialect.name == "sqlite"
    found = []
    async with db.engine.connect() as conn:
        if not sqlite:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in sent:
            explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = (await conn.exec_driver_sql(explain + statement, parameters)).all()
            found.append((statement, "\n".join(str(row[-1]) for row in rows)))
    return found


def plan_of(found: list[tuple[str, str]], *words: str) -> str:
    """The plan of the one statement containing every word."""
    matching = [plan for sql, plan in found if all(w in " ".join(sql.split()) for w in words)]
    assert len(matching) == 1, (words, [sql[:120] for sql, _ in found])
    return matching[0]


def scans_whole(plan: str, table: str) -> bool:
    lines = [line.strip() for line in plan.splitlines()]
    return f"SCAN {table}" in lines or any(f"Seq Scan on {table}" in line for line in lines)


async def test_the_nudge_scan_reads_recaps_ticks_and_sent_nudges_through_indexes(
    db: Database,
) -> None:
    await seed(db)
    rules = NudgeRules()
    found = await plans(db, lambda s: pending_nudges(s, as_of=NOW, rules=rules, playbooks=LIBRARY))
    recaps = plan_of(found, "FROM meetings JOIN accounts", "recap_logged_at")
    assert "ix_meetings_recap_window" in recaps
    assert not scans_whole(recaps, "meetings")
    steps = plan_of(found, "FROM step_completions")
    assert "ix_step_completions_current" in steps
    if db.engine.dialect.name == "sqlite":  # each account once, in order, then its steps
        assert steps.index("SCAN accounts") < steps.index("SCAN step_deadlines")
    for _, plan in found:
        assert not scans_whole(plan, "step_completions")
        assert not scans_whole(plan, "nudge_items")


async def test_an_ams_list_reads_only_their_accounts_signals_and_meetings(db: Database) -> None:
    book: Book = await seed(db)

    async def run(session: Any) -> None:
        actor = await fetch_user(session, book.people["ann"])
        await list_accounts(session, actor=actor, scope="mine", now=NOW, playbooks=LIBRARY)

    found = await plans(db, run)
    nps = plan_of(found, "FROM satisfaction_signals")
    assert not scans_whole(nps, "satisfaction_signals")
    # the page's open objections: each account's own, not every open objection of the book
    # (SQLite, without statistics, read them all through ix_objections_status)
    assert not scans_whole(nps, "objections")
    if db.engine.dialect.name == "sqlite":
        assert "ix_objections_account_id_status" in nps and "ix_objections_status" not in nps
    assert not scans_whole(plan_of(found, "FROM step_completions"), "step_completions")
    assert not scans_whole(plan_of(found, "DISTINCT meetings.account_id"), "meetings")


async def test_an_ams_at_risk_list_reads_their_accounts_open_objections_only(
    db: Database,
) -> None:
    book: Book = await seed(db)

    async def run(session: Any) -> None:
        actor = await fetch_user(session, book.people["ann"])
        await at_risk_page(
            session,
            actor=actor,
            now=NOW,
            playbooks=LIBRARY,
            limit=10,
            offset=0,
            recap_grace_hours=24,
            recap_lookback_days=14,
        )

    facts = plan_of(await plans(db, run), "FROM objections JOIN accounts", "UNION ALL")
    assert not scans_whole(facts, "objections")
    if db.engine.dialect.name == "sqlite":  # not every open objection of the book
        assert "ix_objections_account_id_status" in facts and "ix_objections_status" not in facts


async def test_open_objections_and_exact_names_are_index_lookups(db: Database) -> None:
    book: Book = await seed(db)
    walk = load_playbooks().walk

    async def run(session: Any) -> None:
        actor = await fetch_user(session, book.people["hal"])
        await live_objections(session, actor=actor, walk=walk, now=NOW, stale_days=3)
        await find_account(session, query="alpha", actor=actor)

    found = await plans(db, run)
    # everyone's live objections, oldest first: the first rows of the partial index, unsorted
    objections = plan_of(found, "FROM objections JOIN accounts", "ORDER BY")
    assert not scans_whole(objections, "objections")
    if db.engine.dialect.name == "sqlite":
        assert "ix_objections_live_opened_at" in objections
        assert "TEMP B-TREE FOR ORDER BY" not in objections
    exact = plan_of(found, "accounts.name_key =")
    assert not scans_whole(exact, "accounts")


async def test_an_ams_open_objections_are_their_accounts_own(db: Database) -> None:
    book: Book = await seed(db)
    walk = load_playbooks().walk

    async def run(session: Any) -> None:
        actor = await fetch_user(session, book.people["ann"])
        for own_only in (False, True):  # `objections`, and App Home's
            await live_objections(
                session, actor=actor, walk=walk, now=NOW, stale_days=3, own_only=own_only
            )

    found = [plan for sql, plan in await plans(db, run) if "FROM objections JOIN accounts" in sql]
    assert len(found) == 2
    for plan in found:
        assert not scans_whole(plan, "objections")
        if db.engine.dialect.name == "sqlite":  # not every open objection of the book
            assert "ix_objections_account_id_status" in plan
            assert "ix_objections_status" not in plan


async def test_a_leads_open_objections_are_found_from_the_teams_and_sponsored_accounts(
    db: Database,
) -> None:
    """App Home's and `objections`' list for a lead: the team's accounts (owner index) and
    those the lead sponsors (sponsor index), then their objections by account; never every
    account, nor every live objection of the book (here, most are another team's)."""
    book: Book = await seed(db)
    walk = load_playbooks().walk
    async with db.unit_of_work() as session:
        cy = await fetch_user(session, book.people["cy"])
        for n in range(150):
            elsewhere = await make_account(session, owner=cy, name=f"Elsewhere {n}")
            for day in (1, 2):
                await make_objection(session, account=elsewhere, opened_at=NOW.replace(day=day))
    async with db.engine.begin() as conn:  # the statistics a real book has
        await conn.exec_driver_sql("ANALYZE")

    async def run(session: Any) -> None:
        actor = await fetch_user(session, book.people["lea"])
        await live_objections(session, actor=actor, walk=walk, now=NOW, stale_days=3)

    found = [(sql, plan) for sql, plan in await plans(db, run) if "objections" in sql]
    assert len(found) == 1  # the page, its total counted within
    for sql, plan in found:
        assert not scans_whole(plan, "accounts"), (sql[:200], plan)
        assert not scans_whole(plan, "objections"), (sql[:200], plan)
        if db.engine.dialect.name == "sqlite":  # by account, not every live one by age
            assert "ix_objections_account_id_status" in plan, plan
            assert "ix_objections_live_opened_at" not in plan, plan
        # PostgreSQL plans a book this small its own way; on the bench's 494,672 accounts it
        # starts from the team's and the sponsored accounts too (147 ms -> 6 ms)


async def test_the_weeks_kpis_read_the_weeks_ticks_and_meetings_not_their_history(
    db: Database,
) -> None:
    await seed(db)
    week = IsoWeek.last_completed(NOW.date())

    async def run(session: Any) -> None:
        teams = list(await session.scalars(select(Team)))
        await team_kpi_reports(session, teams=teams, week=week, targets=KpiTargets())

    found = await plans(db, run)
    # the week's ticks (by time), or the current stage's ticks of the scope's accounts: either
    # way never every tick ever made
    ticks = plan_of(found, "FROM step_completions JOIN accounts")
    assert "ix_step_completions_completed_at" in ticks or "ix_step_completions_current" in ticks
    assert not scans_whole(ticks, "step_completions"), ticks
    meetings = [plan for sql, plan in found if "FROM meetings" in sql]
    assert meetings and not any(scans_whole(plan, "meetings") for plan in meetings), meetings


async def test_a_leads_team_lists_read_the_teams_accounts_through_the_owner_index(
    db: Database,
) -> None:
    book: Book = await seed(db)

    async def run(session: Any) -> None:
        actor = await fetch_user(session, book.people["lea"])
        for scope in ("team", "at-risk", "renewals"):
            await list_accounts(session, actor=actor, scope=scope, now=NOW, playbooks=LIBRARY)

    found = await plans(db, run)
    readers = [(sql, plan) for sql, plan in found if "teammate" in sql]
    assert readers
    for sql, plan in readers:
        assert not scans_whole(plan, "accounts"), (sql[:200], plan)


async def test_a_large_at_risk_list_is_read_in_order_and_counted_without_every_account(
    db: Database,
) -> None:
    book: Book = await seed(db)
    await refresh_all(db, now=NOW, playbooks=LIBRARY, recap_grace_hours=24, recap_lookback_days=14)

    async def head_at_risk(session: Any) -> object:
        hal = await fetch_user(session, book.people["hal"])
        return await at_risk_page(
            session,
            actor=hal,
            now=NOW,
            playbooks=LIBRARY,
            limit=20,
            offset=0,
            recap_grace_hours=24,
            recap_lookback_days=14,
            live_limit=0,
        )

    found = await plans(db, head_at_risk)
    churned = plan_of(found, "count(*)", "FROM accounts JOIN account_risks")
    assert "ix_accounts_churned_on" in churned
    assert not scans_whole(churned, "accounts")
    listed = plan_of(found, "count(*)", "FROM account_risks")
    assert "accounts" not in listed  # a head reads every row: no account is looked up
    page = plan_of(found, "account_risks.flags", "LIMIT")
    assert "ix_account_risks_order" in page  # read in order, not a sort of every listed row


async def test_a_heads_renewals_total_is_counted_from_indexes_alone(db: Database) -> None:
    """Tens of thousands of renewals on a big book: counted from ix_contracts_end_on, less those
    of churned accounts, whose contracts' end dates are read from (account_id, end_on)."""
    book: Book = await seed(db)

    async def head_renewals(session: Any) -> object:
        hal = await fetch_user(session, book.people["hal"])
        return await renewals_page(session, actor=hal, days=90, now=NOW, limit=10)

    found = await plans(db, head_renewals)
    counted = "SELECT count(*) AS count_1 FROM contracts WHERE"
    [listed] = [plan for sql, plan in found if " ".join(sql.split()).startswith(counted)]
    churned = plan_of(found, "churned_on <=", "account_id IN")
    if db.engine.dialect.name == "sqlite":
        assert "COVERING INDEX ix_contracts_end_on" in listed, listed
        assert "COVERING INDEX ix_contracts_account_id_end_on" in churned, churned
    assert not scans_whole(listed, "contracts") and not scans_whole(churned, "contracts"), churned
    assert not scans_whole(churned, "accounts"), churned


async def test_the_risk_refresh_drops_rows_of_vanished_accounts_by_an_anti_join(
    db: Database,
) -> None:
    """Its last statement checks every snapshot row against accounts: as one anti-join (or a
    key lookup per row), never a scan of accounts per row, which on PostgreSQL is what NOT IN
    becomes once the accounts no longer fit in work_mem (an hour on 500,000 accounts)."""
    await seed(db)
    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM ACCOUNT_RISKS"):
            sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await refresh_all(
            db, now=NOW, playbooks=LIBRARY, recap_grace_hours=24, recap_lookback_days=14
        )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    [(statement, parameters)] = [(s, p) for s, p in sent if "accounts" in s.split("WHERE", 1)[1]]
    sqlite = db.engine.dialect.name == "sqlite"
    async with db.engine.connect() as conn:
        if not sqlite:
            await conn.exec_driver_sql("SET work_mem = '64kB'")  # as if accounts were many
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        rows = (await conn.exec_driver_sql(explain + statement, parameters)).all()
    plan = "\n".join(str(row[-1]) for row in rows)
    if sqlite:
        assert "SEARCH accounts USING INTEGER PRIMARY KEY" in plan, plan
    else:
        assert "Anti Join" in plan and "SubPlan" not in plan, plan
