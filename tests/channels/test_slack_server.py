"""The HTTP edge: Slack signature checks, /healthz, and where Web API calls go."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio

from bot.app import build_app
from tests.channels.conftest import (
    BOT_TOKEN,
    NOW,
    SlackWorld,
    slack_settings,
    start_server,
)
from tests.channels.slack_book import ALICE
from tests.channels.slack_fakes import FakeSlack

pytestmark = pytest.mark.asyncio(loop_scope="module")

COMMAND = urlencode(
    {
        "command": "/account",
        "text": "help",
        "user_id": ALICE,
        "team_id": "T0000001",
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "t",
    }
)
FORM = "application/x-www-form-urlencoded"


async def test_signed_request_is_accepted_and_bolts_calls_go_to_slack_api_url(
    world: SlackWorld,
) -> None:
    url = await world.send.command("help", user=ALICE)
    await world.slack.response(url)
    assert world.slack.calls_to("auth.test")[0].authorization == f"Bearer {BOT_TOKEN}"


@pytest.mark.parametrize(
    ("timestamp_age", "signature"),
    [
        (0, "v0=" + "0" * 64),  # wrong signature
        (0, ""),  # no signature
        (6 * 60, None),  # correctly signed, but six minutes old: a replay
        (-6 * 60, None),  # from the future
    ],
    ids=["bad-signature", "missing-signature", "stale-timestamp", "future-timestamp"],
)
async def test_unverified_requests_are_refused_with_401_and_do_nothing(
    world: SlackWorld, timestamp_age: int, signature: str | None
) -> None:
    status, _ = await world.send.post(
        COMMAND, FORM, timestamp=int(time.time()) - timestamp_age, signature=signature
    )
    assert status == 401
    assert world.slack.calls == []


async def test_request_without_slack_headers_is_refused_with_401(world: SlackWorld) -> None:
    async with world.http.post(
        f"{world.base_url}/slack/events", data=COMMAND, headers={"Content-Type": FORM}
    ) as response:
        assert response.status == 401


async def test_malformed_body_is_401_unsigned_and_400_signed(world: SlackWorld) -> None:
    unsigned, _ = await world.send.post("{not json", "application/json", signature="v0=00")
    assert unsigned == 401
    signed, _ = await world.send.post("{not json", "application/json")
    assert signed == 400


async def test_healthz_reports_a_reachable_database(world: SlackWorld) -> None:
    async with world.http.get(f"{world.base_url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "database": "ok",
            "backend": "sqlite",
            "surfaces": ["slack"],
        }


@pytest_asyncio.fixture(loop_scope="module")
async def unreachable_db_server(tmp_path: Path) -> AsyncIterator[str]:
    fake = FakeSlack()
    await fake.start()
    missing = tmp_path / "no-such-directory" / "accountbot.db"
    app = build_app(slack_settings(f"sqlite:///{missing}", fake.api_url), clock=lambda: NOW)
    runner, base_url = await start_server(app.web)
    try:
        yield base_url
    finally:
        await runner.cleanup()
        await fake.stop()


async def test_healthz_is_503_when_the_database_is_unreachable(
    unreachable_db_server: str,
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{unreachable_db_server}/healthz") as response,
    ):
        assert response.status == 503
        assert await response.json() == {
            "status": "unavailable",
            "database": "unreachable",
            "backend": "sqlite",
            "surfaces": ["slack"],
        }
