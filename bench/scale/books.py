"""The books the scale benchmarks run on: generated, seasoned, and who asks what of them.

A book of about ``size`` accounts is ``bench.generate`` at scale ``size × 33 / 5000`` (scale 33:
~5,000 accounts; 330: ~49,600), dated :data:`NOW`, then seasoned (:mod:`bench.scale.season`).

SQLite books can be kept in ``--book-dir`` and reused: each run works on a copy, migrated to
the current schema first (so new indexes are there, as in a deployment). PostgreSQL books live
in a throwaway server for one run.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text

from bench.generate import generate
from bench.scale.season import NOW, RULES, season
from bot.playbooks import load_playbooks
from bot.services.risk_snapshot import refresh_all, snapshot_taken
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import (
    Account,
    Contract,
    Meeting,
    NudgeItem,
    Role,
    StepCompletion,
    Team,
    User,
)
from tests.support.postgres import PostgresServer

SEED = 7


def scale_for(size: int) -> int:
    """The generator's scale for a book of about ``size`` accounts (33 → ~5,000)."""
    return max(1, round(size * 33 / 5000))


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone who asks: their role, Slack id, an account they may read, their team."""

    role: str
    slack_id: str
    account: str
    team: str


@dataclass(slots=True)
class Book:
    backend: str
    size: int
    scale: int
    url: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds_to_generate: float | None = None  # None: reused from --book-dir
    actors: dict[str, Actor] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.backend} {self.counts.get('accounts', self.size):,} accounts"


async def book_counts(db: Database) -> dict[str, int]:
    tables = {
        "teams": Team,
        "users": User,
        "accounts": Account,
        "contracts": Contract,
        "meetings": Meeting,
        "step_completions": StepCompletion,
        "nudge_items": NudgeItem,
    }
    async with db.read_only() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in tables.items()
        }


async def find_actors(db: Database) -> dict[str, Actor]:
    """The first AM and their first live account; the first lead and a teammate's account; the
    head and the ops person with the last live account of the book."""
    async with db.read_only() as session:

        async def first(role: Role) -> User:
            user = await session.scalar(select(User).where(User.role == role).order_by(User.id))
            assert user is not None and user.slack_user_id, f"the book has no {role} on Slack"
            return user

        async def account(*where: object) -> str:
            stmt = select(Account.name).join(User, User.id == Account.owner_id)
            stmt = stmt.where(Account.churned_on.is_(None), *where)  # type: ignore[arg-type]
            name = await session.scalar(stmt.order_by(Account.id).limit(1))
            assert name is not None, "no account for an actor"
            return name

        am, lead = await first(Role.AM), await first(Role.LEAD)
        head, ops = await first(Role.HEAD), await first(Role.OPS)
        last_id = await session.scalar(
            select(func.max(Account.id)).where(Account.churned_on.is_(None))
        )
        team = lead.team.name if lead.team else ""
        shared = await account(Account.id == last_id)
        return {
            "am": Actor(
                "am", str(am.slack_user_id), await account(Account.owner_id == am.id), team
            ),
            "lead": Actor(
                "lead",
                str(lead.slack_user_id),
                await account(User.team_id == lead.team_id, Account.owner_id != am.id),
                team,
            ),
            "head": Actor("head", str(head.slack_user_id), shared, team),
            "ops": Actor("ops", str(ops.slack_user_id), shared, team),
        }


async def _revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.scalar(text("SELECT version_num FROM alembic_version"))


async def _prepare(book: Book, *, fresh: bool) -> bool:
    """Generate (or migrate a kept book to the current schema) and season; whether the book
    changed."""
    db = Database(book.url)
    changed = fresh
    try:
        if fresh:
            started = time.perf_counter()
            await generate(book.url, scale=book.scale, seed=SEED, now=NOW)
            await season(db)
            book.seconds_to_generate = round(time.perf_counter() - started, 1)
        else:
            before = await _revision(db)
            await upgrade_async(book.url)  # new indexes, as a deployment would get them
            changed = await season(db) or before != await _revision(db)
        async with db.read_only() as session:
            stale = changed or await snapshot_taken(session) != NOW
        if stale:  # as the serving deployment's scheduler keeps it (every 5 minutes)
            changed = True
            await refresh_all(
                db,
                now=NOW,
                playbooks=load_playbooks(),
                recap_grace_hours=RULES.recap_grace_hours,
                recap_lookback_days=RULES.recap_lookback_days,
            )
        if book.backend == "postgresql":  # as autovacuum leaves a loaded database, before timing
            async with db.engine.connect() as conn:  # (not during it: it would compete for CPU)
                vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await vacuum.execute(text("VACUUM (ANALYZE)"))
        book.counts = await book_counts(db)
        book.actors = await find_actors(db)
    finally:
        await db.dispose()
    return changed


@asynccontextmanager
async def sqlite_book(size: int, workdir: Path, cache: Path | None) -> AsyncIterator[Book]:
    """A SQLite book of about ``size`` accounts in ``workdir``, a copy of a kept one if any."""
    scale = scale_for(size)
    name = f"sqlite-scale{scale}-seed{SEED}-{NOW:%Y%m%dT%H%M}.db"
    path = workdir / f"size{size}-{name}"  # the working copy
    kept = cache / name if cache else None
    fresh = not (kept and kept.exists())
    if kept and not fresh:
        shutil.copyfile(kept, path)
    book = Book("sqlite", size, scale, f"sqlite:///{path}")
    if await _prepare(book, fresh=fresh) and kept:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
    try:
        yield book
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@asynccontextmanager
async def postgres_book(size: int, server: PostgresServer) -> AsyncIterator[Book]:
    """A PostgreSQL book of about ``size`` accounts, in a database dropped afterwards."""
    scale = scale_for(size)
    name = f"accountbot_bench_{size}_{int(time.time())}"
    await server.create_database(name)
    book = Book("postgresql", size, scale, server.url(name))
    try:
        await _prepare(book, fresh=True)
        yield book
    finally:
        await server.drop_database(name)


async def postgres_version(server: PostgresServer) -> str:
    db = Database(server.url("postgres"))
    try:
        async with db.engine.connect() as conn:
            return str((await conn.execute(text("SHOW server_version"))).scalar())
    finally:
        await db.dispose()
