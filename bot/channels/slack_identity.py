"""Who is asking on Slack, and where: a Slack user id mapped to an accountbot user, a channel
id to a conversation.

By `slack_user_id` first; when that is unknown, by the email Slack has for the person
(users.info, scope users:read.email), which is then remembered (see `services.identity`).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services
from bot.services.conversations import Conversation
from bot.services.identity import person_for
from storage.models import User

log = logging.getLogger(__name__)


async def slack_email(client: AsyncWebClient, slack_user_id: str) -> str | None:
    """The email Slack has for this person, or None (bots, guests without one, API errors)."""
    try:
        response = await client.users_info(user=slack_user_id)
    except SlackApiError as exc:
        error = exc.response.data.get("error") if isinstance(exc.response.data, dict) else None
        hint = " (the app needs the users:read.email scope)" if error == "missing_scope" else ""
        log.warning("users.info failed for slack user %s: %s%s", slack_user_id, error, hint)
        return None
    user: dict[str, Any] = response.get("user") or {}
    if user.get("is_bot") or user.get("deleted"):
        return None
    email = (user.get("profile") or {}).get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


async def actor_for(services: Services, client: AsyncWebClient, slack_user_id: str) -> User | None:
    """The accountbot user behind a Slack user id, or None when the bot does not know them."""
    return await person_for(
        services.db, "slack", slack_user_id, lambda: slack_email(client, slack_user_id)
    )


def slack_conversation(channel_id: object, channel_name: object = "") -> Conversation | None:
    """Where a slash command or button was used: a DM, a group DM or a channel."""
    if not isinstance(channel_id, str) or not channel_id:
        return None
    name = channel_name if isinstance(channel_name, str) else ""
    if channel_id.startswith("D") or name == "directmessage":
        kind: Literal["personal", "channel", "group"] = "personal"
    elif name.startswith("mpdm-"):
        kind = "group"
    else:
        kind = "channel"
    return Conversation(platform="slack", kind=kind, conversation_id=channel_id)
