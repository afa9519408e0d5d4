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

The rules' settings and dates are in `bot.services.nudge_rules`; the statements that find each
kind, in `bot.services.due_nudges` (what they share: `bot.services.nudge_scan`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import PlaybookLibrary
from bot.services import due_nudges
from bot.services.nudge_rules import (
    KIND_ORDER,
    Detail,
    Nudge,
    NudgeRules,
    onboarding_last_day,
    onboarding_overdue_on,
    renewal_window,
)
from bot.services.nudge_scan import Scan, settled
from bot.services.owners import zones_in_use, zones_of
from storage.models import NudgeItem

__all__ = [
    "KIND_ORDER",
    "Detail",
    "Nudge",
    "NudgeRules",
    "onboarding_last_day",
    "onboarding_overdue_on",
    "pending_nudges",
    "renewal_window",
    "settled_keys",
]

KEY_CHUNK = 500


async def settled_keys(
    session: AsyncSession, keys: Sequence[str], as_of: datetime
) -> set[tuple[int, str]]:
    """(user id, key) of the nudges sent and not snoozed past ``as_of``, or marked done."""
    found: set[tuple[int, str]] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        stmt = select(NudgeItem.user_id, NudgeItem.item_key).where(
            NudgeItem.item_key.in_(chunk), settled(as_of)
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
    (``user_id``) or some (``user_ids``) when given.

    One statement per kind returns only what is due, so the work and memory follow the due
    nudges (and the accounts the statements read), not the book's history."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    as_of = as_of.astimezone(UTC)  # durations subtract in real time, not on a local wall clock
    people: list[int] | None = sorted(user_ids) if user_ids is not None else None
    if user_id is not None:
        people = [user_id] if people is None else [p for p in people if p == user_id]
    if people is not None and not people:
        return []
    scan = Scan(as_of, sorted(await zones_in_use(session)), people)
    # A missed recap goes to the meeting's AM, on an account whose owner (and zone) may be
    # anyone's; the other kinds go to the account's owner: only the people's zones matter.
    owners = (
        scan if people is None else Scan(as_of, sorted(await zones_of(session, people)), people)
    )
    nudges = [
        *await due_nudges.missed_recaps(session, scan, rules),
        *await due_nudges.overdue_steps(session, owners, playbooks),
        *await due_nudges.onboarding_overdue(session, owners, rules),
        *await due_nudges.renewals(session, owners, rules),
    ]
    nudges.sort(key=_sort_key)
    return nudges
