"""Teams and the people in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, CreatedAt, Role, Seniority
from storage.types import UTCDateTime
from storage.zones import effective_zone


def enum_column(enum: type) -> Enum:
    """Enums stored as their values in a VARCHAR with a CHECK, portable across backends."""
    return Enum(
        enum,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=True,
        length=20,
        name=enum.__name__.lower(),
    )


class Team(CreatedAt, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    slack_channel_id: Mapped[str | None] = mapped_column(String(40))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    members: Mapped[list[User]] = relationship(back_populates="team")


class User(CreatedAt, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    seniority: Mapped[Seniority | None] = mapped_column(enum_column(Seniority))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    slack_user_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    teams_aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    team: Mapped[Team | None] = relationship(back_populates="members", lazy="joined")

    @property
    def effective_timezone(self) -> str:
        """Their own zone, else their team's, else UTC (`storage.zones`)."""
        return effective_zone(self.timezone, self.team.timezone if self.team else None)


class CatalogState(Base):
    """One row of bookkeeping: a number bumped whenever teams, people or accounts are imported,
    so processes holding names in memory (`bot.services.name_index`) read them again; and when
    the risk snapshot was last refreshed."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    # When every account's risk flags were last worked out (`bot.services.risk_snapshot`).
    risks_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
