"""Large at-risk lists read the risk snapshot: the same page as working it out on the spot, kept
right by changes made through accountbot, and not trusted once it is old."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.handlers.base import CommandContext
from bot.handlers.playbook import tick
from bot.services.container import build_services
from bot.services.portfolio import AccountList
from bot.services.risk_lists import at_risk_page
from bot.services.risk_snapshot import refresh_all
from bot.settings import Settings
from storage.db import Database
from storage.models import Account, AccountRisk, Objection, ObjectionStatus, User
from tests.integration.account_builders import LIBRARY, fetch_user
from tests.integration.test_import import import_text
from tests.integration.test_portfolio import NOW, Book, seed

RULES = {"recap_grace_hours": 24, "recap_lookback_days": 14}


async def page(
    db: Database, who: int, *, live_limit: int, now: Any = NOW, **kw: Any
) -> AccountList:
    async with db.read_only() as session:
        actor = await fetch_user(session, who)
        return await at_risk_page(
            session,
            actor=actor,
            now=now,
            playbooks=LIBRARY,
            limit=kw.get("limit", 20),
            offset=kw.get("offset", 0),
            live_limit=live_limit,
            **RULES,
        )


def shown(result: AccountList) -> list[tuple[str, list[str], Any]]:
    return [(row.name, row.flags, row.days_to_renewal, row.owner_zone) for row in result.items]


async def snapshot(db: Database, now: Any = NOW) -> int:
    return await refresh_all(db, now=now, playbooks=LIBRARY, **RULES)


async def test_the_snapshot_gives_the_same_pages_as_working_it_out(db: Database) -> None:
    book: Book = await seed(db)
    assert await snapshot(db) > 0
    for who in ("hal", "lea", "ann"):
        on_the_spot = await page(db, book.people[who], live_limit=10**6)
        from_snapshot = await page(db, book.people[who], live_limit=0)
        assert on_the_spot.items and shown(from_snapshot) == shown(on_the_spot), who
        assert from_snapshot.total == on_the_spot.total
        second = await page(db, book.people[who], live_limit=0, limit=2, offset=2)
        assert shown(second) == shown(on_the_spot)[2:4]


async def test_the_snapshot_names_an_owners_zone_whose_today_is_not_the_readers(
    db: Database,
) -> None:
    book: Book = await seed(db)
    async with db.unit_of_work() as session:
        ann = await fetch_user(session, book.people["ann"])
        ann.timezone = "Pacific/Auckland"  # a day ahead of Hal (UTC) at NOW
    await snapshot(db)
    from_snapshot = await page(db, book.people["hal"], live_limit=0)
    assert shown(from_snapshot) == shown(await page(db, book.people["hal"], live_limit=10**6))
    zones = {row.name: row.owner_zone for row in from_snapshot.items}
    assert zones["Bravo"] == "Pacific/Auckland" and zones["India"] is None
    anns = {
        row.name: row.owner_zone for row in (await page(db, book.people["ann"], live_limit=0)).items
    }
    assert (anns["Bravo"], anns["Hotel"]) == (None, "UTC")  # hers, and Bob's (UTC) in her team


async def test_a_change_through_accountbot_updates_the_snapshot_at_once(db: Database) -> None:
    book = await seed(db)
    await snapshot(db)
    before = {
        row.name: row.flags for row in (await page(db, book.people["hal"], live_limit=0)).items
    }
    assert any("overdue step" in flag for flag in before["Delta"])

    settings = Settings(_env_file=None, database_url=db.url)  # type: ignore[call-arg]
    services = build_services(settings, clock=lambda: NOW)
    services.playbooks = LIBRARY
    services.db = db
    async with db.read_only() as session:
        ann = await session.get(User, book.people["ann"])
    assert ann is not None
    ctx = CommandContext(services, ann, NOW)
    for step in LIBRARY.for_stage("growth").required_steps:
        await tick(ctx, f"delta {step.id}")

    after = {
        row.name: row.flags for row in (await page(db, book.people["hal"], live_limit=0)).items
    }
    assert "Delta" not in after  # nothing left to worry about
    assert {k: v for k, v in before.items() if k != "Delta"} == after


async def test_an_old_snapshot_is_not_trusted(db: Database) -> None:
    book = await seed(db)
    await snapshot(db, now=NOW - timedelta(minutes=20))
    async with db.unit_of_work() as session:  # behind accountbot's back: no refresh
        await session.execute(Objection.__table__.update().values(status=ObjectionStatus.RESOLVED))
    result = await page(db, book.people["hal"], live_limit=0)
    assert all("objection" not in flag for row in result.items for flag in row.flags)
    assert shown(result) == shown(await page(db, book.people["hal"], live_limit=10**6))


async def test_a_refresh_forgets_accounts_no_longer_at_risk(db: Database) -> None:
    book = await seed(db)
    await snapshot(db)
    async with db.read_only() as session:
        before = await session.scalar(select(func.count()).select_from(AccountRisk))
    async with db.unit_of_work() as session:
        charlie = await session.get(Account, book.accounts["Charlie"])
        assert charlie is not None
        await session.execute(
            Objection.__table__.update()
            .where(Objection.account_id == charlie.id)
            .values(status=ObjectionStatus.RESOLVED)
        )
    await snapshot(db)
    async with db.read_only() as session:
        rows = {r.account_id: r.flags for r in await session.scalars(select(AccountRisk))}
    charlie_flags = rows.get(book.accounts["Charlie"], [])
    assert all("objection" not in flag for flag in charlie_flags)
    assert any("objection" in flag for flags in rows.values() for flag in flags)  # India's
    assert len(rows) <= int(before or 0)


async def _pages_listing_charlie(db: Database, book: Book) -> dict[str, AccountList]:
    """A head's and a lead's at-risk pages from a fresh snapshot, Charlie on them."""
    await snapshot(db)
    pages = {who: await page(db, book.people[who], live_limit=0) for who in ("hal", "lea")}
    assert "Charlie" in [row.name for row in pages["hal"].items]
    return pages


async def _charlie_gone(db: Database, book: Book, before: dict[str, AccountList]) -> None:
    """Off the pages and the totals before the next refresh, as working it out says."""
    for who, earlier in before.items():
        after = await page(db, book.people[who], live_limit=0)
        on_the_spot = await page(db, book.people[who], live_limit=10**6)
        assert "Charlie" not in [row.name for row in after.items], who
        assert after.total == earlier.total - 1 == on_the_spot.total, who
        assert shown(after) == shown(on_the_spot), who


async def test_an_account_churned_since_the_snapshot_leaves_the_page_and_the_total(
    db: Database,
) -> None:
    book = await seed(db)
    before = await _pages_listing_charlie(db, book)
    async with db.unit_of_work() as session:  # behind accountbot's back: no refresh
        charlie = await session.get(Account, book.accounts["Charlie"])
        assert charlie is not None
        charlie.churned_on = NOW.date() - timedelta(days=1)
    await _charlie_gone(db, book, before)


async def test_an_import_that_churns_a_listed_account_a_month_back_takes_it_off_at_once(
    db: Database,
) -> None:
    book = await seed(db)
    before = await _pages_listing_charlie(db, book)
    async with db.read_only() as session:
        charlie = await session.get(Account, book.accounts["Charlie"])
        assert charlie is not None
        owner = await session.get(User, charlie.owner_id)
        assert owner is not None
        row = [charlie.name, owner.email, charlie.stage, charlie.started_on.isoformat()]
    a_month_back = (NOW.date() - timedelta(days=30)).isoformat()
    await import_text(
        db,
        "accounts",
        "name,owner_email,stage,started_on,churned_on\n" + ",".join([*row, a_month_back]) + "\n",
        now=NOW,
    )
    await _charlie_gone(db, book, before)  # imports do not refresh the snapshot
