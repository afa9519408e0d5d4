"""Work done in chat: ticked playbook steps and objection walkthroughs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import (
    LIVE_OBJECTION_SQL,
    Base,
    ObjectionStatus,
    ObjectionStepKind,
    utcnow,
)
from storage.models.org import User, enum_column
from storage.types import UTCDateTime


class StepCompletion(Base):
    """A ticked step. Only completions at or after the account's stage entry count."""

    __tablename__ = "step_completions"
    __table_args__ = (
        Index("ix_step_completions_current", "account_id", "playbook", "step_id", "completed_at"),
        Index("ix_step_completions_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    playbook: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(80))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    completed_by: Mapped[User | None] = relationship(lazy="joined")


class Objection(Base):
    """A client objection walked through: classify, validate, clarify, ask, escalate, resolve.

    ``current_step`` is the next step to record. While it is ``classify``, the facts come first
    (``proposed_kind`` is set from them) and then the AM confirms the kind (``kind``).
    """

    __tablename__ = "objections"
    __table_args__ = (
        # An account's live objections (a page of flags counts them) in one range of one index.
        Index("ix_objections_account_id_status", "account_id", "status"),
        # Every live objection, oldest first (a head's or ops' list): a partial index, which
        # SQLite uses when a query says `LIVE_OBJECTION_SQL` word for word.
        Index(
            "ix_objections_live_opened_at",
            "opened_at",
            sqlite_where=text(LIVE_OBJECTION_SQL),
            postgresql_where=text(LIVE_OBJECTION_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who logged it
    kind: Mapped[str | None] = mapped_column(String(20))  # legitimate | phantom
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(
        enum_column(ObjectionStatus), default=ObjectionStatus.OPEN, index=True
    )
    current_step: Mapped[ObjectionStepKind] = mapped_column(
        enum_column(ObjectionStepKind), default=ObjectionStepKind.CLASSIFY
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Classify: who raised it, where, and what the kind proposed from that was.
    contact_name: Mapped[str | None] = mapped_column(String(120))
    decision_maker: Mapped[bool | None] = mapped_column(Boolean)
    backed_by_data: Mapped[bool | None] = mapped_column(Boolean)
    channel: Mapped[str | None] = mapped_column(String(20))  # call | email | meeting
    proposed_kind: Mapped[str | None] = mapped_column(String(20))
    # Clarify and ask.
    restatement: Mapped[str | None] = mapped_column(Text)
    client_confirmed: Mapped[bool | None] = mapped_column(Boolean)
    answers: Mapped[list[Any] | None] = mapped_column(JSON)  # [{"question", "answer"}]
    # Escalate and resolve.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(30))  # resolved | escalated_further | lost
    agreement: Mapped[str | None] = mapped_column(Text)
    # Bumped by every change, which is refused if someone else saved in between.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    steps: Mapped[list[ObjectionStep]] = relationship(
        back_populates="objection", order_by="ObjectionStep.recorded_at"
    )


class ObjectionStep(Base):
    """One recorded step of a walkthrough, with what was entered (the audit trail)."""

    __tablename__ = "objection_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[ObjectionStepKind] = mapped_column(enum_column(ObjectionStepKind))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    objection: Mapped[Objection] = relationship(back_populates="steps")


class AccountTask(Base):
    """A follow-up on an account's checklist outside its stage playbook (an escalated
    objection's next steps), with an owner and a due date; ``step_id`` is what `tick` takes."""

    __tablename__ = "account_tasks"
    __table_args__ = (UniqueConstraint("account_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    objection_id: Mapped[int | None] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    why: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id], lazy="joined")
