"""Nudge edges the main suite leaves out: exact lookback, local as_of, personal time zones,
and rules read from settings. Same defaults as test_nudges.py (as of 2026-03-10 12:00 UTC).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.services.nudges import NudgeRules, pending_nudges
from bot.services.status import account_status
from bot.settings import Settings
from storage.db import Database
from tests.integration.account_builders import fetch_account
from tests.integration.builders import make_team, make_user
from tests.integration.test_nudges import (
    AS_OF,
    LIBRARY,
    TODAY,
    add_account,
    add_contract,
    add_meeting,
    add_user,
    keys,
    nudges_as_of,
)

NEW_YORK = ZoneInfo("America/New_York")


async def test_meeting_exactly_lookback_days_old_is_still_due(db: Database) -> None:
    async with db.unit_of_work() as s:
        am = await add_user(s, "am@example.com")
        acme = await add_account(s, am, "Acme")
        edge = await add_meeting(s, acme, am, AS_OF - timedelta(days=14))
        await add_meeting(s, acme, am, AS_OF - timedelta(days=14, seconds=1))
    assert keys(await nudges_as_of(db)) == [f"missed_recap:meeting:{edge.id}"]


async def test_as_of_given_in_local_time_means_the_same_instant(db: Database) -> None:
    # 2026-03-08 is the spring-forward day in New York: a wall-clock subtraction would be an
    # hour off, so exactly-14-days and 23.5-hours meetings would flip.
    async with db.unit_of_work() as s:
        am = await add_user(s, "am@example.com")
        acme = await add_account(s, am, "Acme")
        await add_meeting(s, acme, am, AS_OF - timedelta(days=14))
        await add_meeting(s, acme, am, AS_OF - timedelta(hours=23, minutes=30))
    in_utc = await nudges_as_of(db)
    in_new_york = await nudges_as_of(db, AS_OF.astimezone(NEW_YORK))
    assert len(in_utc) == 1
    assert keys(in_new_york) == keys(in_utc)


async def test_renewal_days_left_agree_with_status_for_an_owner_with_their_own_time_zone(
    db: Database,
) -> None:
    # 12:00 UTC is already 01:00 on 03-11 in Auckland: 7 days to 03-18 there, 8 in UTC.
    async with db.unit_of_work() as s:
        team = await make_team(s, timezone="UTC")
        owner = await make_user(s, team=team, timezone="Pacific/Auckland")
        acme = await add_account(s, owner, "Acme")
        await add_contract(s, acme, date(2026, 3, 18))
    [renewal] = await nudges_as_of(db)
    assert (renewal.detail["days_left"], renewal.window_days) == (7, 7)
    async with db.read_only() as session:
        account = await fetch_account(session, acme.id)
        status = await account_status(session, account=account, playbooks=LIBRARY, now=AS_OF)
    assert status.days_to_renewal == renewal.detail["days_left"]


async def test_rules_follow_the_settings(db: Database) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        recap_grace_hours=48,
        recap_lookback_days=3,
        renewal_windows="45, 10",
        onboarding_target_days=5,
    )
    rules = NudgeRules.from_settings(settings)
    async with db.unit_of_work() as s:
        am = await add_user(s, "am@example.com")
        acme = await add_account(s, am, "Acme")
        await add_meeting(s, acme, am, AS_OF - timedelta(hours=30))  # inside the grace
        late = await add_meeting(s, acme, am, AS_OF - timedelta(hours=50))
        await add_meeting(s, acme, am, AS_OF - timedelta(days=4))  # beyond the lookback
        soon = await add_contract(s, acme, TODAY + timedelta(days=11))
        await add_contract(s, acme, TODAY + timedelta(days=46))  # beyond the largest window
        new = await add_account(
            s, am, "Newco", started_on=TODAY - timedelta(days=5), onboarding_completed_on=None
        )
        await add_account(
            s, am, "Newer", started_on=TODAY - timedelta(days=4), onboarding_completed_on=None
        )
    async with db.read_only() as session:
        found = await pending_nudges(session, as_of=AS_OF, rules=rules, playbooks=LIBRARY)
    assert sorted(keys(found)) == sorted(
        [
            f"missed_recap:meeting:{late.id}",
            f"renewal:contract:{soon.id}:45",
            f"onboarding_overdue:account:{new.id}",
        ]
    )
