"""POST /slack/events: verify, read and check a request before Bolt sees it.

Three rules, in this order:

1. Nothing from a request whose signature is not verified is acted on, logged or answered:
   a missing, malformed or wrong signature, or a timestamp that is not a number of seconds
   within five minutes, is a 401 and nothing else (no body is read into a log, no URL in it
   is ever called).
2. A signed body that is not what Slack sends (not JSON or a form, an interactive payload
   whose `actions` or `view.state` has the wrong shape) is a 400.
3. Everything else goes to Bolt with the body parsed here: Bolt reads any form body that
   merely *contains* the word "payload" as an interactivity payload, so a slash command such
   as `/account status Payload Systems` would otherwise be lost.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal
from urllib.parse import parse_qsl

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_sdk.signature import SignatureVerifier

from bot.logs import request_context

log = logging.getLogger(__name__)

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
BOLT_INTERNAL_HEADER = "x-slack-bolt-"


class MalformedRequest(ValueError):
    """A signed request whose body is not something Slack sends."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _User(_Loose):
    id: str


class _Action(_Loose):
    action_id: str
    value: str = ""


class _BlockActions(_Loose):
    type: Literal["block_actions"]
    user: _User
    actions: list[_Action] = Field(min_length=1)
    response_url: str | None = None
    trigger_id: str | None = None


class _ViewState(_Loose):
    values: dict[str, dict[str, dict[str, Any]]]


class _View(_Loose):
    id: str
    callback_id: str = ""
    private_metadata: str = ""
    hash: str | None = None
    state: _ViewState


class _ViewSubmission(_Loose):
    type: Literal["view_submission"]
    user: _User
    view: _View


class _EventCallback(_Loose):
    type: Literal["event_callback"]
    event_id: str
    event: dict[str, Any]


class _SlashCommand(_Loose):
    command: str
    text: str = ""
    user_id: str = ""
    response_url: str | None = None
    trigger_id: str | None = None


_SHAPES: dict[str, type[_Loose]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "event_callback": _EventCallback,
}


def signature_is_valid(
    verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]
) -> bool:
    """Slack's v0 signature over ``body``; malformed headers are simply invalid (never raise)."""
    timestamp = headers.get("X-Slack-Request-Timestamp") or ""
    signature = headers.get("X-Slack-Signature") or ""
    if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
        return False
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


def parse_body(raw: str, content_type: str) -> dict[str, Any]:
    """The request as Slack meant it: JSON (events), `payload=` (interactivity) or a form."""
    try:
        if content_type == "application/json" or raw.lstrip().startswith("{"):
            data = json.loads(raw)
        else:
            form = dict(parse_qsl(raw, keep_blank_values=True))
            data = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, TypeError) as exc:
        raise MalformedRequest("the body is neither JSON nor a form") from exc
    if not isinstance(data, dict):
        raise MalformedRequest("the body is not an object")
    return data


def request_kind(body: Mapping[str, Any]) -> str:
    if "command" in body and "type" not in body:
        return "slash_command"
    kind = body.get("type")
    return kind if isinstance(kind, str) else "unknown"


def check_shape(body: Mapping[str, Any]) -> None:
    """Refuse the shapes our listeners cannot read (empty `actions`, `view.state` a string…)."""
    kind = request_kind(body)
    shape = _SlashCommand if kind == "slash_command" else _SHAPES.get(kind)
    if shape is None:
        return  # url_verification, view_closed, …: Bolt answers or ignores them
    try:
        shape.model_validate(body)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})[:3]
        raise MalformedRequest(f"{kind} with bad {', '.join(fields)}") from None


def interaction_key(body: Mapping[str, Any]) -> str | None:
    """What makes this interaction unique, so a replayed request is applied once.

    Slash commands and button presses carry a trigger_id made for each one; events their
    event_id (handled by Bolt middleware). View submissions are made unique by what they save.
    """
    kind = request_kind(body)
    trigger = body.get("trigger_id")
    if kind == "slash_command" and isinstance(trigger, str) and trigger:
        return f"slack:command:{trigger}"[:100]
    if kind == "block_actions":
        action = (body.get("actions") or [{}])[0]
        stamp = trigger or action.get("action_ts")
        if isinstance(stamp, str) and stamp:
            return f"slack:action:{stamp}"[:100]
    return None


def _bolt_request(raw: str, body: dict[str, Any], request: web.Request) -> AsyncBoltRequest:
    headers = {
        k: v for k, v in request.headers.items() if not k.lower().startswith(BOLT_INTERNAL_HEADER)
    }
    bolt_request = AsyncBoltRequest(body=raw, query=request.query_string, headers=headers)  # type: ignore[arg-type]
    # Bolt's own parser sees "payload" in any form body; ours read it as Slack meant it.
    bolt_request.body = body
    bolt_request.context = build_async_context(AsyncBoltContext({}), body)
    return bolt_request


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status)


def events_endpoint(
    app: AsyncApp, signing_secret: str, *, command_failed: Mapping[str, Any]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for POST /slack/events.

    `command_failed` answers a slash command that failed before any listener ran (Bolt's
    middleware, such as its first `auth.test` while Slack cannot be reached, already logged):
    the person reads an apology instead of Slack's "dispatch_failed"."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        raw_bytes = await request.read()
        if not signature_is_valid(verifier, raw_bytes, request.headers):
            log.warning("refused a Slack request without a valid signature")
            return _refuse(401, "invalid signature")
        try:
            raw = raw_bytes.decode("utf-8")
            body = parse_body(raw, request.content_type)
            check_shape(body)
        except (UnicodeDecodeError, MalformedRequest) as exc:
            log.warning("refused a malformed Slack request: %s", exc)
            return _refuse(400, "malformed request")
        with request_context(platform="slack", kind=request_kind(body)):
            response = await app.async_dispatch(_bolt_request(raw, body, request))
        if response.status == 404:  # signed, well formed, but nothing listens: say "fine"
            log.info("ignored a Slack %s nothing listens to", request_kind(body))
            return web.Response(status=200)
        if response.status >= 500 and request_kind(body) == "slash_command":
            return web.json_response(dict(command_failed))  # shown only to whoever typed it
        return await to_aiohttp_response(response)

    return handle
