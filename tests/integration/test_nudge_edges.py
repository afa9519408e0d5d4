"""Nudge edges the main suite leaves out: exact lookback, local as_of, personal time zones,
and rules read from settings. Same defaults as test_nudges.py (as of 2026-03-10 12:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.nudges import NudgeRules, pending_nudges
from bot.services.status import account_status
from bot.settings import Settings
from storage.db import Database
from storage.models import Stage
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


async def test_one_persons_nudges_are_theirs_from_everyones_when_zones_disagree_on_today(
    db: Database,
) -> None:
    # At 10:30 UTC it is already 03-11 in Kiritimati (+14) and still 03-09 in Pago Pago (-11).
    # A person's own scan (App Home, their daily DM) reads only the zones it needs: it must
    # find exactly what everyone's scan finds for them, each day taken in the owner's zone.
    moment = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
    async with db.unit_of_work() as s:
        kiri = await add_user(s, "kiri@example.com", timezone="Pacific/Kiritimati")
        pago = await add_user(s, "pago@example.com", timezone="Pacific/Pago_Pago")
        ursula = await add_user(s, "ursula@example.com")
        # 7 days left on Kiritimati's 03-11 (8 on UTC's: the 14-day window)
        await add_contract(s, await add_account(s, kiri, "K renews"), date(2026, 3, 18))
        # growth entered 03-08 19:00 there: plan-qbr (2 days) was due 03-10, overdue on 03-11
        await add_account(
            s,
            kiri,
            "K step",
            stage=Stage.GROWTH,
            stage_entered_at=datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
        )
        # churned on Kiritimati's today: inactive for everyone's nudges, also ursula's recap
        gone = await add_account(s, kiri, "K churned", churned_on=date(2026, 3, 11))
        await add_contract(s, gone, date(2026, 3, 20))
        await add_meeting(s, gone, ursula, moment - timedelta(days=2))
        await add_meeting(
            s, await add_account(s, ursula, "U own"), ursula, moment - timedelta(days=2)
        )
        # 15 days left on Pago Pago's 03-09 (14 on UTC's); onboarding 7 days in there (8 in UTC)
        await add_contract(s, await add_account(s, pago, "P renews"), date(2026, 3, 24))
        await add_account(
            s, pago, "P onboards", started_on=date(2026, 3, 2), onboarding_completed_on=None
        )
    everyone = await nudges_as_of(db, moment)
    found = {}
    for person in (kiri, pago, ursula):
        own = await nudges_as_of(db, moment, user_id=person.id)
        assert keys(own) == [n.key for n in everyone if n.user_id == person.id]
        found[person.email] = [(n.kind, n.account, n.window_days) for n in own]
    assert found == {
        "kiri@example.com": [("overdue_step", "K step", None), ("renewal", "K renews", 7)],
        "pago@example.com": [("renewal", "P renews", 30)],
        "ursula@example.com": [("missed_recap", "U own", None)],
    }
