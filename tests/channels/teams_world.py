"""A running accountbot serving only Teams, on loopback, with a fake Bot Connector.

A pytest plugin (registered in tests/conftest.py): the `teams_world` fixture, one server per
test module. The book is the Slack tests' book; Alice, Lena and Bob have Entra object ids,
Eve is found by the email the connector's roster gives. Requests are unauthenticated
(TEAMS_ALLOW_UNAUTHENTICATED=1, no app id), as with the Bot Framework Emulator; the
authentication tests build their own server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.app import AccountBotApp, build_app
from bot.settings import Settings
from storage.db import Database
from storage.models import User
from tests.channels.conftest import NOW, start_server
from tests.channels.slack_book import Book, seed_book
from tests.channels.teams_fakes import FakeConnector, TeamsSender, TeamsUser
from tests.support.templates import SqliteTemplate

ALICE_T = TeamsUser("29:1alice", "Alice Archer", "a11ce000-0000-4000-8000-000000000001")
LENA_T = TeamsUser("29:1lena", "Lena Lead", "1e0a0000-0000-4000-8000-000000000002")
BOB_T = TeamsUser("29:1bob", "Bob Baker", "b0b00000-0000-4000-8000-000000000003")
EVE_T = TeamsUser("29:1eve", "Eve Early", "e7e00000-0000-4000-8000-000000000004")
STRANGER_T = TeamsUser("29:1stranger", "Sam Stranger", "57a00000-0000-4000-8000-000000000005")
AAD_IDS = {
    "alice@example.com": ALICE_T.aad_object_id,
    "lena@example.com": LENA_T.aad_object_id,
    "bob@example.com": BOB_T.aad_object_id,
}


def teams_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "teams_allow_unauthenticated": True,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def give_teams_ids(db: Database) -> None:
    async with db.unit_of_work() as session:
        for user in await session.scalars(select(User).where(User.email.in_(AAD_IDS))):
            user.teams_aad_object_id = AAD_IDS[user.email]


@dataclass
class TeamsWorld:
    connector: FakeConnector
    send: TeamsSender
    app: AccountBotApp
    db: Database
    base_url: str
    book: Book
    http: aiohttp.ClientSession

    async def say(self, activity: dict[str, Any], count: int = 1) -> dict[str, Any]:
        """Post an activity; the `count`-th card the bot sent or updated in answer."""
        before = len(self.connector.calls_to("send", "reply", "update"))
        status, _ = await self.send.post(activity)
        assert status in (200, 201, 202), status
        calls = await self.connector.wait_for(
            lambda: (
                len(self.connector.calls_to("send", "reply", "update")) >= before + count
                and self.connector.calls_to("send", "reply", "update")
            )
        )
        return calls[before + count - 1].body  # type: ignore[no-any-return]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def teams_world(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate
) -> AsyncIterator[TeamsWorld]:
    url = sqlite_template.copy(tmp_path_factory.mktemp("teams") / "accountbot.db")
    db = Database(url)
    async with db.unit_of_work() as session:
        book = await seed_book(session, now=NOW)
    await give_teams_ids(db)
    connector = FakeConnector()
    await connector.start()
    connector.members[EVE_T.id] = {
        "id": EVE_T.id,
        "name": EVE_T.name,
        "aadObjectId": EVE_T.aad_object_id,
        "email": "eve@example.com",
        "userPrincipalName": "eve@example.com",
    }
    app = build_app(teams_settings(url), clock=lambda: NOW)
    runner, base_url = await start_server(app.web)
    http = aiohttp.ClientSession()
    sender = TeamsSender(f"{base_url}/api/messages", connector, http)
    try:
        yield TeamsWorld(connector, sender, app, db, base_url, book, http)
    finally:
        await http.close()
        await runner.cleanup()
        await connector.stop()
        await db.dispose()


@pytest.fixture(autouse=True)
def _fresh_teams_recordings(request: pytest.FixtureRequest) -> Iterator[None]:
    if "teams_world" in request.fixturenames:
        request.getfixturevalue("teams_world").connector.reset()
    yield
