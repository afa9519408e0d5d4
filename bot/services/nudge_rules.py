"""What a due nudge is, the rules' settings, and the date rules that are not SQL's business:
a renewal's reminder window and when onboarding is over target (also the KPIs' rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.services.step_rules import before_accountbot
from bot.settings import Settings

KIND_ORDER = ("missed_recap", "overdue_step", "onboarding_overdue", "renewal")

Detail = dict[str, str | int | None]


@dataclass(frozen=True, slots=True)
class Nudge:
    """One proactive DM that is due: what, to whom, about which account, under which key."""

    kind: str
    key: str
    user_id: int
    user_email: str
    account_id: int
    account: str
    window_days: int | None
    due_on: date | None
    detail: Detail

    def to_dict(self) -> dict[str, str | int | None]:
        """JSON-safe: dates as ISO strings; ``window_days`` is null except for renewals."""
        return {
            "kind": self.kind,
            "user_email": self.user_email,
            "account": self.account,
            "key": self.key,
            "window_days": self.window_days,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            **self.detail,
        }


@dataclass(frozen=True)
class NudgeRules:
    recap_grace_hours: int = 24
    recap_lookback_days: int = 14
    renewal_windows: tuple[int, ...] = (90, 60, 30, 14, 7)
    onboarding_target_days: int = 8

    @classmethod
    def from_settings(cls, settings: Settings) -> NudgeRules:
        return cls(
            recap_grace_hours=settings.recap_grace_hours,
            recap_lookback_days=settings.recap_lookback_days,
            renewal_windows=tuple(sorted(set(settings.renewal_windows), reverse=True)),
            onboarding_target_days=settings.onboarding_target_days,
        )


def renewal_window(days_left: int, windows: tuple[int, ...]) -> int | None:
    """The smallest window >= ``days_left``; None when ``days_left`` is outside 0..max(windows)."""
    if not windows or days_left < 0 or days_left > max(windows):
        return None
    return min(w for w in windows if w >= days_left)


def onboarding_last_day(started_on: date, target_days: int) -> date:
    """The last day onboarding can finish "in under ``target_days`` days"."""
    return started_on + timedelta(days=target_days - 1)


def onboarding_overdue_on(
    day: date,
    *,
    started_on: date,
    completed_on: date | None,
    known_since: date | None,
    target_days: int,
) -> bool:
    """Whether onboarding is over target on ``day``: not completed by then and started
    ``target_days`` or more days before, unless that target passed before accountbot knew the
    account. The KPI target agrees: an average of ``target_days`` days misses `{below: 8}`."""
    return (
        (completed_on is None or completed_on > day)
        and (day - started_on).days >= target_days
        and not before_accountbot(onboarding_last_day(started_on, target_days), known_since)
    )
