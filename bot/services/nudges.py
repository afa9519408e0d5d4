"""Nudge rules: which proactive DMs are due as of a moment. Computes only; records nothing.

Four kinds, each with a stable idempotency key so the outbox sends it once:

* ``missed_recap`` — a meeting between ``as_of - lookback`` and ``as_of - grace`` (both ends
  included) with no recap logged by ``as_of``; to the meeting's AM.
* ``overdue_step`` — a required step of the account's current-stage playbook whose due date
  (stage entry date in the owner's timezone + offset) is before today there, not before the
  account's ``known_since`` (steps due earlier are "before accountbot"), and that has no
  completion since the stage was entered; to the owner.
* ``onboarding_overdue`` — onboarding not completed and started ``onboarding_target_days`` or
  more days ago, unless that target day passed before the account's ``known_since`` (an
  imported account: its onboarding was over, or late, before accountbot knew it); to the owner.
* ``renewal`` — a contract ending 0..max(windows) days from today, once per window; to the owner.

"Today" is ``as_of`` in the account owner's timezone (``User.effective_timezone``: their own,
else their team's, else UTC), as in ``/account status``; only accounts active that day count.
A nudge its person was already sent (unless they snoozed it and the snooze is over) or marked
done is left out (`nudge_items`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.playbooks import PlaybookLibrary
from bot.services.owners import Owner, owner_zone, with_owner
from bot.services.status import missed_recap_window
from bot.services.step_rules import (
    before_accountbot,
    completed_steps,
    required_steps_past_due,
)
from bot.services.when import zone_or_utc
from bot.settings import Settings
from storage.models import Account, Contract, Meeting, NudgeItem, User

KIND_ORDER = ("missed_recap", "overdue_step", "onboarding_overdue", "renewal")
KEY_CHUNK = 500

People = list[int] | None  # whose nudges: these people's, or everyone's (None)

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


@dataclass(frozen=True, slots=True)
class _Owned:
    """An account active today (in its owner's timezone) with what the rules need."""

    id: int
    name: str
    owner_id: int
    owner_email: str
    stage: str
    stage_entered_at: datetime
    started_on: date
    onboarding_completed_on: date | None
    known_since: date | None
    zone: ZoneInfo
    today: date


def _maybe_active(as_of: datetime) -> ColumnElement[bool]:
    """A coarse SQL filter: active on some local date within a day of the UTC date."""
    utc_today = as_of.astimezone(UTC).date()
    return and_(
        Account.started_on <= utc_today + timedelta(days=1),
        or_(Account.churned_on.is_(None), Account.churned_on > utc_today - timedelta(days=1)),
    )


@lru_cache(maxsize=1024)
def _zone_today(as_of: datetime, zone_name: str | None) -> tuple[ZoneInfo, date]:
    """A zone and today there (a book has few zones: each is worked out once per scan)."""
    zone = zone_or_utc(zone_name)
    return zone, as_of.astimezone(zone).date()


def _active_day(
    as_of: datetime, zone_name: str | None, started_on: date, churned_on: date | None
) -> tuple[ZoneInfo, date] | None:
    """The owner's zone and today there, or None when the account is not active that day."""
    zone, today = _zone_today(as_of, zone_name)
    if started_on <= today and (churned_on is None or churned_on > today):
        return zone, today
    return None


async def _active_accounts(
    session: AsyncSession, as_of: datetime, owner_ids: People
) -> dict[int, _Owned]:
    stmt = with_owner(
        select(
            Account.id,
            Account.name,
            Account.owner_id,
            Owner.email,
            Account.stage,
            Account.stage_entered_at,
            Account.started_on,
            Account.onboarding_completed_on,
            Account.known_since,
            Account.churned_on,
            owner_zone(),
        )
    ).where(_maybe_active(as_of))
    if owner_ids is not None:
        stmt = stmt.where(Account.owner_id.in_(owner_ids))
    accounts: dict[int, _Owned] = {}
    for row in await session.execute(stmt):
        day = _active_day(as_of, row.zone_name, row.started_on, row.churned_on)
        if day is not None:
            accounts[row.id] = _Owned(
                id=row.id,
                name=row.name,
                owner_id=row.owner_id,
                owner_email=row.email,
                stage=str(row.stage),
                stage_entered_at=row.stage_entered_at,
                started_on=row.started_on,
                onboarding_completed_on=row.onboarding_completed_on,
                known_since=row.known_since,
                zone=day[0],
                today=day[1],
            )
    return accounts


async def _missed_recaps(
    session: AsyncSession, as_of: datetime, rules: NudgeRules, am_ids: People
) -> list[Nudge]:
    am = aliased(User, name="am")
    stmt = with_owner(
        select(
            Meeting.id,
            Meeting.occurred_at,
            Meeting.kind,
            Meeting.am_id,
            am.email,
            Account.id.label("account_id"),
            Account.name,
            Account.started_on,
            Account.churned_on,
            owner_zone(),
        )
        .join(Account, Account.id == Meeting.account_id)
        .join(am, am.id == Meeting.am_id)
    ).where(
        missed_recap_window(
            as_of, grace_hours=rules.recap_grace_hours, lookback_days=rules.recap_lookback_days
        ),
        _maybe_active(as_of),
    )
    if am_ids is not None:
        stmt = stmt.where(Meeting.am_id.in_(am_ids))
    nudges = []
    for row in await session.execute(stmt):
        if _active_day(as_of, row.zone_name, row.started_on, row.churned_on) is None:
            continue
        detail: Detail = {
            "meeting_id": row.id,
            "occurred_at": row.occurred_at.isoformat(),
            "meeting_kind": str(row.kind),
            "hours_since": int((as_of - row.occurred_at).total_seconds() // 3600),
        }
        nudges.append(
            Nudge(
                kind="missed_recap",
                key=f"missed_recap:meeting:{row.id}",
                user_id=row.am_id,
                user_email=row.email,
                account_id=row.account_id,
                account=row.name,
                window_days=None,
                due_on=None,
                detail=detail,
            )
        )
    return nudges


async def _renewals(
    session: AsyncSession,
    as_of: datetime,
    rules: NudgeRules,
    accounts: dict[int, _Owned],
    owner_ids: People,
) -> list[Nudge]:
    if not accounts or not rules.renewal_windows:
        return []
    utc_today = as_of.astimezone(UTC).date()
    horizon = max(rules.renewal_windows)
    stmt = (
        select(Contract.id, Contract.account_id, Contract.end_on)
        .join(Account, Account.id == Contract.account_id)
        .where(
            Contract.end_on >= utc_today - timedelta(days=1),
            Contract.end_on <= utc_today + timedelta(days=horizon + 1),
            _maybe_active(as_of),
        )
    )
    if owner_ids is not None:
        stmt = stmt.where(Account.owner_id.in_(owner_ids))
    nudges = []
    for row in await session.execute(stmt):
        account = accounts.get(row.account_id)
        if account is None:
            continue
        days_left = (row.end_on - account.today).days
        window = renewal_window(days_left, rules.renewal_windows)
        if window is None:
            continue
        detail: Detail = {
            "contract_id": row.id,
            "end_on": row.end_on.isoformat(),
            "days_left": days_left,
        }
        key = f"renewal:contract:{row.id}:{window}"
        nudges.append(_owner_nudge("renewal", key, account, window, row.end_on, detail))
    return nudges


def _owner_nudge(
    kind: str, key: str, account: _Owned, window: int | None, due_on: date | None, detail: Detail
) -> Nudge:
    return Nudge(
        kind=kind,
        key=key,
        user_id=account.owner_id,
        user_email=account.owner_email,
        account_id=account.id,
        account=account.name,
        window_days=window,
        due_on=due_on,
        detail=detail,
    )


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


def _onboarding_overdue(accounts: Iterable[_Owned], rules: NudgeRules) -> list[Nudge]:
    nudges = []
    for account in accounts:
        if onboarding_overdue_on(
            account.today,
            started_on=account.started_on,
            completed_on=account.onboarding_completed_on,
            known_since=account.known_since,
            target_days=rules.onboarding_target_days,
        ):
            detail: Detail = {
                "started_on": account.started_on.isoformat(),
                "days_since_start": (account.today - account.started_on).days,
                "target_days": rules.onboarding_target_days,
            }
            due_on = onboarding_last_day(account.started_on, rules.onboarding_target_days)
            key = f"onboarding_overdue:account:{account.id}"
            nudges.append(_owner_nudge("onboarding_overdue", key, account, None, due_on, detail))
    return nudges


async def _overdue_steps(
    session: AsyncSession,
    as_of: datetime,
    playbooks: PlaybookLibrary,
    accounts: dict[int, _Owned],
    owner_ids: People,
) -> list[Nudge]:
    candidates: list[tuple[_Owned, str, str, date]] = []
    for account in accounts.values():
        if account.stage not in playbooks.playbooks:
            continue
        entered_on = account.stage_entered_at.astimezone(account.zone).date()
        playbook = playbooks.for_stage(account.stage)
        past_due = required_steps_past_due(
            playbook, entered_on, account.today, known_since=account.known_since
        )
        for step, due in past_due:
            candidates.append((account, step.id, step.title, due))
    if not candidates:
        return []
    conditions = [_maybe_active(as_of)]
    if owner_ids is not None:
        conditions.append(Account.owner_id.in_(owner_ids))
    done = await completed_steps(session, *conditions)
    nudges = []
    for account, step_id, title, due_on in candidates:
        if (account.id, step_id) in done:
            continue
        entered_key = account.stage_entered_at.astimezone(UTC).date().isoformat()
        key = f"overdue_step:account:{account.id}:{account.stage}:{step_id}:{entered_key}"
        detail: Detail = {
            "stage": account.stage,
            "step_id": step_id,
            "step_title": title,
            "stage_entered_at": account.stage_entered_at.isoformat(),
            "days_overdue": (account.today - due_on).days,
        }
        nudges.append(_owner_nudge("overdue_step", key, account, None, due_on, detail))
    return nudges


async def settled_keys(
    session: AsyncSession, keys: Sequence[str], as_of: datetime
) -> set[tuple[int, str]]:
    """(user id, key) of the nudges sent and not snoozed past ``as_of``, or marked done."""
    found: set[tuple[int, str]] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        stmt = select(NudgeItem.user_id, NudgeItem.item_key).where(
            NudgeItem.item_key.in_(chunk),
            or_(
                NudgeItem.done_at.is_not(None),
                and_(
                    NudgeItem.last_sent_at.is_not(None),
                    or_(NudgeItem.snoozed_until.is_(None), NudgeItem.snoozed_until > as_of),
                ),
                NudgeItem.snoozed_until > as_of,
            ),
        )
        found.update((user_id, key) for user_id, key in await session.execute(stmt))
    return found


def _sort_key(nudge: Nudge) -> tuple[str, int, str, str]:
    return (nudge.user_email, KIND_ORDER.index(nudge.kind), nudge.account, nudge.key)


async def pending_nudges(
    session: AsyncSession,
    *,
    as_of: datetime,
    rules: NudgeRules,
    playbooks: PlaybookLibrary,
    user_id: int | None = None,
    user_ids: Collection[int] | None = None,
) -> list[Nudge]:
    """Every nudge due as of ``as_of`` and not yet sent (or done); only for one person
    (``user_id``) or some (``user_ids``) when given."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    as_of = as_of.astimezone(UTC)  # durations subtract in real time, not on a local wall clock
    people: People = sorted(user_ids) if user_ids is not None else None
    if user_id is not None:
        people = [user_id] if people is None else [p for p in people if p == user_id]
    if people is not None and not people:
        return []
    accounts = await _active_accounts(session, as_of, people)
    nudges = [
        *await _missed_recaps(session, as_of, rules, people),
        *await _overdue_steps(session, as_of, playbooks, accounts, people),
        *_onboarding_overdue(accounts.values(), rules),
        *await _renewals(session, as_of, rules, accounts, people),
    ]
    settled = await settled_keys(session, list(dict.fromkeys(n.key for n in nudges)), as_of)
    return sorted((n for n in nudges if (n.user_id, n.key) not in settled), key=_sort_key)
