"""One scheduler per database: replicas on one PostgreSQL (or processes on one SQLite file)
never run a job twice, and when the one running them dies another takes over."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.delivery.locks import LOCK_KEY, FileLock, PostgresLock, lock_for
from bot.delivery.runs import Renderers, queue_daily_nudges
from bot.delivery.scheduler import JobThread, Scheduler
from bot.delivery.sender import OutboxSender
from bot.services.container import build_services
from bot.settings import Settings
from storage.db import Database
from storage.models import OutboxMessage, ProcessedEvent
from tests.integration.builders import make_account, make_meeting, make_team, make_user

NOW = datetime(2026, 3, 10, 9, 5, tzinfo=UTC)  # Tuesday, just after 09:00 UTC


def scheduler(db: Database) -> Scheduler:
    settings = Settings(_env_file=None, database_url=db.url)  # type: ignore[call-arg]
    services = build_services(settings, clock=lambda: NOW)
    services.db = db
    sender = OutboxSender(db, [], clock=lambda: NOW)
    return Scheduler(services, sender, {"slack"})


async def seed(db: Database, people: int) -> None:
    async with db.unit_of_work() as session:
        team = await make_team(session)
        for n in range(people):
            am = await make_user(session, team=team, slack_user_id=f"UREPLICA{n}")
            account = await make_account(session, owner=am, name=f"Replica client {n}")
            await make_meeting(session, account=account, occurred_at=NOW - timedelta(days=2))


@pytest.mark.postgres
async def test_only_one_replica_holds_the_lock_and_another_takes_over_when_it_dies(
    postgres_url: str,
) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    one, two = PostgresLock(first), PostgresLock(second)
    try:
        assert await one.acquire() is True
        assert await two.acquire() is False
        assert await one.held()
        # The holder's process dies: the server ends its session, and with it the lock.
        async with second.engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = :key"
                ),
                {"key": LOCK_KEY},
            )
            await admin.commit()
        assert await one.held() is False  # it notices, and stops running jobs
        assert await two.acquire() is True
    finally:
        await one.release()
        await two.release()
        await first.dispose()
        await second.dispose()


async def test_two_processes_on_one_sqlite_file_cannot_both_hold_the_lock(
    sqlite_db: Database,
) -> None:
    one, two = lock_for(sqlite_db), lock_for(sqlite_db)
    assert isinstance(one, FileLock)
    assert await one.acquire() is True
    assert await two.acquire() is False
    await one.release()
    assert await two.acquire() is True
    await two.release()


async def test_the_nudge_job_run_by_two_replicas_at_once_queues_each_dm_once(
    db: Database,
) -> None:
    await seed(db, 6)
    replicas = [scheduler(db), scheduler(db)]
    await asyncio.gather(*(replica.nudges() for replica in replicas))
    await asyncio.gather(*(replica.nudges() for replica in replicas))  # and a restart
    async with db.read_only() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        runs = await session.scalar(
            select(func.count()).where(ProcessedEvent.event_id.startswith("run:nudges:"))
        )
    assert (queued, runs) == (6, 6)


@pytest.mark.postgres
async def test_of_two_running_schedulers_exactly_one_runs_the_jobs(postgres_url: str) -> None:
    from storage.migrate import upgrade_async

    await upgrade_async(postgres_url)
    databases = [Database(postgres_url), Database(postgres_url)]
    replicas = [scheduler(db) for db in databases]
    tasks = [asyncio.ensure_future(replica.run_forever()) for replica in replicas]
    try:
        await asyncio.sleep(1.0)
        running = [replica._apscheduler is not None for replica in replicas]
        assert sorted(running) == [False, True]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for db in databases:
            await db.dispose()


async def test_queueing_directly_and_by_schedule_share_the_days_key(db: Database) -> None:
    await seed(db, 2)
    services = scheduler(db).services
    report = await queue_daily_nudges(
        services, as_of=NOW, platforms={"slack"}, renderers=Renderers(), on_schedule=False
    )
    assert len(report.queued) == 2
    await scheduler(db).nudges()
    async with db.read_only() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


async def test_a_job_runs_on_its_own_thread_while_the_event_loop_keeps_answering(
    db: Database,
) -> None:
    thread = JobThread(scheduler(db).services)
    seen: dict[str, object] = {}

    async def heavy_job() -> None:
        seen["thread"] = threading.current_thread().name
        async with thread.services.db.read_only() as session:  # its own engine works there
            seen["answer"] = await session.scalar(text("SELECT 41 + 1"))
        until = time.monotonic() + 0.5
        while time.monotonic() < until:  # CPU-bound work that never awaits
            pass

    try:
        running = asyncio.ensure_future(thread.run(heavy_job))
        turns = 0
        while not running.done():
            await asyncio.sleep(0.01)
            turns += 1
        await running
    finally:
        thread.close()
    assert seen == {"thread": "accountbot-jobs", "answer": 42}
    assert turns >= 10  # run on this loop, the job would have allowed about one
    assert not thread.thread.is_alive()
