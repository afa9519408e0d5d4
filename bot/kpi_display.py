"""How KPIs are shown, on every surface: labels, value formats and target wording.

Templates loop over `KPI_DISPLAY` and call `kpi_value` / `kpi_target` / `kpi_label`, so a KPI is
named and formatted the same in the console, the CLI, Slack and Teams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from bot.formatting import money, number, pct

Kind = Literal["count", "pct", "pct1", "money", "number"]

KPI_DISPLAY: tuple[tuple[str, str, Kind], ...] = (
    ("accounts_active", "Active accounts", "count"),
    ("churned_accounts", "Churned accounts", "count"),
    ("logo_churn_rate_mtd", "Logo churn, month to date", "pct1"),
    ("logo_churn_rate_qtd", "Logo churn, quarter to date", "pct1"),
    ("logo_churn_rate_ytd", "Logo churn, year to date", "pct1"),
    ("revenue_churn_rate_mtd", "Revenue churn, month to date", "pct1"),
    ("revenue_churn_rate_qtd", "Revenue churn, quarter to date", "pct1"),
    ("upsells_won", "Upsells won", "count"),
    ("upsell_value_won", "Upsell value won", "money"),
    ("upsell_pitch_coverage_qtd", "Upsell pitch coverage, quarter to date", "pct"),
    ("nps_90d", "NPS, last 90 days", "number"),
    ("avg_onboarding_days", "Average onboarding days", "number"),
    ("missed_deadlines", "Missed deadlines", "count"),
    ("meetings", "Meetings", "count"),
    ("recap_compliance", "Recaps within 24 h", "pct"),
    ("renewals_next_30", "Renewals in the next 30 days", "count"),
    ("renewals_next_90", "Renewals in the next 90 days", "count"),
    ("open_objections", "Open objections", "count"),
    ("escalated_objections", "Escalated objections", "count"),
    ("steps_done_late", "Playbook steps done late", "count"),
)
_LABELS = {key: label for key, label, _ in KPI_DISPLAY}
_KINDS = {key: kind for key, _, kind in KPI_DISPLAY}


def kpi_label(key: str) -> str:
    """The label of a KPI key (`recap_compliance`: "Recaps within 24 h"), else its words."""
    return _LABELS.get(key, key.replace("_", " "))


def kpi_value(value: object, key: str) -> str:
    kind = _KINDS.get(key, "number")
    if kind == "pct1":
        return pct(value, 1)
    if kind == "pct":
        return pct(value)
    if kind == "money":
        return money(value)
    return number(value)


def kpi_target(targets: Mapping[str, Mapping[str, float]], key: str) -> str:
    """The target in words: `≥ 90%`, `≤ 8`, `< 8`, `2–5`, or empty when the KPI has none."""
    bounds = targets.get(key) or {}
    low, high = bounds.get("min"), bounds.get("max")
    if low is not None and high is not None:
        return f"{kpi_value(low, key)}–{kpi_value(high, key)}"
    words = [
        f"{sign} {kpi_value(bounds[name], key)}"
        for name, sign in (("min", "≥"), ("above", ">"), ("max", "≤"), ("below", "<"))
        if bounds.get(name) is not None
    ]
    return ", ".join(words)


def kpi_bounds(bounds: Mapping[str, float] | None, key: str) -> str:
    """One KPI's target bounds in words (`{"below": 8}` for days: `< 8`)."""
    return kpi_target({key: bounds or {}}, key)


def kpi_change(change: object, key: str) -> str:
    """The change from the week before: `↑ 5 pts` for rates (in points), `↓ 2`, `↑ $1,200`,
    `→` when it did not move, empty when there is nothing to compare."""
    if change is None:
        return ""
    delta = float(str(change))
    if delta == 0:
        return "→"
    arrow = "↑" if delta > 0 else "↓"
    kind = _KINDS.get(key, "number")
    if kind in ("pct", "pct1"):
        points = f"{abs(delta) * 100:.{1 if kind == 'pct1' else 0}f}"
        size = f"{points} {'pt' if points == '1' else 'pts'}"
    elif kind == "money":
        size = money(abs(delta))
    else:
        size = number(abs(delta))
    return "→" if float(size.strip("$ pts").replace(",", "")) == 0 else f"{arrow} {size}"
