"""“Why it changed”: one short line per headline KPI that moved beyond its threshold since the
week before, naming the cause found in the rows the KPI counts (never guessed).

The causes come from the same tallies as the numbers, grouped per AM (late recaps) or per
account (missed deadlines, upsells, NPS responses, churn, renewals, objections, late steps),
and from the days of the two periods (a new month, quarter or year starts the "to date"
rates afresh). A KPI without a value in either week has no change and no line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.formatting import count_of, money, truncate_text
from bot.kpi_display import kpi_label, kpi_value
from bot.services.kpis.definitions import KpiSet
from bot.services.kpis.tally import Period, Tally

# How far a KPI must move for a line: rates in fractions (0.05 = 5 points), NPS in points,
# days, counts. A churn rate moves only when an account churns or a period starts: any move.
THRESHOLDS: dict[str, float] = {
    "recap_compliance": 0.05,
    "missed_deadlines": 1,
    "avg_onboarding_days": 1,
    "upsell_pitch_coverage_qtd": 0.05,
    "upsells_won": 1,
    "nps_90d": 10,
    "logo_churn_rate_mtd": 0.001,
    "logo_churn_rate_qtd": 0.001,
    "logo_churn_rate_ytd": 0.001,
    "revenue_churn_rate_mtd": 0.001,
    "revenue_churn_rate_qtd": 0.001,
    "renewals_next_30": 1,
    "renewals_next_90": 1,
    "open_objections": 1,
    "escalated_objections": 1,
    "steps_done_late": 1,
}
_EPSILON = 1e-9
NAME_MAX = 60


@dataclass(frozen=True, slots=True)
class Reason:
    kpi: str
    text: str  # plain text with names as typed: escape it for the surface

    def to_dict(self) -> dict[str, str]:
        return {"kpi": self.kpi, "text": self.text}


@dataclass(frozen=True)
class Evidence:
    """What the reasons read: both weeks' numbers, per AM and per account, and names."""

    current: KpiSet
    previous: KpiSet
    period: Period
    previous_period: Period
    by_person: Mapping[int, Tally]
    by_person_before: Mapping[int, Tally]
    by_account: Mapping[int, Tally]
    by_account_before: Mapping[int, Tally]
    people: Mapping[int, str]  # user id -> name
    accounts: Mapping[int, str]  # account id -> name
    mrr: Mapping[int, Any]  # account id -> MRR
    onboardings: Mapping[int, tuple[date, date]]  # account id -> (started_on, completed_on)


def moved(key: str, now: Any, before: Any) -> bool:
    if now is None or before is None:
        return False
    return abs(float(now) - float(before)) >= THRESHOLDS[key] - _EPSILON


def _short(name: str) -> str:
    return truncate_text(name, NAME_MAX)


def _listed(names: Sequence[str], limit: int = 3) -> str:
    shown = [_short(n) for n in names[:limit]]
    more = len(names) - len(shown)
    if more:
        return f"{', '.join(shown)} and {more} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _accounts_with(ev: Evidence, field: str, *, before: bool = False) -> list[tuple[str, int]]:
    """(account name, count) of the accounts with ``field`` > 0, most first, then by name."""
    tallies = ev.by_account_before if before else ev.by_account
    found = [(ev.accounts.get(a, "?"), getattr(t, field)) for a, t in tallies.items()]
    return sorted(((n, c) for n, c in found if c), key=lambda nc: (-nc[1], nc[0].casefold()))


def _changed(ev: Evidence, field: str, rising: bool) -> list[str]:
    """Accounts whose ``field`` went up (``rising``) or down since the week before, by name."""
    ids = set(ev.by_account) | set(ev.by_account_before)
    names = []
    for account_id in ids:
        now = getattr(ev.by_account.get(account_id, Tally()), field)
        then = getattr(ev.by_account_before.get(account_id, Tally()), field)
        if (now > then) if rising else (now < then):
            names.append(ev.accounts.get(account_id, "?"))
    return sorted(names, key=str.casefold)


