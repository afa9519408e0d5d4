"""The KPI set: ONE definition of the numbers, as ratios and counts of per-person tallies.

The counting lives in :mod:`bot.services.kpis.queries` and :mod:`~bot.services.kpis.activity`;
here each KPI is made from the tallies.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from bot.services.kpis.tally import Tally


@dataclass(frozen=True, slots=True)
class KpiSet:
    """One period's numbers for a team or one AM (rates are fractions 0..1, unrounded).

    "Last day" is the period's end (Sunday, or ``through``); "the quarter" and "the month"
    are the ones containing it; the 90-day window is (last day - 90 days, last day].
    """

    accounts_active: int
    churned_accounts: int
    logo_churn_rate_mtd: float | None
    logo_churn_rate_qtd: float | None
    revenue_churn_rate_qtd: float | None
    upsells_won: int
    upsell_value_won: Decimal
    upsell_pitch_coverage_qtd: float | None
    nps_90d: float | None
    avg_onboarding_days: float | None
    missed_deadlines: int
    meetings: int
    recap_compliance: float | None
    renewals_next_30: int
    renewals_next_90: int
    # Added later; defaults keep older callers (and stored test data) valid.
    logo_churn_rate_ytd: float | None = None
    open_objections: int = 0
    escalated_objections: int = 0
    steps_done_late: int = 0
    revenue_churn_rate_mtd: float | None = None

    def to_dict(self) -> dict[str, int | float | None]:
        """JSON-safe, in definition order: Decimal becomes float, None stays None."""
        out: dict[str, int | float | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = float(value) if isinstance(value, Decimal) else value
        return out


KPI_NAMES: tuple[str, ...] = tuple(f.name for f in fields(KpiSet))


def _ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    return None if whole == 0 else float(part) / float(whole)


def kpis_from_tally(t: Tally) -> KpiSet:
    nps = None
    if t.nps_responses:
        nps = 100 * (t.nps_promoters - t.nps_detractors) / t.nps_responses
    return KpiSet(
        accounts_active=t.active_at_end,
        churned_accounts=t.churned_in_period,
        logo_churn_rate_mtd=_ratio(t.churned_mtd, t.active_at_month_start),
        logo_churn_rate_qtd=_ratio(t.churned_qtd, t.active_at_quarter_start),
        revenue_churn_rate_qtd=_ratio(t.churned_mrr_qtd, t.mrr_at_quarter_start),
        upsells_won=t.upsells_won,
        upsell_value_won=t.upsell_value_won,
        upsell_pitch_coverage_qtd=_ratio(t.pitched_active_accounts, t.active_at_end),
        nps_90d=nps,
        avg_onboarding_days=_ratio(t.onboarding_days, t.onboarded_accounts),
        missed_deadlines=t.missed_deadlines,
        meetings=t.meetings,
        recap_compliance=_ratio(t.meetings_recapped_in_time, t.meetings),
        renewals_next_30=t.renewals_next_30,
        renewals_next_90=t.renewals_next_90,
        logo_churn_rate_ytd=_ratio(t.churned_ytd, t.active_at_year_start),
        open_objections=t.open_objections,
        escalated_objections=t.escalated_objections,
        steps_done_late=t.steps_done_late,
        revenue_churn_rate_mtd=_ratio(t.churned_mrr_mtd, t.mrr_at_month_start),
    )
