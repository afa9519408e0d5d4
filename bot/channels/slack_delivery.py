"""Sending outbox messages to Slack: a DM to a user id, or a post to a team's channel (the
weekly digest with its chart attached, through files_upload_v2).

The Web API client retries a 429 after its Retry-After and 500/503s and dropped connections
(twice each); what still fails goes back to the outbox with the platform's Retry-After, or is
parked when Slack says it can never work (the channel or user is gone, the token is revoked).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.sender import Failed, Sent
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ALT_TEXT = 1000

# Errors that no retry will cure: park the message and tell ops.
FINAL_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "not_authed",
        "missing_scope",
        "cannot_dm_bot",
        "user_disabled",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
    }
)


# Refusals of the chart's upload that still let the post go out without it (an app installed
# before the digest had a chart lacks the files:write scope).
UPLOAD_REFUSED = frozenset({"missing_scope", "not_allowed_token_type", "not_allowed"})


class SlackDelivery:
    platform = "slack"

    def __init__(self, client: AsyncWebClient, rate: float) -> None:
        self.client = client
        self.rate = rate

    async def send(self, message: OutboxMessage) -> Sent | Failed:
        payload: dict[str, Any] = dict(message.payload)
        chart = payload.pop("chart", None)
        try:
            if isinstance(chart, dict):
                return await self._with_chart(message.target, payload, chart)
            response = await self.client.chat_postMessage(channel=message.target, **payload)
        except SlackApiError as exc:
            return _failed(exc)
        except (aiohttp.ClientError, TimeoutError, SlackRequestError) as exc:
            return Failed(f"{type(exc).__name__} talking to Slack")
        ts = response.get("ts")
        return Sent(str(ts) if ts else None)

    async def _with_chart(
        self, channel: str, payload: dict[str, Any], chart: dict[str, Any]
    ) -> Sent | Failed:
        """One message in the channel: the blocks with the chart attached (files_upload_v2
        shares the file with the blocks as its message, so nothing shows until it is all
        there). Refused for want of a scope, the post goes out without the chart."""
        try:
            response = await self.client.files_upload_v2(
                channel=channel,
                file=base64.b64decode(chart["png"]),
                filename=str(chart["filename"]),
                title=str(chart["title"]),
                alt_txt=str(chart["alt"])[:MAX_ALT_TEXT],
                blocks=json.dumps(payload["blocks"]),
            )
        except SlackApiError as exc:
            if _code(exc) not in UPLOAD_REFUSED:
                raise
            log.warning("Slack refused the digest chart (%s); posting it without", _code(exc))
            posted = await self.client.chat_postMessage(channel=channel, **payload)
            return Sent(str(posted.get("ts")) if posted.get("ts") else None)
        files = response.get("files") or []
        return Sent(str(files[0].get("id")) if files else None)


def _code(exc: SlackApiError) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    return str(data.get("error") or f"HTTP {exc.response.status_code}")


def _failed(exc: SlackApiError) -> Failed:
    if exc.response.status_code == 429:
        return Failed("rate limited (429)", retry_after=_retry_after(exc.response.headers))
    code = _code(exc)
    return Failed(code, final=code in FINAL_ERRORS)


def _retry_after(headers: Any) -> float | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value[0] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None
    return None
