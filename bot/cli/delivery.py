"""Sending from the command line (`nudges --send`, `digest --send`), the outbox, the scheduler.

The command line drives the same path as the scheduler: decide, queue in the outbox, drain.
It sends at once whatever the clock says (only the scheduler waits for each person's nudge
time) and exits non-zero when something it queued could not be sent.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import datetime

import typer

from bot.cli.common import fail, load_settings, open_services, prepare_database
from bot.delivery.outbox import drop, messages, retry
from bot.delivery.runs import QueueReport, queue_daily_nudges, queue_digests
from bot.delivery.sender import DrainReport
from bot.delivery.wiring import Delivery, delivery_from_settings
from bot.formatting import count_of
from bot.services.container import Services
from bot.services.kpis import IsoWeek
from storage.models import OutboxStatus

SEND_TIMEOUT_SECONDS = 900


def _report(what: str, queued: QueueReport, drained: DrainReport) -> int:
    sent = len(drained.sent)
    typer.echo(f"Sent {sent} {what}." if sent or not queued.skipped else "Nothing new to send.")
    if queued.skipped:
        typer.echo(f"{queued.skipped} already queued earlier (not sent again).")
    if queued.unreachable:
        names = ", ".join(sorted(queued.unreachable)[:20])
        typer.echo(f"No way to reach {len(queued.unreachable)}: {names}.", err=True)
    pending = set(queued.queued) - set(drained.sent) - set(drained.parked)
    for row_id, error in sorted(drained.parked.items()):
        typer.echo(f"Not sent (parked), outbox #{row_id}: {error}", err=True)
    if pending:
        typer.echo(
            f"Still waiting to be retried: {', '.join(f'#{i}' for i in sorted(pending))}", err=True
        )
    return 1 if drained.parked or pending else 0


def _needs_a_platform(delivery: Delivery) -> None:
    if not delivery.platforms:
        fail(
            "Nothing can be sent: configure Slack (SLACK_BOT_TOKEN) or Teams (MicrosoftAppId) "
            "first; `accountbot nudges` without --send lists what is due."
        )


async def send_nudges(services: Services, as_of: datetime) -> int:
    delivery = delivery_from_settings(services)
    _needs_a_platform(delivery)
    queued = await queue_daily_nudges(
        services,
        as_of=as_of,
        platforms=delivery.platforms,
        renderers=delivery.renderers,
        on_schedule=False,
    )
    async with delivery.connected():
        drained = await delivery.sender.drain(ids=set(queued.queued), timeout=SEND_TIMEOUT_SECONDS)
    return _report("nudge DMs", queued, drained)


async def send_digests(services: Services, team: str | None, week: IsoWeek | None) -> int:
    delivery = delivery_from_settings(services)
    _needs_a_platform(delivery)
    queued = await queue_digests(
        services,
        now=services.clock(),
        platforms=delivery.platforms,
        renderers=delivery.renderers,
        on_schedule=False,
        team_name=team,
        week=week,
    )
    async with delivery.connected():
        drained = await delivery.sender.drain(ids=set(queued.queued), timeout=SEND_TIMEOUT_SECONDS)
    return _report("digest posts", queued, drained)


async def _outbox(action: str, row_id: int | None) -> None:
    settings = load_settings()
    services = open_services(settings)
    try:
        await prepare_database(settings)
        async with services.db.unit_of_work() as session:
            if action == "list":
                shown = await messages(
                    session,
                    statuses=(
                        OutboxStatus.PENDING,
                        OutboxStatus.SENDING,
                        OutboxStatus.PARKED,
                        OutboxStatus.SENT,
                    ),
                )
                for row in shown:
                    when = (row.sent_at or row.next_attempt_at).strftime("%Y-%m-%d %H:%M")
                    error = f"  {row.last_error}" if row.last_error else ""
                    typer.echo(
                        f"#{row.id:<6} {row.status.value:<8} {row.kind:<10} {row.platform:<6} "
                        f"{row.target:<24} {when} tries {row.attempts}{error}"
                    )
                if not shown:
                    typer.echo("The outbox is empty.")
                return
            assert row_id is not None
            if action == "retry":
                done, said = await retry(session, row_id, now=services.clock()), "queued again"
            else:
                done, said = await drop(session, row_id), "dropped"
            if not done:
                fail(f"No outbox message #{row_id} to {action}.", 1)
        typer.echo(f"Outbox message #{row_id}: {said}.")
        if action == "retry":
            delivery = delivery_from_settings(services)
            if delivery.platforms:
                async with delivery.connected():
                    drained = await delivery.sender.drain(ids={row_id}, timeout=120)
                if row_id in drained.parked:
                    fail(f"Not sent (parked again): {drained.parked[row_id]}", 1)
                if row_id in drained.sent:
                    typer.echo("Sent.")
    finally:
        await services.db.dispose()


async def _scheduler() -> None:
    from bot.delivery.scheduler import Scheduler

    settings = load_settings()
    services = open_services(settings)
    await prepare_database(settings)
    delivery = delivery_from_settings(services)
    jobs = Scheduler(services, delivery.sender, delivery.platforms)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    targets = ", ".join(sorted(delivery.platforms)) or "nothing"
    try:
        async with delivery.connected():
            tasks = [
                asyncio.ensure_future(delivery.sender.run_forever()),
                asyncio.ensure_future(jobs.run_forever()),
            ]
            typer.echo(f"accountbot scheduler running (sends to: {targets}).")
            try:
                await stop.wait()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await services.db.dispose()


async def _refresh_risks() -> None:
    from bot.services.risk_snapshot import refresh_all

    settings = load_settings()
    services = open_services(settings)
    try:
        await prepare_database(settings)
        started = time.perf_counter()
        flagged = await refresh_all(
            services.db,
            now=services.clock(),
            playbooks=services.playbooks,
            recap_grace_hours=services.nudge_rules.recap_grace_hours,
            recap_lookback_days=services.nudge_rules.recap_lookback_days,
        )
        took = time.perf_counter() - started
        typer.echo(
            f"Risk snapshot refreshed in {took:.1f}s: {count_of(flagged, 'account')} at risk."
        )
    finally:
        await services.db.dispose()


def register(app: typer.Typer) -> None:
    outbox_app = typer.Typer(
        help="Messages waiting to be sent, parked or sent lately.", no_args_is_help=True
    )

    @outbox_app.command("list")
    def list_outbox() -> None:
        """Pending, parked and recently sent messages, newest first."""
        asyncio.run(_outbox("list", None))

    @outbox_app.command("retry")
    def retry_outbox(row_id: int = typer.Argument(..., metavar="ID")) -> None:
        """Send a parked (or dropped) message again."""
        asyncio.run(_outbox("retry", row_id))

    @outbox_app.command("drop")
    def drop_outbox(row_id: int = typer.Argument(..., metavar="ID")) -> None:
        """Give up on a message that was not sent."""
        asyncio.run(_outbox("drop", row_id))

    app.add_typer(outbox_app, name="outbox")

    @app.command()
    def scheduler() -> None:
        """Run only the timed jobs and the outbox sender (no web server)."""
        asyncio.run(_scheduler())

    @app.command("refresh-risks")
    def refresh_risks() -> None:
        """Work out every account's risk flags now (the scheduler does it every few minutes);
        large at-risk lists are read from them."""
        asyncio.run(_refresh_risks())
