"""Work done in chat: ticked playbook steps and objection walkthroughs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, ObjectionStatus, ObjectionStepKind, utcnow
from storage.models.org import User, enum_column
from storage.types import UTCDateTime


class StepCompletion(Base):
    """A ticked step. Only completions at or after the account's stage entry count."""

    __tablename__ = "step_completions"
    __table_args__ = (Index("ix_step_completions_lookup", "account_id", "playbook", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    playbook: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(80))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    completed_by: Mapped[User | None] = relationship(lazy="joined")


class Objection(Base):
    """A client objection walked through: classify, validate, clarify, ask, escalate, resolve."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(
        enum_column(ObjectionStatus), default=ObjectionStatus.OPEN
    )
    current_step: Mapped[ObjectionStepKind] = mapped_column(
        enum_column(ObjectionStepKind), default=ObjectionStepKind.CLASSIFY
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    steps: Mapped[list[ObjectionStep]] = relationship(
        back_populates="objection", order_by="ObjectionStep.recorded_at"
    )


class ObjectionStep(Base):
    __tablename__ = "objection_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[ObjectionStepKind] = mapped_column(enum_column(ObjectionStepKind))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    objection: Mapped[Objection] = relationship(back_populates="steps")
