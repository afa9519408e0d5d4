"""The weekly digest as data: what a lead reads (the week's report, the change of each headline
KPI from the week before, the reasons, each AM, the accounts needing attention, the chart's
weeks). It is computed in :mod:`bot.services.kpis.digest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.services.kpis.attention import AttentionAccount
from bot.services.kpis.definitions import KpiSet
from bot.services.kpis.people import AmStatus
from bot.services.kpis.reasons import Reason
from bot.services.kpis.report import TeamKpiReport
from bot.services.kpis.weeks import IsoWeek

# The KPIs the digest leads with, in the order a lead reads them.
HEADLINE: tuple[str, ...] = (
    "recap_compliance",
    "missed_deadlines",
    "avg_onboarding_days",
    "upsell_pitch_coverage_qtd",
    "upsells_won",
    "upsell_value_won",
    "nps_90d",
    "logo_churn_rate_mtd",
    "logo_churn_rate_qtd",
    "logo_churn_rate_ytd",
    "revenue_churn_rate_mtd",
    "revenue_churn_rate_qtd",
    "renewals_next_30",
    "renewals_next_90",
    "open_objections",
    "escalated_objections",
    "steps_done_late",
)
CHART_KPIS: tuple[str, ...] = ("recap_compliance", "missed_deadlines", "upsell_pitch_coverage_qtd")
SERIES_WEEKS = 8

Direction = Literal["up", "down", "same"]


@dataclass(frozen=True, slots=True)
class KpiChange:
    """A KPI this week and the week before; ``change`` in the KPI's own unit (a rate's change
    is a fraction: 0.05 is 5 points). None when either week has no value."""

    value: Any
    previous: Any
    change: float | None

    @property
    def direction(self) -> Direction | None:
        if self.change is None:
            return None
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": _plain(self.value),
            "previous": _plain(self.previous),
            "change": self.change,
            "direction": self.direction,
        }


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of the chart: the KPIs of ``CHART_KPIS`` (the same as that week's digest)."""

    week: IsoWeek
    kpis: KpiSet

    def value(self, key: str) -> Any:
        return getattr(self.kpis, key)


@dataclass(frozen=True)
class Digest:
    report: TeamKpiReport
    previous: TeamKpiReport | None  # None: no week before with any account or meeting
    changes: dict[str, KpiChange]  # headline KPIs only, empty without a week before
    reasons: list[Reason]
    people: list[AmStatus]
    attention: list[AttentionAccount]
    series: list[WeekPoint]  # oldest first, ending with the digest's week

    @property
    def team(self) -> str:
        return self.report.team

    @property
    def week(self) -> IsoWeek:
        return self.report.week

    @property
    def headline(self) -> tuple[str, ...]:
        return HEADLINE

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``accountbot digest --format json``: the same numbers as the posts."""
        return {
            **self.report.to_dict(),
            "period": {
                "start": self.report.period_start.isoformat(),
                "end": self.report.period_end.isoformat(),
                "timezone": self.report.timezone,
            },
            "targets": {k: dict(v) for k, v in self.report.targets.items()},
            "misses": list(self.report.misses),
            "previous_week": str(self.previous.week) if self.previous else None,
            "changes": {key: change.to_dict() for key, change in self.changes.items()},
            "reasons": [reason.to_dict() for reason in self.reasons],
            "people": [person.to_dict() for person in self.people],
            "needs_attention": [account.to_dict() for account in self.attention],
            "chart": {
                "weeks": [str(point.week) for point in self.series],
                **{key: [_plain(p.value(key)) for p in self.series] for key in CHART_KPIS},
            },
        }


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float) else float(value)


def has_data(kpis: KpiSet) -> bool:
    return bool(kpis.accounts_active or kpis.churned_accounts or kpis.meetings)


def changes_between(now: KpiSet, before: KpiSet) -> dict[str, KpiChange]:
    found = {}
    for key in HEADLINE:
        value, previous = getattr(now, key), getattr(before, key)
        change = None if value is None or previous is None else float(value) - float(previous)
        found[key] = KpiChange(value, previous, change)
    return found
