"""The SQL behind the KPIs: per-person (or per-account) tallies for one or more periods.

Each KPI is a ratio or a count of a few tallies. The tallies are computed per person (the
account owner for account-based numbers, the meeting's AM for meetings) with a handful of
aggregate queries, so a team's numbers are the sum of its people's tallies and the per-AM
breakdown can never disagree with the team total; and many teams' numbers come from the same
few queries, split back by person (:func:`count_rows`). Grouped per account instead, the same
queries say which accounts a number is made of (the digest's reasons). All date arithmetic
happens in Python on the bound parameters, so the SQL is the same on SQLite and PostgreSQL;
and each statement is built once per shape, its days and people parameters (`kpis.bound`).
The counts made of days are in `kpis.day_counts`, those made of moments in `kpis.activity`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary, load_playbooks
from bot.services.kpis.activity import meetings, objections, steps_done_late
from bot.services.kpis.bound import Run, scope_kind, zones_of
from bot.services.kpis.day_counts import BY_DAY, built
from bot.services.kpis.tally import GroupBy, Period, Scope, Tallies, Tally, collapse, store

__all__ = ["Period", "Scope", "Tally", "count_rows", "tally_by_period", "tally_by_person"]


@cache
def bundled_playbooks() -> PlaybookLibrary:
    return load_playbooks()


async def count_rows(
    session: AsyncSession,
    *,
    periods: Sequence[Period],
    scope: Scope,
    zones: Mapping[str, Scope],
    by: GroupBy = "person",
    playbooks: PlaybookLibrary,
) -> Tallies:
    """Every row (see :data:`RowKey`) of ``scope`` with anything to count in each of
    ``periods`` (days: their time zones are not used).

    The counts made of days run once for ``scope``; those made of moments (meetings, open
    objections, steps ticked) place each row in the days of its person's part of ``zones``
    (zone -> the part of the scope in it, by team ids when there are several): meetings once
    per zone, the others once. So the cost is a fixed number of queries however many teams
    the scope holds.
    """
    out: Tallies = [defaultdict(Tally) for _ in periods]
    if not periods:
        return out
    run = Run(periods, scope, zones_of(periods, zones))
    for builder, names_by in BY_DAY:
        if not (names := names_by[by]):
            continue
        query, bound = built(builder, len(periods), scope_kind(scope), by)
        store(out, (await session.execute(query, bound.values(run))).all(), names, by)
    if zones:
        await meetings(session, run, by, out)
        await objections(session, run, by, out)
        await steps_done_late(session, run, by, out, playbooks)
    return out


async def tally_by_period(
    session: AsyncSession,
    *,
    periods: Sequence[Period],
    scope: Scope,
    by: GroupBy = "person",
    playbooks: PlaybookLibrary,
) -> list[dict[int, Tally]]:
    """For each period (all in one timezone), every person (or account) in ``scope`` with
    anything to count, by user (or account) id.

    Account owners appear once they own any account of the scope (even with all zeros);
    AMs appear for meetings they held in the period. Per account, accounts appear once they
    are in the scope, and for meetings held on them; an account's tally leaves out the team
    figures (churn and MRR to date, onboarding days: see `day_counts.BY_DAY`).
    """
    zones = {p.timezone: scope for p in periods}
    if len(zones) > 1:
        raise ValueError("periods of one query share a timezone")
    rows = await count_rows(
        session, periods=periods, scope=scope, zones=zones, by=by, playbooks=playbooks
    )
    return collapse(rows)


async def tally_by_person(
    session: AsyncSession,
    *,
    period: Period,
    scope: Scope,
    playbooks: PlaybookLibrary | None = None,
) -> dict[int, Tally]:
    """Every person in ``scope`` with anything to count in ``period``, by user id
    (``playbooks``: the bundled ones unless given, for the steps done late)."""
    library = playbooks or bundled_playbooks()
    found = await tally_by_period(session, periods=[period], scope=scope, playbooks=library)
    return found[0]
