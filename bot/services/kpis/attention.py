"""“Needs attention”: the few accounts that most need the team lead this week.

Judged at the end of the digest week's last day, from the week's per-account tallies (the rows
the KPIs count), for accounts active then:

* a renewal within 30 days (a contract ending in the 30 days after the last day) together
  with an open objection or a late recap (a meeting of the week without a recap within 24 h);
* an escalated objection (churn risk);
* a low NPS: more detractors than promoters among the account's NPS of the last 90 days;
* onboarding over target (the onboarding nudge's rule, on the last day);
* missed deadlines in the week (churn risk: the practice's first key result against churn).

Ranked by how much of that holds (the renewal case first), then the sooner renewal, the larger
MRR and the name; at most five.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from bot.formatting import count_of
from bot.services.kpis.tally import Tally
from bot.services.nudges import onboarding_overdue_on

MOST = 5
_WEIGHTS = {"renewal": 8, "escalated": 6, "nps": 4, "onboarding": 3, "deadlines": 2}


@dataclass(frozen=True, slots=True)
class BookAccount:
    """What the digest knows of one of the team's accounts."""

    id: int
    name: str
    owner: str
    started_on: date
    onboarding_completed_on: date | None
    known_since: date | None
    churned_on: date | None
    mrr: Decimal

    def active_at_end_of(self, day: date) -> bool:
        return self.started_on <= day and (self.churned_on is None or self.churned_on > day)


@dataclass(frozen=True, slots=True)
class AttentionAccount:
    account_id: int
    name: str
    owner: str
    why: list[str]
    renewal_on: date | None
    score: int = field(default=0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account": self.name,
            "owner": self.owner,
            "why": list(self.why),
            "renewal_on": self.renewal_on.isoformat() if self.renewal_on else None,
        }


def _signals(
    account: BookAccount,
    tally: Tally,
    renewal_on: date | None,
    last_day: date,
    onboarding_days: int,
) -> tuple[int, list[str]]:
    why: list[str] = []
    score = 0
    late = tally.meetings - tally.meetings_recapped_in_time
    if renewal_on is not None and (tally.open_objections or late):
        troubles = [
            count_of(tally.open_objections, "open objection", "open objections")
            if tally.open_objections
            else "",
            count_of(late, "late recap", "late recaps") if late else "",
        ]
        why.append(f"renews {renewal_on:%d %b} with " + " and ".join(t for t in troubles if t))
        score += _WEIGHTS["renewal"]
    if tally.escalated_objections:
        why.append(
            count_of(tally.escalated_objections, "escalated objection", "escalated objections")
        )
        score += _WEIGHTS["escalated"]
    if tally.nps_responses and tally.nps_detractors > tally.nps_promoters:
        why.append(
            f"low NPS: {count_of(tally.nps_detractors, 'detractor', 'detractors')} of "
            f"{count_of(tally.nps_responses, 'response', 'responses')} in 90 days"
        )
        score += _WEIGHTS["nps"]
    if onboarding_overdue_on(
        last_day,
        started_on=account.started_on,
        completed_on=account.onboarding_completed_on,
        known_since=account.known_since,
        target_days=onboarding_days,
    ):
        days = (last_day - account.started_on).days
        why.append(f"onboarding on day {days} (target: under {onboarding_days} days)")
        score += _WEIGHTS["onboarding"]
    if tally.missed_deadlines:
        why.append(count_of(tally.missed_deadlines, "missed deadline", "missed deadlines"))
        score += _WEIGHTS["deadlines"]
    return score, why


def needs_attention(
    accounts: Mapping[int, BookAccount],
    tallies: Mapping[int, Tally],
    renewals: Mapping[int, date],
    *,
    last_day: date,
    onboarding_days: int,
) -> list[AttentionAccount]:
    """At most five accounts, most in need first. ``renewals``: the soonest contract end within
    30 days after ``last_day``, per account."""
    found = []
    for account in accounts.values():
        if not account.active_at_end_of(last_day):
            continue
        renewal_on = renewals.get(account.id)
        score, why = _signals(
            account, tallies.get(account.id, Tally()), renewal_on, last_day, onboarding_days
        )
        if why:
            found.append((score, renewal_on or date.max, -account.mrr, account, why))
    found.sort(key=lambda f: (-f[0], f[1], f[2], f[3].name.casefold(), f[3].id))
    return [
        AttentionAccount(account.id, account.name, account.owner, why, renewals.get(account.id), s)
        for s, _, _, account, why in found[:MOST]
    ]
