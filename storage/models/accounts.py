"""Accounts and everything recorded about them: contracts, meetings, upsells, signals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import (
    Base,
    CreatedAt,
    MeetingKind,
    SignalKind,
    Stage,
    UpsellStatus,
)
from storage.models.org import User, enum_column
from storage.types import UTCDateTime

Money = Numeric(14, 2, asdecimal=True)
MEETING_KIND_MAX = 60


class Account(CreatedAt, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_churned_on", "churned_on"),
        Index("ix_accounts_exec_sponsor_id", "exec_sponsor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    exec_sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.ONBOARDING)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mrr: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    started_on: Mapped[date] = mapped_column(Date)
    onboarding_completed_on: Mapped[date | None] = mapped_column(Date)
    churned_on: Mapped[date | None] = mapped_column(Date)
    churn_reason: Mapped[str | None] = mapped_column(Text)
    # The day accountbot started tracking the account (its owner's local day), set when an
    # import creates it. Steps due before it and not done are "before accountbot", neither done
    # nor overdue. NULL: tracked from the start.
    known_since: Mapped[date | None] = mapped_column(Date)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    exec_sponsor: Mapped[User | None] = relationship(foreign_keys=[exec_sponsor_id], lazy="joined")


class Contract(CreatedAt, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("account_id", "start_on"),
        # renewals of churned accounts, counted from the index alone (renewals._statements)
        Index("ix_contracts_account_id_end_on", "account_id", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date, index=True)
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)


class Meeting(CreatedAt, Base):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("account_id", "occurred_at"),
        Index("ix_meetings_recap_window", "occurred_at", "recap_logged_at"),
        Index("ix_meetings_am_occurred", "am_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    am_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # As the team wrote it; the kinds accountbot knows are stored as `MeetingKind` values.
    kind: Mapped[str] = mapped_column(String(MEETING_KIND_MAX), default=MeetingKind.SYNC.value)
    recap_logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recap: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    upsell_spotted: Mapped[str | None] = mapped_column(Text)

    am: Mapped[User] = relationship(lazy="joined")


class Upsell(CreatedAt, Base):
    __tablename__ = "upsells"
    __table_args__ = (UniqueConstraint("account_id", "service", "pitched_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    pitched_on: Mapped[date] = mapped_column(Date, index=True)
    service: Mapped[str] = mapped_column(String(200))
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    status: Mapped[UpsellStatus] = mapped_column(
        enum_column(UpsellStatus), default=UpsellStatus.OPEN
    )
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)


class SatisfactionSignal(CreatedAt, Base):
    __tablename__ = "satisfaction_signals"
    __table_args__ = (UniqueConstraint("account_id", "kind", "recorded_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[SignalKind] = mapped_column(enum_column(SignalKind))
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2, asdecimal=True))
    recorded_on: Mapped[date] = mapped_column(Date, index=True)


class Deliverable(CreatedAt, Base):
    __tablename__ = "deliverables"
    __table_args__ = (UniqueConstraint("account_id", "title", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date)


class AccountRisk(Base):
    """Why an account is at risk, as of ``refreshed_at``: the snapshot large at-risk lists are
    sorted and paged from (`bot.services.risk_snapshot`). Only accounts with a reason are kept."""

    __tablename__ = "account_risks"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    flag_count: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSON)
    renewal_on: Mapped[date | None] = mapped_column(Date)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Most reasons first, then the soonest renewal, none last: the at-risk list's order.
Index("ix_account_risks_order", AccountRisk.flag_count.desc(), AccountRisk.renewal_on)
