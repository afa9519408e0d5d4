"""All weekly digests: every team's ``team_kpi_report`` (as ``queue_digests`` makes them) against
the raw SQL aggregates of :mod:`bench.scale.digest_sql`, with every number compared."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bench.scale.digest_sql import KPI_FORMULAS, Period, SqlKpis, all_team_kpis
from bench.scale.timing import best_of
from bot.services.kpis import KPI_NAMES, IsoWeek, TeamKpiReport, team_kpi_report
from bot.services.kpis.targets import load_kpi_targets
from bot.services.when import local_today
from storage.db import Database
from storage.models import Team

MAX_SHOWN = 10


async def code_reports(db: Database, now: datetime) -> dict[str, TeamKpiReport]:
    """Every team's report for its last completed week, as the weekly digest computes them.
    (If the digest moves to a grouped all-teams call, call that here.)"""
    targets = load_kpi_targets(None)
    reports = {}
    async with db.read_only() as session:
        for team in (await session.scalars(select(Team).order_by(Team.name))).all():
            week = IsoWeek.last_completed(local_today(now, team.timezone))
            reports[team.name] = await team_kpi_report(
                session, team=team, week=week, targets=targets
            )
    return reports


async def sql_kpis(db: Database, now: datetime) -> SqlKpis:
    async with db.read_only() as session:
        zones = (await session.scalars(select(Team.timezone).distinct())).all()
        periods = {}
        for tz in zones:
            week = IsoWeek.last_completed(local_today(now, tz))
            periods[tz] = Period(week.first_day, week.last_day, tz)
        return await all_team_kpis(session, periods)


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
    return {
        **result,
        "code_seconds": code_s,
        "sql_seconds": sql_s,
        "ratio": code_s / sql_s,
    }
