"""Draining the outbox: send what is due, fast but within each platform's limits.

Messages to one conversation go one after another, a second apart (Slack allows about one
message per second per channel); conversations are sent to in parallel, paced to the
platform's overall rate (SLACK_MESSAGES_PER_SECOND, TEAMS_MESSAGES_PER_SECOND), so 500 morning
DMs take about a minute, not ten. A failure is retried with backoff (a platform's Retry-After
wins); a message that keeps failing, or that the platform refuses for good, is parked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select

from bot.delivery.outbox import CLAIM_LEASE, claim, mark_failed, mark_sent
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

PER_CONVERSATION_SECONDS = 1.0
MAX_IN_FLIGHT = 50
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class Sent:
    message_id: str | None


@dataclass(frozen=True)
class Failed:
    """Not sent: retried after ``retry_after`` seconds (or backoff), unless ``final``."""

    error: str
    retry_after: float | None = None
    final: bool = False


class PlatformSender(Protocol):
    platform: str
    rate: float  # messages per second across all conversations

    async def send(self, message: OutboxMessage) -> Sent | Failed: ...


class Pacer:
    """Starts spaced evenly a little under ``rate`` per second, so a platform counting in one
    second windows never sees one too many (a 429 costs its Retry-After)."""

    MARGIN = 0.97

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.interval = 1.0 / (rate * self.MARGIN)
        self.burst = burst
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now - self.burst * self.interval)
            delay = self._next - now
            self._next += self.interval
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class DrainReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    parked: dict[int, str] = field(default_factory=dict)

    def add(self, other: DrainReport) -> None:
        self.sent += other.sent
        self.retrying = other.retrying
        self.parked.update(other.parked)


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class OutboxSender:
    """Claims due rows and sends them through the platform senders it was given."""

    def __init__(
        self,
        db: Database,
        platforms: Iterable[PlatformSender],
        *,
        clock: Callable[[], datetime],
        max_attempts: int = 6,
        lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self.db = db
        self.platforms = {sender.platform: sender for sender in platforms}
        self.pacers = {name: Pacer(sender.rate) for name, sender in self.platforms.items()}
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = lease
        self.worker = f"{os.uname().nodename[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._last_sent: dict[tuple[str, str], float] = {}
        self._gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._wake = asyncio.Event()

    async def drain_once(self, limit: int = 500) -> DrainReport:
        """Send every row due now (one claim); what was sent, retried and parked."""
        async with self.db.unit_of_work() as session:
            rows = await claim(
                session, worker=self.worker, now=self.clock(), limit=limit, lease=self.lease
            )
        report = DrainReport()
        by_conversation: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_conversation[(row.platform, row.target)].append(row)
        await asyncio.gather(
            *(self._send_in_order(group, report) for group in by_conversation.values())
        )
        return report

    async def drain(self, *, ids: set[int] | None = None, timeout: float = 600) -> DrainReport:
        """Send until nothing is due; with ``ids``, until each of them is sent or parked
        (waiting out retries), or ``timeout`` seconds pass."""
        total = DrainReport()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            report = await self.drain_once()
            total.add(report)
            idle = not (report.sent or report.parked or report.retrying)
            if ids is None:
                if idle:  # nothing was due
                    return total
                continue
            if not await self._open(ids):
                return total
            if idle:  # the rest wait for their retry time
                await asyncio.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        return total

    async def _open(self, ids: set[int]) -> set[int]:
        async with self.db.read_only() as session:
            stmt = select(OutboxMessage.id).where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            )
            return set((await session.scalars(stmt)).all())

    async def _send_in_order(self, rows: list[OutboxMessage], report: DrainReport) -> None:
        for row in rows:
            await self._send(row, report)

    async def _send(self, row: OutboxMessage, report: DrainReport) -> None:
        sender = self.platforms.get(row.platform)
        if sender is None:
            outcome: Sent | Failed = Failed(f"{row.platform} is not configured in this process")
        else:
            conversation = (row.platform, row.target)
            since = time.monotonic() - self._last_sent.get(conversation, 0.0)
            if since < PER_CONVERSATION_SECONDS:
                await asyncio.sleep(PER_CONVERSATION_SECONDS - since)
            await self.pacers[row.platform].wait()
            async with self._gate:
                try:
                    outcome = await sender.send(row)
                except Exception as exc:  # a bug in a sender must not stop the others
                    log.exception("sending outbox message %s failed", row.id)
                    outcome = Failed(f"{type(exc).__name__}")
            self._last_sent[conversation] = time.monotonic()
        await self._record(row, outcome, report)

    async def _record(
        self, row: OutboxMessage, outcome: Sent | Failed, report: DrainReport
    ) -> None:
        now = self.clock()
        async with self.db.unit_of_work() as session:
            if isinstance(outcome, Sent):
                await mark_sent(
                    session, row.id, worker=self.worker, message_id=outcome.message_id, now=now
                )
                report.sent.append(row.id)
                return
            park = outcome.final or row.attempts >= self.max_attempts
            wait = outcome.retry_after if outcome.retry_after is not None else backoff(row.attempts)
            retry_at = None if park else now + timedelta(seconds=wait)
            await mark_failed(
                session, row.id, worker=self.worker, error=outcome.error, retry_at=retry_at
            )
        if park:
            report.parked[row.id] = outcome.error
            log.warning("parked outbox message %s (%s): %s", row.id, row.kind, outcome.error)
        else:
            report.retrying.append(row.id)
            log.info("outbox message %s will be retried in %.0f s: %s", row.id, wait, outcome.error)

    def kick(self) -> None:
        """Something was queued: drain now (`run_forever` waits for this or its poll)."""
        self._wake.set()

    async def run_forever(self, poll_seconds: float = 10.0) -> None:
        """Drain whenever kicked, and every ``poll_seconds`` for retries and other processes'
        rows; never stops on an error (it is logged)."""
        while True:
            try:
                await self.drain(timeout=60)
            except Exception:
                log.exception("draining the outbox failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            self._wake.clear()