def _spread(counted: list[tuple[str, int]]) -> str | None:
    """Where the counted rows are: `all on Acme`, `one each on Acme, Globex and 2 more`,
    `2 on Acme, 1 on Globex and 3 more accounts`."""
    if not counted:
        return None
    total = sum(count for _, count in counted)
    if len(counted) == 1:
        return f"all on {_short(counted[0][0])}" if total > 1 else f"on {_short(counted[0][0])}"
    if total == len(counted):
        return f"one each on {_listed([name for name, _ in counted])}"
    parts = ", ".join(f"{count} on {_short(name)}" for name, count in counted[:2])
    rest = len(counted) - 2
    return parts + (f" and {rest} more account{'s' if rest > 1 else ''}" if rest else "")


def _late_recaps(tallies: Mapping[int, Tally]) -> dict[int, int]:
    return {p: t.meetings - t.meetings_recapped_in_time for p, t in tallies.items()}


def _recaps(ev: Evidence, rising: bool) -> str | None:
    late = _late_recaps(ev.by_person)
    total = sum(late.values())
    if rising:
        before = sum(_late_recaps(ev.by_person_before).values())
        meetings = ev.current.meetings
        return (
            f"{total} of {meetings} recaps late, against {before} of "
            f"{ev.previous.meetings} the week before"
        )
    if not total:
        return None
    person, most = max(late.items(), key=lambda item: (item[1], -item[0]))
    name = _short(ev.people.get(person, "?"))
    if most == total:
        return (
            f"all {total} late recaps were {name}'s" if total > 1 else f"the late one was {name}'s"
        )
    if most >= 2:
        return f"{most} of the {total} late recaps were {name}'s"
    return f"{total} late recaps, one each by {sum(1 for n in late.values() if n)} AMs"


def _onboarding(ev: Evidence, rising: bool) -> str | None:
    p, q = ev.period, ev.previous_period
    finished = [
        (ev.accounts.get(a, "?"), (done - started).days)
        for a, (started, done) in ev.onboardings.items()
        if p.start <= done <= p.end
    ]
    if finished:
        name, days = (max if rising else min)(finished, key=lambda nd: (nd[1], nd[0]))
        took = f"{_short(name)} took {count_of(days, 'day')}"
        return took if len(finished) == 1 else f"{len(finished)} finished; {took}"
    left = [
        ev.accounts.get(a, "?")
        for a, (_, done) in ev.onboardings.items()
        if q.trailing_after < done <= p.trailing_after
    ]
    return f"{_listed(sorted(left))} left the 90 days" if left else None


def _new_period(ev: Evidence, key: str) -> str | None:
    span = "year" if key.endswith("ytd") else "month" if key.endswith("mtd") else "quarter"
    start = {"year": "year_start", "month": "month_start", "quarter": "quarter_start"}[span]
    now, then = getattr(ev.period, start), getattr(ev.previous_period, start)
    return f"a new {span} began on {now:%d %b}" if now != then else None


def _coverage(ev: Evidence, rising: bool) -> str | None:
    if fresh := _new_period(ev, "upsell_pitch_coverage_qtd"):
        return fresh
    pitched = _changed(ev, "pitched_active_accounts", rising=True)
    if rising:
        return f"{_listed(pitched)} newly pitched" if pitched else None
    gone = _changed(ev, "pitched_active_accounts", rising=False)
    added = [name for name in _changed(ev, "active_at_end", rising=True) if name not in pitched]
    parts = []
    if added:
        parts.append(f"{_listed(added)} new and not pitched yet")
    if gone:
        parts.append(f"{_listed(gone)}, pitched, churned")
    return "; ".join(parts) or None


