"""The KPI engine: definitions, the SQL that counts, targets per seniority, weekly reports; the
weekly digest built on them lives in :mod:`bot.services.kpis.digest`."""

from bot.services.kpis.definitions import KPI_NAMES, KpiSet, kpis_from_tally
from bot.services.kpis.report import (
    AmKpis,
    TeamKpiReport,
    TeamNotFound,
    find_team,
    team_kpi_report,
    user_kpis,
)
from bot.services.kpis.targets import KpiTargets, KpiTargetsError, load_kpi_targets
from bot.services.kpis.weeks import IsoWeek, digest_week, weeks_in_iso_year

__all__ = [
    "KPI_NAMES",
    "AmKpis",
    "IsoWeek",
    "KpiSet",
    "KpiTargets",
    "KpiTargetsError",
    "TeamKpiReport",
    "TeamNotFound",
    "digest_week",
    "find_team",
    "kpis_from_tally",
    "load_kpi_targets",
    "team_kpi_report",
    "user_kpis",
    "weeks_in_iso_year",
]
