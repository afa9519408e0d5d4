"""Per AM in the digest: on track or not against their seniority's targets, and the one number
furthest off; whether they are on vacation; a second late recap in the week.

"Furthest off" compares misses of different kinds by the gap to the target over the target's
size: the gap divided by the bound, or (for a bound near zero) by a unit per kind: 10 points
for rates, 10 for NPS, 1 for counts and days. So 70% recaps against 100% is 0.3 off, one
missed deadline against 0 is 1.0 off, 12 onboarding days against under 8 is 0.5 off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.services.kpis.definitions import KpiSet
from bot.services.kpis.report import AmKpis
from bot.services.kpis.targets import RATE_KPIS

SECOND_LATE_RECAP = 2  # the second late recap in a week is flagged (as the lead's daily DM does)
_UNITS = {"nps_90d": 10.0}
_RATE_UNIT = 0.1


@dataclass(frozen=True, slots=True)
class FurthestOff:
    """The missed target furthest from being met: the KPI, its value, its target's bounds."""

    kpi: str
    value: float
    target: dict[str, float]
    gap: float  # relative: see the module's docstring

    def to_dict(self) -> dict[str, Any]:
        return {"kpi": self.kpi, "value": self.value, "target": dict(self.target)}


@dataclass(frozen=True, slots=True)
class AmStatus:
    """One AM of the digest: their numbers (``am``) and what the lead needs to know."""

    am: AmKpis
    furthest_off: FurthestOff | None
    late_recaps: int  # meetings of the week without a recap within 24 hours
    vacation_until: date | None  # on vacation through this day (during or after the week)

    @property
    def name(self) -> str:
        return self.am.name

    @property
    def on_track(self) -> bool:
        return not self.am.misses

    @property
    def second_late_recap(self) -> bool:
        return self.late_recaps >= SECOND_LATE_RECAP

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_email": self.am.user_email,
            "name": self.am.name,
            "seniority": self.am.seniority,
            "on_track": self.on_track,
            "misses": list(self.am.misses),
            "furthest_off": self.furthest_off.to_dict() if self.furthest_off else None,
            "late_recaps": self.late_recaps,
            "second_late_recap": self.second_late_recap,
            "on_vacation_until": self.vacation_until.isoformat() if self.vacation_until else None,
        }


def _gap(value: float, bounds: Mapping[str, float], key: str) -> float:
    """How far ``value`` is from meeting ``bounds``, relative to the target's size."""
    low = bounds.get("min", bounds.get("above"))
    high = bounds.get("max", bounds.get("below"))
    distance = 0.0
    bound = 0.0
    if low is not None and value <= low:
        distance, bound = low - value, low
    elif high is not None and value >= high:
        distance, bound = value - high, high
    unit = _RATE_UNIT if key in RATE_KPIS else _UNITS.get(key, 1.0)
    return distance / max(abs(bound), unit)


def furthest_off(
    kpis: KpiSet, targets: Mapping[str, Mapping[str, float]], misses: list[str]
) -> FurthestOff | None:
    """The missed KPI furthest from its target (the first in KPI order on a tie)."""
    found: FurthestOff | None = None
    for key in misses:
        value = getattr(kpis, key)
        if value is None:
            continue
        gap = _gap(float(value), targets[key], key)
        if found is None or gap > found.gap:
            found = FurthestOff(key, float(value), dict(targets[key]), gap)
    return found


def am_statuses(
    by_am: list[AmKpis],
    late_recaps: Mapping[str, int],
    vacations: Mapping[str, date],
) -> list[AmStatus]:
    """The AMs who need the lead first (by name), then those on track (by name).
    ``late_recaps`` and ``vacations`` are keyed by e-mail."""
    statuses = [
        AmStatus(
            am=am,
            furthest_off=furthest_off(am.kpis, am.targets, am.misses),
            late_recaps=late_recaps.get(am.user_email, 0),
            vacation_until=vacations.get(am.user_email),
        )
        for am in by_am
    ]
    return sorted(statuses, key=lambda status: status.on_track)  # stable: names stay in order
