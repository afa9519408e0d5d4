"""A fake Slack on loopback, and a client that sends requests exactly as Slack signs them.

`FakeSlack` is an aiohttp server answering the Web API (`POST /api/<method>`) with
`{"ok": true, ...}` and recording every call, plus response_url endpoints
(`POST /respond/<id>`) recording what the user would see, and the upload URLs
files.getUploadURLExternal hands out (`POST /upload/<file id>`, what files_upload_v2 sends).
`SlackSender` posts signed, form-encoded slash commands, `payload=` interactivity and JSON
Events API envelopes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

BOT_USER_ID = "UBOT0001"
POSTING_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})
VIEW_METHODS = frozenset({"views.open", "views.publish", "views.update"})
TEAM_ID = "T0000001"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    authorization: str | None
    at: float = field(default_factory=time.monotonic)
    # The caller's end of the TCP connection the call came over (its address and port).
    peer: tuple[str, int] | None = None
    view_id: str | None = None  # the id Slack gave the view of a views.* call


def _address(peer: Any) -> tuple[str, int] | None:
    return (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else None


@dataclass
class FakeSlack:
    """Records Web API calls and response_url posts; answers like Slack does."""

    emails: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failing_methods: dict[str, str] = field(default_factory=dict)
    # HTTP failures to answer with, in order, before answering normally: method or "respond".
    http_failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    failed_attempts: list[tuple[str, int]] = field(default_factory=list)
    # Seconds to wait before answering the next calls of a target (a hung Slack).
    delays: dict[str, list[float]] = field(default_factory=dict)
    # chat.postMessage calls (1-based) that are taken (recorded) and then never answered.
    stall_calls: set[int] = field(default_factory=set)
    # chat.postMessage failing at random: (share answered 429, share answered 500).
    chaos: tuple[float, float] = (0.0, 0.0)
    chaos_rng: random.Random = field(default_factory=lambda: random.Random(7))
    # Slack's rate limits for chat.postMessage: per channel and workspace-wide, per second.
    per_channel_per_second: float | None = None
    workspace_per_second: float | None = None
    _channel_last: dict[str, float] = field(default_factory=dict)
    _workspace_times: list[float] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    # Files uploaded to the URLs files.getUploadURLExternal handed out: file id -> bytes.
    uploads: dict[str, bytes] = field(default_factory=dict)
    # Every client connection a Web API call came on, ever (reset() keeps them).
    connections: set[tuple[str, int] | None] = field(default_factory=set)
    url: str = ""
    _socket_peer: web.WebSocketResponse | None = None
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None
    _stopping: asyncio.Event | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _epoch: int = 0  # bumped by reset(): calls hanging since belong to a test that is over

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)  # Slack takes GET and POST
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._changed = asyncio.Condition()
        self._stopping = asyncio.Event()

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        self._epoch += 1
        self.calls.clear()
        self.responses.clear()
        self.failing_methods.clear()
        self.http_failures.clear()
        self.failed_attempts.clear()
        self.delays.clear()

    def hang(self, target: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` calls of `target` only after `seconds` (a timeout)."""
        self.delays.setdefault(target, []).extend([seconds] * times)

    async def _maybe_hang(self, target: str) -> bool:
        """Hang if asked to; False when a `reset` came meanwhile: the call belongs to a test
        that is over, and must not take the failures or record the calls of the next one."""
        queued = self.delays.get(target)
        if queued:
            epoch, seconds = self._epoch, queued.pop(0)
            self.failed_attempts.append((target, 0))
            await asyncio.sleep(seconds)
            return epoch == self._epoch
        return True

    def fail_http(self, target: str, *statuses: int, retry_after: int | None = None) -> None:
        """Answer the next calls of `target` (a Web API method, or "respond" for response_urls)
        with these HTTP statuses, then normally. 429s carry Retry-After when given."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.http_failures.setdefault(target, []).extend((s, headers) for s in statuses)

    def _limited(self, method: str, body: dict[str, Any]) -> web.Response | None:
        """Chaos, then Slack's rate limits, for the methods that post (chat.postMessage,
        files.completeUploadExternal): a 429 or 500 to answer."""
        if method not in POSTING_METHODS:
            return None
        p429, p500 = self.chaos
        roll = self.chaos_rng.random()
        if roll < p429 + p500:
            status = 429 if roll < p429 else 500
            self.failed_attempts.append((method, status))
            headers = {"Retry-After": "0"} if status == 429 else {}
            return web.json_response(
                {"ok": False, "error": "chaos"}, status=status, headers=headers
            )
        now = time.monotonic()
        channel = str(body.get("channel") or body.get("channel_id"))
        if self.per_channel_per_second is not None:
            last = self._channel_last.get(channel)
            if last is not None and now - last < 1 / self.per_channel_per_second:
                self.failed_attempts.append((method, 429))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
                )
        if self.workspace_per_second is not None:
            self._workspace_times = [t for t in self._workspace_times if now - t < 1.0]
            if len(self._workspace_times) >= self.workspace_per_second:
                self.failed_attempts.append((method, 429))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
                )
            self._workspace_times.append(now)
        self._channel_last[channel] = now
        return None

    def _http_failure(self, target: str) -> web.Response | None:
        queued = self.http_failures.get(target)
        if not queued:
            return None
        status, headers = queued.pop(0)
        self.failed_attempts.append((target, status))
        return web.json_response(
            {"ok": False, "error": f"http_{status}"}, status=status, headers=headers
        )

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def new_response_url(self) -> str:
        token = f"r{next(self._ids)}"
        self.responses[token] = []
        return f"{self.url}/respond/{token}"

    def posted_to(self, response_url: str) -> list[dict[str, Any]]:
        return self.responses.get(response_url.rsplit("/", 1)[1], [])

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, ready: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `ready()` is truthy (something arrived); fail after `timeout` seconds."""
        assert self._changed is not None
        async with self._changed:
            result = ready()
            deadline = time.monotonic() + timeout
            while not result:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("timed out waiting for Slack traffic")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
                result = ready()
            return result

    async def response(self, response_url: str, count: int = 1) -> dict[str, Any]:
        """The `count`-th message posted to this response_url (waits for it)."""
        posted = await self.wait_for(
            lambda: len(self.posted_to(response_url)) >= count and self.posted_to(response_url)
        )
        return posted[count - 1]

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if not await self._maybe_hang(method):
            return web.Response(status=504)
        raw = await request.text()
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body.update(json.loads(raw) if raw else {})
        else:
            body.update(parse_qsl(raw, keep_blank_values=True))
        failure = self._http_failure(method) or self._limited(method, body)
        if failure is not None:
            await self._notify()
            return failure
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.connections.add(_address(peer))
        call = Call(method, body, request.headers.get("Authorization"), peer=_address(peer))
        if method in VIEW_METHODS:  # unique for the fake's life, as form submissions key on it
            call.view_id = f"V{next(self._ids):08d}"
        self.calls.append(call)
        await self._notify()
        if method == "chat.postMessage" and len(self.calls_to(method)) in self.stall_calls:
            assert self._stopping is not None  # the message is posted; no answer comes
            await self._stopping.wait()
        if method in self.failing_methods:
            return web.json_response({"ok": False, "error": self.failing_methods[method]})
        return web.json_response({"ok": True, **self._answer(call)})

    def _answer(self, call: Call) -> dict[str, Any]:
        method, body = call.method, call.body
        if method == "auth.test":
            return {
                "user_id": BOT_USER_ID,
                "bot_id": "B0000001",
                "team_id": TEAM_ID,
                "team": "Test",
                "user": "accountbot",
            }
        if method == "users.info":
            user = body.get("user", "")
            profile = {"email": self.emails[user]} if user in self.emails else {}
            return {"user": {"id": user, "is_bot": False, "deleted": False, "profile": profile}}
        if method in VIEW_METHODS:
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else dict(view or {})
            return {"view": {**view, "id": call.view_id}}
        if method == "apps.connections.open":
            return {"url": self.url.replace("http://", "ws://") + "/socket"}
        if method == "chat.postMessage":
            return {"channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files") or "[]")
            return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {}

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        await self._notify()
        return web.Response(text=f"OK - {request.content_length}")

    def posted_files(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """Each files.completeUploadExternal call's body, with the bytes of the files it shared."""
        return [
            (call.body, [self.uploads.get(f["id"], b"") for f in json.loads(call.body["files"])])
            for call in self.calls_to("files.completeUploadExternal")
        ]

    async def _respond(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not await self._maybe_hang("respond"):
            return web.Response(status=504)
        failure = self._http_failure("respond")
        if failure is not None:
            await self._notify()
            return failure
        self.responses.setdefault(token, []).append(await request.json())
        await self._notify()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record what the app sends back (envelope acks)."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._socket_peer = ws
        await self._notify()
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0000001"}}
        )
        async for frame in ws:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(frame.data))
                await self._notify()
        return ws

    async def push(self, envelope: dict[str, Any]) -> None:
        """Deliver an envelope over the Socket Mode connection (waits for the app to connect)."""
        await self.wait_for(lambda: self._socket_peer is not None)
        assert self._socket_peer is not None
        await self._socket_peer.send_json(envelope)

    def view_arg(self, call: Call) -> dict[str, Any]:
        """The view a views.* call sent, with the id Slack gave it (forms are submitted by it)."""
        view = call.body["view"]
        view = json.loads(view) if isinstance(view, str) else dict(view)
        return {**view, "id": view.get("id") or call.view_id}


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackSender:
    """Sends requests to our /slack/events the way Slack does, signed with `secret`."""

    events_url: str
    secret: str
    slack: FakeSlack
    session: aiohttp.ClientSession
    last_trigger_id: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _trigger(self) -> str:
        """Slack makes a new trigger_id for every interaction, never used again."""
        self.last_trigger_id = f"trigger-{next(self._ids)}-{uuid.uuid4().hex[:12]}"
        return self.last_trigger_id

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature
            if signature is not None
            else sign(self.secret, ts, body),
        }
        async with self.session.post(self.events_url, data=body.encode(), headers=headers) as r:
            return r.status, await r.text()

    async def command(self, text: str, *, user: str) -> str:
        """Send `/account text`; returns the response_url the answer will be posted to."""
        response_url, (status, body) = await self.command_acked(text, user=user)
        assert status == 200, (status, body)
        return response_url

    async def command_acked(self, text: str, *, user: str) -> tuple[str, tuple[int, str]]:
        """Send `/account text`; the response_url, and the status and body of the ack."""
        response_url = self.slack.new_response_url()
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "test",
            "channel_id": "C0000001",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/account",
            "text": text,
            "api_app_id": "A0000001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._trigger(),
        }
        return response_url, await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def click(
        self, value: str, *, user: str, action_id: str = "cmd", in_home: bool = False
    ) -> str:
        """Press a button whose value is `value`; returns the response_url (None on Home)."""
        response_url = self.slack.new_response_url()
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0000001",
            "token": "legacy-verification-token",
            "trigger_id": self._trigger(),
            "team": {"id": TEAM_ID, "domain": "test"},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "text": {"type": "plain_text", "text": "Go"},
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if in_home:
            payload["container"] = {"type": "view", "view_id": "V0000001"}
            payload["view"] = {"id": "V0000001", "type": "home", "blocks": []}
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": "1.1",
                "channel_id": "C0000001",
                "is_ephemeral": True,
            }
            payload["channel"] = {"id": "C0000001", "name": "general"}
            payload["response_url"] = response_url
        status, body = await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        assert status == 200, (status, body)
        return response_url

    async def submit_view(
        self, view: dict[str, Any], values: dict[str, str | None], *, user: str
    ) -> tuple[int, str]:
        """Submit a modal as Slack would, typing `values` into its input blocks (a radio
        button's value selects the option with that value). The view's hash changes whenever
        its content does, as Slack's does on every update."""
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block.get("type") == "input":
                element = block["element"]
                action_id = element["action_id"]
                typed = values.get(action_id)
                if element["type"] == "radio_buttons":
                    chosen = [o for o in element["options"] if o["value"] == typed]
                    selected = chosen[0] if chosen else ({"value": typed} if typed else None)
                    state[block["block_id"]] = {
                        action_id: {"type": "radio_buttons", "selected_option": selected}
                    }
                else:
                    state[block["block_id"]] = {
                        action_id: {"type": element["type"], "value": typed}
                    }
        return await self._view_payload("view_submission", view, state, user)

    async def close_view(self, view: dict[str, Any], *, user: str) -> tuple[int, str]:
        """Close a modal (Slack tells the app when the view asked for notify_on_close)."""
        return await self._view_payload("view_closed", view, {}, user)

    async def _view_payload(
        self, kind: str, view: dict[str, Any], state: dict[str, Any], user: str
    ) -> tuple[int, str]:
        content = json.dumps(view, sort_keys=True).encode()
        submitted = {
            **view,
            "id": view["id"],  # forms are keyed on it: a view from the fake always has one
            "state": {"values": state},
            "hash": "1." + hashlib.sha256(content).hexdigest()[:12],
            "team_id": TEAM_ID,
        }
        payload: dict[str, Any] = {
            "type": kind,
            "team": {"id": TEAM_ID, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0000001",
            "token": "legacy-verification-token",
            "view": submitted,
        }
        if kind == "view_submission":
            payload.update(trigger_id=self._trigger(), response_urls=[])
        return await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    async def event(self, event: dict[str, Any], *, event_id: str) -> tuple[int, str]:
        envelope = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0000001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return await self.post(json.dumps(envelope), "application/json")


class FakeSlackThread:
    """A FakeSlack on an event loop of its own thread, for code under test that blocks its own
    loop or runs `asyncio.run` itself (the command line)."""

    def __init__(self, **options: Any) -> None:
        self.slack = FakeSlack(**options)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.slack.start(), self.loop).result(10)
        return self.slack

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.slack.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
