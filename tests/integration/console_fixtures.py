"""The demo console's test book and a `run` fixture that scripts it (see test_console.py).

A real migrated SQLite file; the clock is fixed at Wednesday 2026-03-04 15:00 UTC. Ann (AM,
team Atlas) owns Acme Robotics (onboarding, kick-off not done) and a hostile-named account;
Lea leads Atlas.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.demo.console import Console
from bot.services.container import build_services
from bot.settings import Settings
from storage.db import Database
from storage.models import Role, Stage, User
from tests.integration.builders import make_account, make_meeting, make_team, make_user

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
HOSTILE = "Evil\x1b[2J Co\u202e"


async def _seed(db: Database) -> dict[str, int]:
    async with db.unit_of_work() as session:
        atlas = await make_team(session, name="Atlas", timezone="Europe/London")
        ann = await make_user(session, team=atlas, name="Ann Smith", email="ann@example.com")
        lea = await make_user(
            session, team=atlas, name="Lea Lead", email="lea@example.com", role=Role.LEAD
        )
        acme = await make_account(
            session,
            owner=ann,
            name="Acme Robotics",
            stage=Stage.ONBOARDING,
            started_on=date(2026, 3, 2),
            stage_entered_at=NOW - timedelta(days=2),
        )
        await make_account(session, owner=ann, name=HOSTILE)
        await make_meeting(session, account=acme, occurred_at=NOW - timedelta(days=2))
        hana = await make_user(
            session,
            name="Hana Head",
            email="hana@example.com",
            role=Role.HEAD,
            seniority=None,
            timezone="Asia/Singapore",
        )
    return {"ann": ann.id, "lea": lea.id, "acme": acme.id, "hana": hana.id}


async def _run(db: Database, settings: Settings, actor_id: int, script: str) -> str:
    services = build_services(settings, clock=lambda: NOW)
    lines: Iterator[str] = iter(script.splitlines())
    async with db.read_only() as session:
        actor = await session.get(User, actor_id)
    assert actor is not None
    out = io.StringIO()
    console = Console(
        services, actor, read_line=lambda _prompt: next(lines, None), out=out, echo_input=True
    )
    try:
        await console.run()
    finally:
        await services.db.dispose()
    return out.getvalue()


@pytest.fixture
def settings(migrated_sqlite_url: str) -> Settings:
    """Settings for the same file as ``sqlite_db``."""
    return Settings(_env_file=None, database_url=migrated_sqlite_url)  # type: ignore[call-arg]


@pytest.fixture
async def book(sqlite_db: Database) -> dict[str, int]:
    """The seeded book: user and account ids by first name."""
    return await _seed(sqlite_db)


Run = Callable[[str, str], Awaitable[str]]


@pytest.fixture
def run(sqlite_db: Database, settings: Settings, book: dict[str, int]) -> Run:
    """``await run("ann", "status acme")``: what the console prints for that person's script."""

    async def as_person(who: str, script: str) -> str:
        return await _run(sqlite_db, settings, book[who], script)

    return as_person
