"""Sending outbox messages to Slack: a DM to a user id, or a post to a team's channel.

The Web API client retries a 429 after its Retry-After and 500/503s and dropped connections
(twice each); what still fails goes back to the outbox with the platform's Retry-After, or is
parked when Slack says it can never work (the channel or user is gone, the token is revoked).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.sender import Failed, Sent
from storage.models import OutboxMessage

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


class SlackDelivery:
    platform = "slack"

    def __init__(self, client: AsyncWebClient, rate: float) -> None:
        self.client = client
        self.rate = rate

    async def send(self, message: OutboxMessage) -> Sent | Failed:
        payload: dict[str, Any] = dict(message.payload)
        try:
            response = await self.client.chat_postMessage(channel=message.target, **payload)
        except SlackApiError as exc:
            status = exc.response.status_code
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            code = str(data.get("error") or f"HTTP {status}")
            if status == 429:
                return Failed("rate limited (429)", retry_after=_retry_after(exc.response.headers))
            return Failed(code, final=code in FINAL_ERRORS)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Failed(f"{type(exc).__name__} talking to Slack")
        ts = response.get("ts")
        return Sent(str(ts) if ts else None)


def _retry_after(headers: Any) -> float | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value[0] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None
    return None
