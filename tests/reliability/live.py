"""A running accountbot (Slack surface) on loopback, driven from synchronous test code.

The server, a fake Slack and the signing client run on an event loop in a thread of their
own, so property-based tests (hypothesis, which is synchronous) and fault injection (moving
files, stopping PostgreSQL) can drive real HTTP requests and wait for their answers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from bot.app import AccountBotApp, build_app
from storage.db import Database
from tests.channels.conftest import SIGNING_SECRET, slack_settings, start_server
from tests.channels.slack_fakes import FakeSlack, SlackSender

T = TypeVar("T")
ANSWER_TIMEOUT_SECONDS = 8.0


class LiveServer:
    """accountbot + a fake Slack, on a private event loop; `run(coro)` executes there."""

    def __init__(self, database_url: str, now: datetime, **settings: object) -> None:
        self.database_url = database_url
        self.now = now
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.slack = FakeSlack()
        self.app: AccountBotApp | None = None
        self.db: Database | None = None
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._send: SlackSender | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> LiveServer:
        self._thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        await self.slack.start()
        self.app = build_app(
            slack_settings(self.database_url, self.slack.api_url, **self.settings),
            clock=lambda: self.now,
        )
        self._runner, self.base_url = await start_server(self.app.web)
        self._http = aiohttp.ClientSession()
        self._send = SlackSender(
            f"{self.base_url}/slack/events", SIGNING_SECRET, self.slack, self._http
        )
        self.db = Database(self.database_url)

    def stop(self) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self.loop.close()

    async def _stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.slack.stop()
        if self.db is not None:
            await self.db.dispose()

    # -- running things on the server's loop ----------------------------------------------

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        return future.result(timeout)

    @property
    def send(self) -> SlackSender:
        assert self._send is not None
        return self._send

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._http is not None
        return self._http

    # -- what tests do --------------------------------------------------------------------

    def command(self, text: str, user: str) -> tuple[str, float]:
        """Send `/account text` signed; the response_url and how long the HTTP ack took."""
        started = time.monotonic()
        url = self.run(self.send.command(text, user=user))
        return url, time.monotonic() - started

    def answer(self, response_url: str, count: int = 1) -> dict[str, Any]:
        """The `count`-th message at this response_url (waits for it)."""
        return self.run(self._answer(response_url, count), timeout=ANSWER_TIMEOUT_SECONDS + 5)

    async def _answer(self, response_url: str, count: int) -> dict[str, Any]:
        posted = await self.slack.wait_for(
            lambda: (
                len(self.slack.posted_to(response_url)) >= count
                and self.slack.posted_to(response_url)
            ),
            timeout=ANSWER_TIMEOUT_SECONDS,
        )
        return posted[count - 1]

    def post(
        self, body: str | bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """POST raw bytes to /slack/events with exactly these headers (forgeries)."""
        return self.run(self._post(body, content_type, headers or {}))

    async def _post(
        self, body: str | bytes, content_type: str, headers: dict[str, str]
    ) -> tuple[int, str]:
        data = body.encode() if isinstance(body, str) else body
        async with self.http.post(
            f"{self.base_url}/slack/events",
            data=data,
            headers={"Content-Type": content_type, **headers},
        ) as response:
            return response.status, await response.text()

    def signed(self, body: str, content_type: str) -> tuple[int, str]:
        """POST a body signed as Slack would."""
        return self.run(self.send.post(body, content_type))

    def get(self, path: str) -> tuple[int, Any]:
        return self.run(self._get(path))

    async def _get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(f"{self.base_url}{path}") as response:
            return response.status, await response.json()

    def in_db(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``work(session)`` in a read-only session on the server's database."""
        assert self.db is not None
        db = self.db

        async def go() -> T:
            async with db.read_only() as session:
                return await work(session)

        return self.run(go())

    def settle(self, seconds: float = 0.2) -> None:
        """Let background work (answers after the ack) finish."""
        self.run(asyncio.sleep(seconds))
