"""What each person asked of accountbot's nudges: their settings, and what they did with each."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow
from storage.types import UTCDateTime


class UserSettings(Base):
    """A person's nudge settings; absent fields fall back to the deployment's defaults."""

    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    nudge_time: Mapped[str | None] = mapped_column(String(5))  # "08:30", local time
    working_days: Mapped[str | None] = mapped_column(String(40))  # "mon,tue,wed,thu,fri"
    muted: Mapped[list[Any]] = mapped_column(JSON, default=list)  # nudge kinds
    vacation_until: Mapped[date | None] = mapped_column(Date)  # nothing is sent until after
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NudgeItem(Base):
    """One thing a person was nudged about (by the nudge's key), and what they did about it."""

    __tablename__ = "nudge_items"
    __table_args__ = (UniqueConstraint("user_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    first_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
