"""Where accountbot can write to people without being asked: stored conversation references.

Teams sends a message only into a conversation the bot knows the reference of (service URL,
conversation id, tenant). One is stored the first time a person writes to the bot (their
personal chat) and when the app is installed or a lead links a team to a channel. Slack needs
none: a DM goes to the user id, a team's post to `teams.slack_channel_id`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow
from storage.types import UTCDateTime


class ConversationRef(Base):
    __tablename__ = "conversation_references"
    __table_args__ = (
        UniqueConstraint("platform", "conversation_id"),
        Index("ix_conversation_references_user", "user_id", "scope"),
        Index("ix_conversation_references_team", "team_id", "scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    # personal (a 1:1 chat with one person), channel (a team's channel), group (a group chat)
    scope: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str] = mapped_column(String(400))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    service_url: Mapped[str] = mapped_column(String(400))
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the platform refused a message for good (bot blocked or removed): not retried.
    dead_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_reason: Mapped[str | None] = mapped_column(String(200))
