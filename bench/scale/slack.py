"""A fake Slack that timestamps answers, and a client that asks the way Slack does.

``Slack`` serves the Web API (``/api/<method>``) and response_urls (``/respond/<token>``) on
loopback, like tests/channels/slack_fakes.py, but keeps no recordings: each request the
benchmark sends waits on a future that the answer resolves with ``time.perf_counter()`` the
moment it arrives (a response_url post, or views.publish for the person's App Home).
``Asker`` sends signed slash commands and ``app_home_opened`` events to ``/slack/events``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

from tests.channels.conftest import start_server
from tests.channels.slack_fakes import BOT_USER_ID, TEAM_ID, sign

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
APOLOGY = "something went wrong"
ANSWER_TIMEOUT_SECONDS = 120.0


class Slack:
    def __init__(self) -> None:
        self.url = ""
        self.apologies = 0
        self.fallback_dms = 0
        self.last_answer = ""  # what the latest answer said (its start), to show and check
        self._answers: dict[str, asyncio.Future[float]] = {}
        self._homes: defaultdict[str, deque[asyncio.Future[float]]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        self._runner, self.url = await start_server(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self) -> tuple[str, asyncio.Future[float]]:
        """A new response_url, and the future its first answer resolves."""
        token = f"r{next(self._ids)}"
        self._answers[token] = asyncio.get_running_loop().create_future()
        return f"{self.url}/respond/{token}", self._answers[token]

    def home_published(self, slack_user_id: str) -> asyncio.Future[float]:
        """A future the next views.publish for this person resolves (in order of asking)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._homes[slack_user_id].append(future)
        return future

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.read()
        at = time.perf_counter()
        token = request.match_info["token"]
        text = body.decode("utf-8", "replace")
        if APOLOGY in text.lower():
            self.apologies += 1
        self.last_answer = str(json.loads(body).get("text", ""))[:160]
        future = self._answers.pop(token, None)
        if future is not None and not future.done():
            future.set_result(at)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        at = time.perf_counter()
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body.update(json.loads(raw) if raw else {})
        else:
            body.update(parse_qsl(raw, keep_blank_values=True))
        answer: dict[str, Any] = {}
        if method == "views.publish":
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            self.last_answer = f"App Home with {len(view.get('blocks', []))} blocks"
            waiting = self._homes.get(str(body.get("user_id")))
            if waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_result(at)
            answer = {"view": {"id": f"V{next(self._ids):08d}"}}
        elif method == "auth.test":
            answer = {"user_id": BOT_USER_ID, "bot_id": "B0000001", "team_id": TEAM_ID}
        elif method == "chat.postMessage":
            self.fallback_dms += 1  # an answer that missed its response_url
            answer = {"channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        return web.json_response({"ok": True, **answer})


class Asker:
    """Signed requests to an app's /slack/events, each timed until its answer arrives."""

    def __init__(self, events_url: str, slack: Slack, http: aiohttp.ClientSession) -> None:
        self.events_url = events_url
        self.slack = slack
        self.http = http

    async def _post(self, body: str, content_type: str) -> None:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(SIGNING_SECRET, ts, body),
        }
        async with self.http.post(self.events_url, data=body.encode(), headers=headers) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(f"/slack/events answered HTTP {r.status}")

    async def command(self, text: str, user: str) -> float:
        """``/account text`` as ``user``: seconds until the answer reached its response_url."""
        response_url, answered = self.slack.response_url()
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "bench",
            "channel_id": f"D{user[1:]}",
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/account",
            "text": text,
            "api_app_id": "A0000001",
            "response_url": response_url,
            "trigger_id": f"bench-{uuid.uuid4().hex}",
        }
        started = time.perf_counter()
        await self._post(urlencode(form), "application/x-www-form-urlencoded")
        return await asyncio.wait_for(answered, ANSWER_TIMEOUT_SECONDS) - started

    async def home(self, user: str) -> float:
        """``app_home_opened`` for ``user``: seconds until views.publish reached Slack."""
        published = self.slack.home_published(user)
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0000001",
            "event": {"type": "app_home_opened", "user": user, "tab": "home"},
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        started = time.perf_counter()
        await self._post(json.dumps(envelope), "application/json")
        return await asyncio.wait_for(published, ANSWER_TIMEOUT_SECONDS) - started
