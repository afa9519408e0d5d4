"""The bench's own KPI formulas over the tallies of `bench.scale.digest_sql`'s grouped queries
(:data:`KPI_FORMULAS`, compared by name with ``KpiSet``), and how tallies add up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Tally = dict[str, Any]
CENT = Decimal("0.01")
MONEY = frozenset(
    {
        "churned_mrr_qtd",
        "mrr_at_quarter_start",
        "churned_mrr_mtd",
        "mrr_at_month_start",
        "upsell_value_won",
    }
)


def _ratio(part: Any, whole: Any) -> float | None:
    return None if not whole else float(part) / float(whole)


def _nps_score(t: Tally) -> float | None:
    responses = t["nps_responses"]
    return 100 * (t["nps_promoters"] - t["nps_detractors"]) / responses if responses else None


KPI_FORMULAS: dict[str, Callable[[Tally], Any]] = {
    "accounts_active": lambda t: t["active_at_end"],
    "churned_accounts": lambda t: t["churned_in_period"],
    "logo_churn_rate_mtd": lambda t: _ratio(t["churned_mtd"], t["active_at_month_start"]),
    "logo_churn_rate_qtd": lambda t: _ratio(t["churned_qtd"], t["active_at_quarter_start"]),
    "revenue_churn_rate_qtd": lambda t: _ratio(t["churned_mrr_qtd"], t["mrr_at_quarter_start"]),
    "upsells_won": lambda t: t["upsells_won"],
    "upsell_value_won": lambda t: t["upsell_value_won"],
    "upsell_pitch_coverage_qtd": lambda t: _ratio(t["pitched_active_accounts"], t["active_at_end"]),
    "nps_90d": _nps_score,
    "avg_onboarding_days": lambda t: _ratio(t["onboarding_days"], t["onboarded_accounts"]),
    "missed_deadlines": lambda t: t["missed_deadlines"],
    "meetings": lambda t: t["meetings"],
    "recap_compliance": lambda t: _ratio(t["meetings_recapped_in_time"], t["meetings"]),
    "renewals_next_30": lambda t: t["renewals_next_30"],
    "renewals_next_90": lambda t: t["renewals_next_90"],
    "logo_churn_rate_ytd": lambda t: _ratio(t["churned_ytd"], t["active_at_year_start"]),
    "open_objections": lambda t: t["open_objections"],
    "escalated_objections": lambda t: t["escalated_objections"],
    "steps_done_late": lambda t: t["steps_done_late"],
    "revenue_churn_rate_mtd": lambda t: _ratio(t["churned_mrr_mtd"], t["mrr_at_month_start"]),
}


def value(name: str, raw: Any) -> Any:
    """Money rounded to cents (SQLite sums it as a float); counts as ints."""
    return Decimal(str(raw or 0)).quantize(CENT) if name in MONEY else int(raw or 0)


def add(total: Tally, more: Tally) -> None:
    for name, value in more.items():
        total[name] = total.get(name, 0) + value


def _zero(tally: Tally) -> Tally:
    return defaultdict(int, tally)


def kpis(tally: Tally) -> dict[str, Any]:
    counted = _zero(tally)
    return {name: formula(counted) for name, formula in KPI_FORMULAS.items()}