def _upsells(ev: Evidence, rising: bool) -> str | None:
    won = sorted(
        (
            (ev.accounts.get(account_id, "?"), t.upsell_value_won)
            for account_id, t in ev.by_account.items()
            if t.upsells_won
        ),
        key=lambda nv: (-nv[1], nv[0].casefold()),
    )
    if not won:
        return None
    each = ", ".join(f"{_short(name)} {money(value)}" for name, value in won[:3])
    more = f" and {len(won) - 3} more" if len(won) > 3 else ""
    total = f" ({money(ev.current.upsell_value_won)} in all)" if len(won) > 1 else ""
    return f"{each}{more}{total}"


def _nps(ev: Evidence, rising: bool) -> str | None:
    good, bad = (
        ("nps_promoters", "nps_detractors") if rising else ("nps_detractors", "nps_promoters")
    )
    arrived = _changed(ev, good, rising=True)
    if arrived:
        kind = "promoters" if rising else "detractors"
        return f"new {kind} on {_listed(arrived)}"
    left = _changed(ev, bad, rising=False)
    kind = "detractors" if rising else "promoters"
    return f"{kind} on {_listed(left)} left the 90 days" if left else None


def _churn(ev: Evidence, key: str, rising: bool) -> str | None:
    if not rising:
        return _new_period(ev, key)
    churned = [name for name, _ in _accounts_with(ev, "churned_in_period")]
    if not churned:
        return None
    if key.startswith("revenue_churn_rate"):
        lost = sum(
            (ev.mrr.get(a, 0) for a, t in ev.by_account.items() if t.churned_in_period), start=0
        )
        return f"{_listed(churned)} churned ({money(lost)} MRR)"
    return f"{_listed(churned)} churned"


def _moved_accounts(field: str, up: str, down: str) -> Callable[[Evidence, bool], str | None]:
    """``up`` (``down`` when it fell) naming the accounts whose ``field`` rose (fell) at {}."""

    def cause(ev: Evidence, rising: bool) -> str | None:
        names = _changed(ev, field, rising)
        return (up if rising else down).format(_listed(names)) if names else None

    return cause


def _spread_of(field: str) -> Callable[[Evidence, bool], str | None]:
    """Where this week's count lies: `all on Acme` after a rise, `now on Acme` after a fall
    (what is left, not what went away)."""

    def cause(ev: Evidence, rising: bool) -> str | None:
        spread = _spread(_accounts_with(ev, field))
        return spread if rising or spread is None else f"now {spread}"

    return cause


CAUSES: dict[str, Callable[[Evidence, bool], str | None]] = {
    "recap_compliance": _recaps,
    "missed_deadlines": _spread_of("missed_deadlines"),
    "avg_onboarding_days": _onboarding,
    "upsell_pitch_coverage_qtd": _coverage,
    "upsells_won": _upsells,
    "nps_90d": _nps,
    "renewals_next_30": _moved_accounts(
        "renewals_next_30", "{} now renewing within 30 days", "{} no longer renewing within 30 days"
    ),
    "renewals_next_90": _moved_accounts(
        "renewals_next_90", "{} now renewing within 90 days", "{} no longer renewing within 90 days"
    ),
    "open_objections": _moved_accounts("open_objections", "new on {}", "resolved on {}"),
    "escalated_objections": _moved_accounts(
        "escalated_objections", "escalated on {}", "no longer escalated on {}"
    ),
    "steps_done_late": _spread_of("steps_done_late"),
}


def reasons(ev: Evidence, keys: Sequence[str]) -> list[Reason]:
    """A line for each of ``keys`` (in that order) that moved beyond its threshold."""
    found = []
    for key in keys:
        if key not in THRESHOLDS:
            continue
        now, before = getattr(ev.current, key), getattr(ev.previous, key)
        if not moved(key, now, before):
            continue
        rising = float(now) > float(before)
        verb = "rose" if rising else "fell"
        line = f"{kpi_label(key)} {verb} from {kpi_value(before, key)} to {kpi_value(now, key)}"
        cause = _churn(ev, key, rising) if "churn" in key else CAUSES[key](ev, rising)
        found.append(Reason(key, f"{line}: {cause}" if cause else line))
    return found
