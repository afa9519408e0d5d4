"""One real accountbot server per test module, on loopback, talking to a fake Slack.

The database is a real, migrated SQLite file filled through the ORM; the clock is fixed; the
Slack Web API and response_url endpoints are a recording aiohttp server (tests/channels/
slack_fakes.py). Tests send signed requests exactly as Slack does and assert on what the user
would see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import AccountBotApp, build_app
from bot.settings import Settings
from storage.db import Database
from tests.channels.slack_book import Book, seed_book
from tests.channels.slack_fakes import FakeSlack, SlackSender
from tests.support.templates import SqliteTemplate

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


def slack_settings(database_url: str, api_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def start_server(web_app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@dataclass
class SlackWorld:
    slack: FakeSlack
    send: SlackSender
    app: AccountBotApp
    db: Database
    base_url: str
    book: Book
    http: aiohttp.ClientSession


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate
) -> AsyncIterator[SlackWorld]:
    """The accountbot server (real Bolt app, real HTTP) with a seeded book."""
    url = sqlite_template.copy(tmp_path_factory.mktemp("slack") / "accountbot.db")
    db = Database(url)
    async with db.unit_of_work() as session:
        book = await seed_book(session, now=NOW)
    slack = FakeSlack()
    await slack.start()
    app = build_app(slack_settings(url, slack.api_url), clock=lambda: NOW)
    runner, base_url = await start_server(app.web)
    http = aiohttp.ClientSession()
    sender = SlackSender(f"{base_url}/slack/events", SIGNING_SECRET, slack, http)
    try:
        yield SlackWorld(slack, sender, app, db, base_url, book, http)
    finally:
        await http.close()
        await runner.cleanup()
        await slack.stop()
        await db.dispose()


@pytest.fixture(autouse=True)
def _fresh_recordings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test sees only the Slack traffic it caused."""
    if "world" in request.fixturenames:
        request.getfixturevalue("world").slack.reset()
    yield
