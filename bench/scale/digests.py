"""All weekly digests: every team's week in numbers, computed as the digest computes them (teams
grouped by week, a batch at a time: ``team_kpi_reports``), against the raw SQL aggregates of
:mod:`bench.scale.digest_sql`, with every number compared. The whole digests (the week before,
eight weeks of chart, reasons, people, accounts needing the lead) are timed too, for the record:
they compute much more than the baseline does."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bench.scale.digest_formulas import KPI_FORMULAS
from bench.scale.digest_sql import Period, SqlKpis, all_team_kpis
from bench.scale.timing import best_of
from bot.playbooks import load_playbooks
from bot.services.kpis import KPI_NAMES, IsoWeek, TeamKpiReport
from bot.services.kpis.digest_batches import digests_in_batches
from bot.services.kpis.report import team_kpi_reports
from bot.services.kpis.targets import load_kpi_targets
from bot.services.kpis.teams import TEAMS_PER_PEOPLE_PASS, in_batches
from bot.services.when import local_today
from bot.settings import Settings
from storage.db import Database
from storage.models import Team

MAX_SHOWN = 10


async def _teams_by_week(db: Database, now: datetime) -> dict[IsoWeek, list[Team]]:
    """Every team under its last completed week (a team ahead of UTC may be a week on)."""
    weeks: dict[IsoWeek, list[Team]] = {}
    async with db.read_only() as session:
        for team in (await session.scalars(select(Team).order_by(Team.name))).all():
            week = IsoWeek.last_completed(local_today(now, team.timezone))
            weeks.setdefault(week, []).append(team)
    return weeks


async def code_reports(db: Database, now: datetime) -> dict[str, TeamKpiReport]:
    """Every team's report for its last completed week, as the weekly digest counts its
    people's numbers: the teams of a week a batch at a time (as many as the digest counts its
    people for at once), each batch from one set of grouped queries."""
    targets = load_kpi_targets(None)
    reports: dict[str, TeamKpiReport] = {}
    for week, teams in (await _teams_by_week(db, now)).items():
        for batch in in_batches(teams, TEAMS_PER_PEOPLE_PASS):
            async with db.read_only() as session:
                found = await team_kpi_reports(session, teams=batch, week=week, targets=targets)
            reports.update((team.name, found[team.id]) for team in batch)
    return reports


async def whole_digests(db: Database, now: datetime) -> int:
    """Every team's whole digest, as the Monday run builds them; returns how many."""
    settings = Settings(_env_file=None)
    chosen = [
        (team, week) for week, teams in (await _teams_by_week(db, now)).items() for team in teams
    ]
    batches = digests_in_batches(
        db, chosen, targets=load_kpi_targets(None), playbooks=load_playbooks(), settings=settings
    )
    return sum([len(digests) async for digests in batches])


async def sql_kpis(db: Database, now: datetime) -> SqlKpis:
    async with db.read_only() as session:
        zones = (await session.scalars(select(Team.timezone).distinct())).all()
        periods = {}
        for tz in zones:
            week = IsoWeek.last_completed(local_today(now, tz))
            periods[tz] = Period(week.first_day, week.last_day, tz)
        return await all_team_kpis(session, periods, load_playbooks())


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(str(a)) == Decimal(str(b))
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def compare(reports: dict[str, TeamKpiReport], sql: SqlKpis) -> dict[str, Any]:
    """Every team's numbers and every AM's row, KPI by KPI, for the KPIs both sides know."""
    names = [name for name in KPI_NAMES if name in KPI_FORMULAS]
    mismatches: list[str] = []

    def check(where: str, code: dict[str, Any], raw: dict[str, Any] | None) -> None:
        for name in names:
            value = raw.get(name) if raw is not None else None
            if raw is None or not same(code[name], value):
                mismatches.append(f"{where} {name}: code {code[name]!r}, SQL {value!r}")

    people = 0
    for team, report in reports.items():
        check(f"team {team}", report.kpis.to_dict(), sql.teams.get(team))
        for am in report.by_am:
            people += 1
            check(f"{team}/{am.user_email}", am.kpis.to_dict(), sql.people.get(am.user_email))
    missing = sorted(set(sql.teams) - set(reports))
    mismatches += [f"team {team} only in SQL" for team in missing]
    return {
        "equal": not mismatches,
        "teams": len(reports),
        "people": people,
        "kpis_compared": names,
        "kpis_not_compared": [name for name in KPI_NAMES if name not in KPI_FORMULAS],
        "mismatches": len(mismatches),
        "mismatch_examples": mismatches[:MAX_SHOWN],
    }


async def measure_digests(db: Database, now: datetime, repeat: int) -> dict[str, Any]:
    reports = await code_reports(db, now)  # also the warm-up
    raw = await sql_kpis(db, now)
    result = compare(reports, raw)
    code_s, sql_s = await best_of(repeat, lambda: code_reports(db, now), lambda: sql_kpis(db, now))
    made = await whole_digests(db, now)  # the warm-up of the whole digests
    whole_s, _ = await best_of(1, lambda: whole_digests(db, now), lambda: sql_kpis(db, now))
    return {
        **result,
        "code_seconds": code_s,
        "sql_seconds": sql_s,
        "ratio": code_s / sql_s,
        "whole_digests": made,
        "whole_digests_seconds": whole_s,
    }
