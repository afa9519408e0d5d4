"""The scope an at-risk list is worked out over, built once with the reader as a parameter,
selects exactly what the reader may read (`access.readable_accounts`) and may still be live,
for every kind of reader."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, or_, select

from bot.services.access import readable_accounts
from bot.services.account_scope import readable_live, scoped
from storage.db import Database
from storage.models import Account, Role, User
from tests.integration.builders import make_account, make_team, make_user

NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
TODAY = NOW.date()


async def test_the_parameterised_scope_selects_what_each_reader_may_read(db: Database) -> None:
    async with db.unit_of_work() as s:
        east, west = await make_team(s, name="East"), await make_team(s, name="West")
        readers = [
            await make_user(s, team=east, email="am@example.com"),
            await make_user(s, team=east, email="lead@example.com", role=Role.LEAD),
            await make_user(s, team=None, email="solo@example.com"),
            await make_user(s, team=west, email="west@example.com"),
            await make_user(s, team=None, email="head@example.com", role=Role.HEAD, seniority=None),
            await make_user(s, team=None, email="ops@example.com", role=Role.OPS, seniority=None),
        ]
        churn_days: list[date | None] = [None, *(TODAY - timedelta(days=n) for n in (2, 1, 0))]
        for owner in readers[:4]:
            for churned_on in churn_days:
                await make_account(s, owner=owner, churned_on=churned_on)
    async with db.read_only() as s:
        people = list(await s.scalars(select(User).order_by(User.id)))
        seen: list[set[int]] = []
        for actor in people:
            scope, params = readable_live(actor, NOW)
            found = set(await s.scalars(scoped(_ids, scope), params))
            maybe_live = or_(
                Account.churned_on.is_(None), Account.churned_on > TODAY - timedelta(days=1)
            )
            stmt = select(Account.id).where(readable_accounts(actor), maybe_live)
            assert found == set(await s.scalars(stmt)), actor.email
            seen.append(found)
    assert all(seen) and len({frozenset(ids) for ids in seen}) >= 4  # readers differ


def _ids(scope: ColumnElement[bool]) -> Select[int]:
    return select(Account.id).where(scope)
