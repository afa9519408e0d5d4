"""Running the timed jobs once, on time, across replicas (APScheduler 3, in the event loop).

Jobs have stable ids and replace themselves; each tick decides what is due and the run keys
in the database make a tick repeated anywhere harmless:

* nudges (every minute): people whose own nudge time has come today get their daily DM;
* digests (every five minutes): teams whose digest time (DIGEST_TIME) has come get the week;
* risks (every RISK_REFRESH_MINUTES): every account's risk flags, for large at-risk lists;
* housekeeping (daily): seen request ids older than a week are pruned.

Only the holder of a lock runs them: on PostgreSQL an advisory lock held by a dedicated
connection (released by the server when that process dies, so another replica takes over
within a minute); on SQLite, which serves one machine, a file lock beside the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.delivery.runs import Renderers, queue_daily_nudges, queue_digests
from bot.delivery.sender import OutboxSender
from bot.services.container import Services
from bot.services.risk_snapshot import refresh_all
from storage.db import Database, sqlite_path
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)

LOCK_KEY = 0x6163_6374  # "acct": the advisory lock of accountbot's scheduler
LOCK_RETRY_SECONDS = 20.0
SEEN_KEYS_KEPT = timedelta(days=7)


class LeaderLock(Protocol):
    async def acquire(self) -> bool: ...
    async def held(self) -> bool: ...
    async def release(self) -> None: ...


class PostgresLock:
    """pg_try_advisory_lock on a connection kept open while the lock is held."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        connection = await self.db.engine.connect()
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception:
            await self.release()
            return False
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()  # closing the session releases the lock


class FileLock:
    """flock on `<database>.scheduler.lock`: one scheduler per SQLite file on this machine."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def lock_for(db: Database) -> LeaderLock:
    path = sqlite_path(db.url)
    if db.engine.dialect.name == "sqlite":
        return FileLock(f"{path or '/tmp/accountbot-memory'}.scheduler.lock")
    return PostgresLock(db)


class Scheduler:
    """The timed jobs of one accountbot, run while this process holds the lock."""

    def __init__(self, services: Services, sender: OutboxSender, platforms: set[str]) -> None:
        self.services = services
        self.sender = sender
        self.platforms = platforms
        self.renderers = Renderers(services.clock)
        self.lock = lock_for(services.db)
        self._apscheduler: AsyncIOScheduler | None = None

    async def nudges(self) -> None:
        report = await queue_daily_nudges(
            self.services,
            as_of=self.services.clock(),
            platforms=self.platforms,
            renderers=self.renderers,
            on_schedule=True,
        )
        if report.queued:
            log.info("queued %s nudge DMs", len(report.queued))
            self.sender.kick()

    async def digests(self) -> None:
        report = await queue_digests(
            self.services,
            now=self.services.clock(),
            platforms=self.platforms,
            renderers=self.renderers,
            on_schedule=True,
        )
        if report.queued:
            log.info("queued %s digest posts", len(report.queued))
            self.sender.kick()

    async def risks(self) -> None:
        services = self.services
        await refresh_all(
            services.db,
            now=services.clock(),
            playbooks=services.playbooks,
            recap_grace_hours=services.nudge_rules.recap_grace_hours,
            recap_lookback_days=services.nudge_rules.recap_lookback_days,
        )

    async def housekeeping(self) -> None:
        cutoff = self.services.clock() - SEEN_KEYS_KEPT
        async with self.services.db.unit_of_work() as session:
            result = await session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)
            )
        log.info("pruned %s seen request ids", getattr(result, "rowcount", 0))

    def _start_jobs(self) -> None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        jobs: list[tuple[str, Callable[[], Awaitable[None]], Any]] = [
            ("accountbot:nudges", self.nudges, IntervalTrigger(minutes=1)),
            ("accountbot:digests", self.digests, IntervalTrigger(minutes=5)),
            (
                "accountbot:risks",
                self.risks,
                IntervalTrigger(minutes=self.services.settings.risk_refresh_minutes),
            ),
            ("accountbot:housekeeping", self.housekeeping, CronTrigger(hour=3, minute=17)),
        ]
        for job_id, run, trigger in jobs:
            scheduler.add_job(
                _logged(run, job_id),
                trigger,
                id=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=300,
                next_run_time=None if job_id.endswith("housekeeping") else _soon(),
            )
        scheduler.start()
        self._apscheduler = scheduler

    def _stop_jobs(self) -> None:
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=False)
            self._apscheduler = None

    async def run_forever(self) -> None:
        """Take the lock when free, run the jobs while held, let go when it is lost."""
        try:
            while True:
                if not await self.lock.held():
                    self._stop_jobs()
                    if await _try(self.lock.acquire):
                        log.info("this process runs the scheduled jobs")
                        self._start_jobs()
                await asyncio.sleep(LOCK_RETRY_SECONDS if self._apscheduler is None else 15)
        finally:
            self._stop_jobs()
            await self.lock.release()


async def _try(acquire: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return await acquire()
    except Exception as exc:  # the database is down: try again later
        log.warning("could not take the scheduler lock (%s)", type(exc).__name__)
        return False


def _soon() -> datetime:
    """The first run: a moment after start-up (APScheduler keeps real time)."""
    return datetime.now(UTC) + timedelta(seconds=2)


def _logged(run: Callable[[], Awaitable[None]], job_id: str) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        try:
            await run()
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", job_id)

    return job
