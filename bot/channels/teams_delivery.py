"""Sending outbox messages into stored Teams conversations, through the Teams channel (one of
the modules that import botbuilder; see `bot.channels.teams`)."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import ErrorResponseException

from bot.channels.teams import TeamsChannel
from bot.channels.teams_cards import CardMessage
from bot.delivery.sender import Failed, Sent
from bot.services.conversations import mark_dead
from storage.db import Database
from storage.models import ConversationRef, OutboxMessage, utcnow


class TeamsDelivery:
    """Sending outbox messages into stored Teams conversations (personal chats, channels).

    403 and 404 mean the bot was blocked or removed there: the conversation is marked dead and
    the message parked, not retried forever. 429 waits its Retry-After; 5xx is retried.
    """

    platform = "teams"

    def __init__(self, channel: TeamsChannel, db: Database, rate: float) -> None:
        self.channel = channel
        self.db = db
        self.rate = rate

    async def send(self, message: OutboxMessage) -> Sent | Failed:
        async with self.db.read_only() as session:
            stored = await session.get(ConversationRef, int(message.target))
        if stored is None or stored.dead_since is not None:
            return Failed("the Teams conversation is gone (bot removed or blocked)", final=True)
        card = CardMessage(str(message.payload.get("text") or ""), message.payload["card"])
        try:
            message_id = await self.channel.send(stored.reference, card)
        except ErrorResponseException as exc:
            status = getattr(exc.response, "status_code", 0)
            if status in (403, 404):
                async with self.db.unit_of_work() as session:
                    await mark_dead(
                        session, reference_id=stored.id, reason=str(exc)[:200], now=utcnow()
                    )
                return Failed(f"Teams refused the conversation ({status}): {exc}", final=True)
            retry_after = _header_seconds(getattr(exc.response, "headers", {}), "Retry-After")
            return Failed(f"Teams answered {status}", retry_after=retry_after)
        except (OSError, TimeoutError) as exc:
            return Failed(f"{type(exc).__name__} talking to Teams")
        return Sent(message_id)


def _header_seconds(headers: Any, name: str) -> float | None:
    try:
        value = dict(headers or {}).get(name)
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
