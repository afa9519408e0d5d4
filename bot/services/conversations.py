"""Where a request came from, and the conversations accountbot may write into later.

A `Conversation` tells handlers the platform and kind of place a command was typed in (a
personal chat, a team's channel, a group chat) without any chat SDK type. Teams conversations
are remembered (their opaque reference, which a proactive message needs) when people write to
the bot and when a lead links a team to a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.identity import Platform
from storage.models import ConversationRef, Team

Kind = Literal["personal", "channel", "group"]


@dataclass(frozen=True)
class Conversation:
    """The place a command came from. ``conversation_id`` is the Slack channel id or the
    Teams conversation id (of the channel, not of a thread in it)."""

    platform: Platform
    kind: Kind
    conversation_id: str
    reference: dict[str, Any] = field(default_factory=dict)
    tenant_id: str | None = None
    service_url: str = ""

    @property
    def storable(self) -> bool:
        """Whether it can be written into later (Teams needs its reference; Slack needs none)."""
        return bool(self.reference) and bool(self.service_url)


async def remember(
    session: AsyncSession,
    conversation: Conversation,
    *,
    now: datetime,
    user_id: int | None = None,
    team_id: int | None = None,
) -> ConversationRef:
    """Store or refresh a conversation's reference; a refreshed one is alive again."""
    stmt = select(ConversationRef).where(
        ConversationRef.platform == conversation.platform,
        ConversationRef.conversation_id == conversation.conversation_id,
    )
    stored = (await session.scalars(stmt)).first()
    if stored is None:
        stored = ConversationRef(
            platform=conversation.platform,
            conversation_id=conversation.conversation_id,
        )
        session.add(stored)
    stored.scope = conversation.kind
    stored.reference = dict(conversation.reference)
    stored.tenant_id = conversation.tenant_id
    stored.service_url = conversation.service_url
    stored.updated_at = now
    stored.dead_since = None
    stored.dead_reason = None
    if user_id is not None:
        stored.user_id = user_id
    if team_id is not None:
        stored.team_id = team_id
    await session.flush()
    return stored


async def _alive(session: AsyncSession, *conditions: Any) -> ConversationRef | None:
    stmt = (
        select(ConversationRef)
        .where(ConversationRef.dead_since.is_(None), *conditions)
        .order_by(ConversationRef.updated_at.desc(), ConversationRef.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def personal_chat(
    session: AsyncSession, *, platform: Platform, user_id: int
) -> ConversationRef | None:
    """The person's 1:1 chat with the bot, if they ever wrote to it and it still works."""
    return await _alive(
        session,
        ConversationRef.platform == platform,
        ConversationRef.user_id == user_id,
        ConversationRef.scope == "personal",
    )


async def team_channel(
    session: AsyncSession, *, platform: Platform, team_id: int
) -> ConversationRef | None:
    """The channel a team is linked to on this platform, if any."""
    return await _alive(
        session,
        ConversationRef.platform == platform,
        ConversationRef.team_id == team_id,
        ConversationRef.scope == "channel",
    )


async def link_team(
    session: AsyncSession, *, team: Team, conversation: Conversation, now: datetime
) -> None:
    """Make ``conversation`` (a channel) the place the team's digest is posted on its platform."""
    if conversation.platform == "slack":
        team.slack_channel_id = conversation.conversation_id
        await session.flush()
        return
    for stale in await session.scalars(
        select(ConversationRef).where(
            ConversationRef.platform == conversation.platform,
            ConversationRef.team_id == team.id,
            ConversationRef.scope == "channel",
            ConversationRef.conversation_id != conversation.conversation_id,
        )
    ):
        stale.team_id = None
    await remember(session, conversation, now=now, team_id=team.id)


async def mark_dead(
    session: AsyncSession, *, reference_id: int, reason: str, now: datetime
) -> None:
    """The platform refused this conversation for good (the bot was blocked or removed)."""
    stored = await session.get(ConversationRef, reference_id)
    if stored is not None:
        stored.dead_since = now
        stored.dead_reason = reason[:200]
