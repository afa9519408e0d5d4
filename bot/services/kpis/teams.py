"""Many teams at once: their people, their time zones, and their numbers from one set of queries.

The digests and KPI reports of many teams are computed a batch of teams at a time: the KPI
queries run once for the batch's days and once per time zone among its teams
(:func:`bot.services.kpis.queries.count_rows`), and their rows are split back by team through
each person's team. So a team's numbers are exactly those computed for it alone, and a batch
costs the same number of queries whatever its size; :func:`in_batches` keeps the memory of a
whole book's run bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services.kpis.queries import count_rows
from bot.services.kpis.tally import GroupBy, Period, Scope, Tally, split_by_team
from storage.models import Role, Seniority, Team, User

# A whole book's digests are counted in two sizes of batch: each person's numbers (one row per
# person and week: light) for this many teams at once, each account's (one row per account:
# heavier) and the digests themselves for TEAMS_PER_BATCH of them at a time. Every batch of
# the people statements scans the accounts of the whole book, so fewer, larger ones cost less.
TEAMS_PER_PEOPLE_PASS = 5000
TEAMS_PER_BATCH = 1000

_T = TypeVar("_T")


def in_batches(items: Sequence[_T], size: int = TEAMS_PER_BATCH) -> Iterator[Sequence[_T]]:
    """``items`` in order, ``size`` at a time."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class Member:
    """One of a team's people, as its reports and digests show them (read as plain rows, not
    entities: a whole book's teams hold tens of thousands of people)."""

    id: int
    email: str
    name: str
    role: Role
    seniority: Seniority | None


def by_name(member: Member) -> tuple[str, str]:
    """People in name order (sorted here, not in SQL: collations differ between SQLite and
    PostgreSQL)."""
    return member.name.casefold(), member.email


@dataclass(frozen=True)
class TeamBatch:
    """Teams whose numbers are counted together, and their people."""

    teams: tuple[Team, ...]
    members: dict[int, list[Member]]  # team id -> its people, by name
    team_of: dict[int, int]  # user id -> team id

    @property
    def team_ids(self) -> tuple[int, ...]:
        return tuple(team.id for team in self.teams)

    @property
    def scope(self) -> Scope:
        return Scope(team_ids=self.team_ids)

    @classmethod
    def of(cls, teams: Sequence[Team], members: dict[int, list[Member]]) -> TeamBatch:
        """``teams`` (each once, in order) with ``members``, their people."""
        unique = tuple({team.id: team for team in teams}.values())
        team_of = {person.id: team_id for team_id, people in members.items() for person in people}
        return cls(unique, members, team_of)

    def part(self, teams: Sequence[Team]) -> TeamBatch:
        """The batch of ``teams`` (all of them in this one) and their people, without a query:
        a part of a larger batch whose people's numbers were counted together."""
        return TeamBatch.of(teams, {team.id: self.members[team.id] for team in teams})

    def zones(self) -> dict[str, Scope]:
        """The scope of each time zone the teams are in."""
        found: defaultdict[str, list[int]] = defaultdict(list)
        for team in self.teams:
            found[team.timezone].append(team.id)
        return {zone: Scope(team_ids=tuple(ids)) for zone, ids in found.items()}


async def team_batch(session: AsyncSession, teams: Sequence[Team]) -> TeamBatch:
    """``teams`` (each once) and their people, in one query."""
    members: dict[int, list[Member]] = {team.id: [] for team in teams}
    query = select(User.team_id, User.id, User.email, User.name, User.role, User.seniority).where(
        User.team_id.in_(list(members))
    )
    for team_id, user_id, email, name, role, seniority in await session.execute(query):
        if team_id is not None:
            members[team_id].append(Member(user_id, email, name, role, seniority))
    for people in members.values():
        people.sort(key=by_name)
    return TeamBatch.of(teams, members)


async def tally_teams(
    session: AsyncSession,
    batch: TeamBatch,
    periods: Sequence[Period],
    *,
    by: GroupBy = "person",
    playbooks: PlaybookLibrary,
) -> dict[int, list[dict[int, Tally]]]:
    """Per team of ``batch``, what :func:`~bot.services.kpis.queries.tally_by_period` finds
    for it alone in each of ``periods`` (their days; each team's own time zone is used)."""
    rows = await count_rows(
        session,
        periods=periods,
        scope=batch.scope,
        zones=batch.zones(),
        by=by,
        playbooks=playbooks,
    )
    return split_by_team(rows, batch.team_of.get, batch.team_ids)
