"""The renewals list's total is counted without reading every renewal's account and owner: it
must still equal the list itself, at the edges of every owner's window (owners a day ahead of
and behind UTC, two days apart, or all on the same day) and for accounts churned before, on and
after their owner's today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.renewals import renewals_page
from storage.db import Database
from storage.models import Role
from tests.integration.account_builders import fetch_user
from tests.integration.builders import make_account, make_contract, make_team, make_user

UTC_TODAY = date(2026, 3, 10)
# 11:30 UTC: already the 11th in Auckland (UTC+13). 05:00 UTC: still the 9th in Honolulu (UTC-10).
# 10:30 UTC: the 10th in both, and in UTC: no owner's window differs from another's.
MOMENTS = [datetime(2026, 3, 10, h, m, tzinfo=UTC) for h, m in ((11, 30), (5, 0), (10, 30))]
NEAR = ("Pacific/Auckland", "Pacific/Honolulu")
# 10:30 UTC: the 11th on Kiritimati (UTC+14), still the 9th in Pago Pago (UTC-11).
FAR = ("Pacific/Kiritimati", "Pacific/Pago_Pago")


async def _book(db: Database, zones: tuple[str, str]) -> dict[str, int]:
    async with db.unit_of_work() as s:
        ahead = await make_team(s, name="Ahead", timezone=zones[0])
        behind = await make_team(s, name="Behind", timezone=zones[1])
        people = {
            "ahead": await make_user(s, team=ahead),
            "behind": await make_user(s, team=behind),
            "lead": await make_user(s, team=ahead, role=Role.LEAD),
            "head": await make_user(s, role=Role.HEAD, timezone="UTC"),
        }
        churn_days: list[date | None] = [None, UTC_TODAY - timedelta(days=3)]
        churn_days += [UTC_TODAY + timedelta(days=n) for n in (-1, 0, 1, 2)]
        for owner in ("ahead", "behind", "head"):
            for churned_on in churn_days:
                account = await make_account(s, owner=people[owner], churned_on=churned_on)
                for offset in (-2, -1, 0, 1, 2, 3, 5, 6, 7, 8, 9, 29, 30, 31, 32):
                    await make_contract(
                        s, account=account, end_on=UTC_TODAY + timedelta(days=offset)
                    )
    return {who: person.id for who, person in people.items()}


@pytest.mark.parametrize(
    ("zones", "days"), [(NEAR, 1), (NEAR, 2), (NEAR, 7), (NEAR, 30), (FAR, 1), (FAR, 7)]
)
async def test_the_total_is_the_number_of_renewals_listed(
    db: Database, zones: tuple[str, str], days: int
) -> None:
    people = await _book(db, zones)
    for now in MOMENTS:
        for who, person_id in people.items():
            async with db.read_only() as session:
                actor = await fetch_user(session, person_id)
                everything, total = await renewals_page(session, actor=actor, days=days, now=now)
                page, paged_total = await renewals_page(
                    session, actor=actor, days=days, now=now, limit=3, offset=2
                )
            case = (who, days, now)
            assert everything, case
            assert total == paged_total == len(everything), case
            assert page == everything[2:5], case
            assert all(0 <= row.days_left <= days for row in everything), case
