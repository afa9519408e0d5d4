"""Declarative base, naming conventions and the enumerations the schema uses."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Role(StrEnum):
    AM = "am"
    LEAD = "lead"
    HEAD = "head"
    OPS = "ops"


class Seniority(StrEnum):
    JUNIOR = "junior"
    MIDDLE = "middle"
    SENIOR = "senior"


class Stage(StrEnum):
    ONBOARDING = "onboarding"
    ADAPTATION = "adaptation"
    GROWTH = "growth"
    RENEWAL = "renewal"


class MeetingKind(StrEnum):
    """The meeting kinds accountbot knows. A team may use any other label: `meetings.kind` is
    free text, kept as written; `canonical` spells the known kinds one way."""

    KICKOFF = "kickoff"
    SYNC = "sync"
    REVIEW = "review"
    QBR = "qbr"
    RENEWAL = "renewal"
    ESCALATION = "escalation"
    OTHER = "other"

    @classmethod
    def canonical(cls, label: str) -> str:
        """The label trimmed; a known kind in any case ("QBR") as its value ("qbr")."""
        cleaned = label.strip()
        known = cls._value2member_map_.get(cleaned.casefold())
        return str(known.value) if known is not None else cleaned


class UpsellStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class SignalKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    REVIEW = "review"
    REFERRAL = "referral"
    CASE_STUDY = "case_study"


class ObjectionStatus(StrEnum):
    DRAFT = "draft"  # started, nothing recorded yet: not shown anywhere
    OPEN = "open"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


# Objections still being worked on: shown on status, lists, App Home and the digest.
LIVE_OBJECTION_STATUSES = (ObjectionStatus.OPEN, ObjectionStatus.ESCALATED)
# The same, as the words of SQL that the index of live objections by age is defined by.
LIVE_OBJECTION_SQL = "status IN ({})".format(
    ", ".join(f"'{s.value}'" for s in LIVE_OBJECTION_STATUSES)
)


class ObjectionStepKind(StrEnum):
    CLASSIFY = "classify"
    VALIDATE = "validate"
    CLARIFY = "clarify"
    ASK = "ask"
    ESCALATE = "escalate"
    RESOLVE = "resolve"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting to be sent (again, after `next_attempt_at`)
    SENDING = "sending"  # claimed by a sender; reclaimable after a lease if it died
    SENT = "sent"
    PARKED = "parked"  # kept failing, or refused for good; ops can retry it
    DROPPED = "dropped"  # ops gave up on it
