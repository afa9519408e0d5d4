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

The jobs' work (a scan of the whole book, a refresh of every account's risk flags) runs on a
thread of its own, with its own event loop and database engine, so chat requests are never
stuck behind it: they keep being answered while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete

from bot.delivery.locks import lock_for
from bot.delivery.runs import Renderers, queue_daily_nudges, queue_digests
from bot.services.container import Services
from bot.services.risk_snapshot import refresh_all
from storage.db import Database
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)

LOCK_RETRY_SECONDS = 20.0
SEEN_KEYS_KEPT = timedelta(days=7)


class Kicker(Protocol):
    def kick(self) -> None: ...


class _KickFromThread:
    """The outbox sender's kick, from the jobs' thread to the loop the sender runs on."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sender: Kicker) -> None:
        self.loop = loop
        self.sender = sender

    def kick(self) -> None:
        self.loop.call_soon_threadsafe(self.sender.kick)


class JobThread:
    """A thread with its own event loop and database engine, where the jobs' work runs."""

    def __init__(self, services: Services) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="accountbot-jobs", daemon=True
        )
        self.thread.start()
        self.services = dataclasses.replace(services, db=Database(services.db.url))

    async def run(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(job(), self.loop))

    def close(self) -> None:
        async def dispose() -> None:
            await self.services.db.dispose()

        if self.loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(dispose(), self.loop).result(timeout=10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


class Scheduler:
    """The timed jobs of one accountbot, run while this process holds the lock."""

    def __init__(self, services: Services, sender: Kicker, platforms: set[str]) -> None:
        self.services = services
        self.sender = sender
        self.platforms = platforms
        self.renderers = Renderers(services.clock)
        self.lock = lock_for(services.db)
        self._apscheduler: AsyncIOScheduler | None = None
        self._thread: JobThread | None = None

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
        thread = JobThread(self.services)
        kick = _KickFromThread(asyncio.get_running_loop(), self.sender)
        worker = Scheduler(thread.services, kick, self.platforms)
        minutes = self.services.settings.risk_refresh_minutes
        jobs: list[tuple[str, Callable[[], Coroutine[Any, Any, None]], Any]] = [
            ("accountbot:nudges", worker.nudges, IntervalTrigger(minutes=1)),
            ("accountbot:digests", worker.digests, IntervalTrigger(minutes=5)),
            ("accountbot:risks", worker.risks, IntervalTrigger(minutes=minutes)),
            ("accountbot:housekeeping", worker.housekeeping, CronTrigger(hour=3, minute=17)),
        ]
        for job_id, run, trigger in jobs:
            scheduler.add_job(
                _logged(_on(thread, run), job_id),
                trigger,
                id=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=300,
                next_run_time=None if job_id.endswith("housekeeping") else _soon(),
            )
        scheduler.start()
        self._apscheduler, self._thread = scheduler, thread

    def _stop_jobs(self) -> None:
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=False)
            self._apscheduler = None
        if self._thread is not None:
            self._thread.close()
            self._thread = None

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


def _on(
    thread: JobThread, run: Callable[[], Coroutine[Any, Any, None]]
) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        await thread.run(run)

    return job


def _logged(run: Callable[[], Awaitable[None]], job_id: str) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        try:
            await run()
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", job_id)

    return job
