"""Logging meetings and recaps from chat, on SQLite and PostgreSQL.

Team A works in New York (EDT, UTC-4 in March 2026). Ann (AM) owns Acme; Bob is another AM
of team A, Lea its lead; Cy is an AM of team B; Ola is ops. It is 2026-03-10 15:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.command_syntax import cmd
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.services.meetings import latest_meeting_without_recap, log_meeting, log_recap
from storage.db import Database
from storage.models import Meeting, MeetingKind, Role
from tests.integration.account_builders import audit_rows, fetch_account, fetch_user
from tests.integration.builders import make_account, make_meeting, make_team, make_user

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NO_PENDING = f"No meeting without a recap; log the meeting first with {cmd('meeting NAME')}."


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class Setup:
    acme: int
    other: int
    people: dict[str, int]


async def seed(db: Database) -> Setup:
    async with db.unit_of_work() as session:
        team_a = await make_team(session, timezone="America/New_York")
        team_b = await make_team(session)
        people = {
            "ann": await make_user(session, team=team_a, name="Ann"),
            "bob": await make_user(session, team=team_a, name="Bob"),
            "lea": await make_user(session, team=team_a, name="Lea", role=Role.LEAD),
            "cy": await make_user(session, team=team_b, name="Cy"),
            "ola": await make_user(session, name="Ola", role=Role.OPS),
        }
        acme = await make_account(session, owner=people["ann"], name="Acme")
        other = await make_account(session, owner=people["bob"], name="Bolt")
    return Setup(acme.id, other.id, {k: u.id for k, u in people.items()})


async def add_meeting(db: Database, account_id: int, **kwargs: Any) -> int:
    async with db.unit_of_work() as session:
        account = await fetch_account(session, account_id)
        return (await make_meeting(session, account=account, **kwargs)).id


async def meeting(db: Database, setup: Setup, who: str = "ann", **kwargs: Any) -> Meeting:
    async with db.unit_of_work() as session:
        account = await fetch_account(session, setup.acme)
        actor = await fetch_user(session, setup.people[who])
        kwargs.setdefault("occurred_at", utc(2026, 3, 10, 14, 0))
        return await log_meeting(session, account=account, actor=actor, now=NOW, **kwargs)


async def recap(db: Database, setup: Setup, who: str = "ann", **kwargs: Any) -> Meeting:
    async with db.unit_of_work() as session:
        account = await fetch_account(session, setup.acme)
        actor = await fetch_user(session, setup.people[who])
        fields: dict[str, Any] = {
            "summary": "Agreed the Q2 plan.",
            "next_steps": None,
            "upsell_spotted": None,
        }
        return await log_recap(session, account=account, actor=actor, now=NOW, **(fields | kwargs))


async def meetings_of(db: Database, account_id: int) -> list[Meeting]:
    async with db.read_only() as session:
        stmt = select(Meeting).where(Meeting.account_id == account_id).order_by(Meeting.occurred_at)
        return list(await session.scalars(stmt))


# --- log_meeting ---------------------------------------------------------------------------


async def test_owner_logs_a_meeting_kept_to_the_minute_and_audited(db: Database) -> None:
    setup = await seed(db)
    logged = await meeting(
        db, setup, occurred_at=datetime(2026, 3, 10, 14, 30, 45, 500, tzinfo=UTC)
    )
    [stored] = await meetings_of(db, setup.acme)
    assert stored.id == logged.id
    assert (stored.occurred_at, stored.kind, stored.am_id) == (
        utc(2026, 3, 10, 14, 30),
        MeetingKind.SYNC,
        setup.people["ann"],
    )
    assert stored.recap_logged_at is None
    assert logged.am.name == "Ann"
    async with db.read_only() as session:
        [entry] = await audit_rows(session)
    assert (entry.action, entry.subject_id, entry.actor_id) == (
        "meeting.log",
        setup.acme,
        setup.people["ann"],
    )
    assert entry.details == {
        "meeting_id": logged.id,
        "occurred_at": "2026-03-10T14:30:00+00:00",
        "kind": "sync",
    }


async def test_meeting_kind_is_recorded(db: Database) -> None:
    setup = await seed(db)
    await meeting(db, setup, kind=MeetingKind.QBR)
    assert [m.kind for m in await meetings_of(db, setup.acme)] == [MeetingKind.QBR]


async def test_meeting_logged_by_a_lead_or_ops_belongs_to_the_owner(db: Database) -> None:
    setup = await seed(db)
    await meeting(db, setup, who="lea", occurred_at=utc(2026, 3, 9, 10, 0))
    await meeting(db, setup, who="ola", occurred_at=utc(2026, 3, 10, 10, 0))
    assert [m.am_id for m in await meetings_of(db, setup.acme)] == [setup.people["ann"]] * 2


async def test_teammate_am_cannot_log_a_meeting_for_someone_elses_account(db: Database) -> None:
    setup = await seed(db)
    with pytest.raises(Forbidden):
        await meeting(db, setup, who="bob")
    assert await meetings_of(db, setup.acme) == []


async def test_am_of_another_team_gets_not_found(db: Database) -> None:
    setup = await seed(db)
    with pytest.raises(NotFound):
        await meeting(db, setup, who="cy")


async def test_a_meeting_up_to_an_hour_ahead_is_accepted(db: Database) -> None:
    setup = await seed(db)
    await meeting(db, setup, occurred_at=NOW + timedelta(hours=1))
    assert len(await meetings_of(db, setup.acme)) == 1


async def test_a_meeting_more_than_an_hour_ahead_is_refused(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(InvalidInput, match="in the future"):
        await meeting(sqlite_db, setup, occurred_at=NOW + timedelta(hours=1, minutes=1))
    assert await meetings_of(sqlite_db, setup.acme) == []


async def test_same_meeting_twice_is_already_logged_in_local_time(db: Database) -> None:
    setup = await seed(db)
    await meeting(db, setup, occurred_at=utc(2026, 3, 10, 14, 30))
    with pytest.raises(InvalidInput) as caught:
        await meeting(db, setup, occurred_at=datetime(2026, 3, 10, 14, 30, 20, tzinfo=UTC))
    assert caught.value.message == "A meeting with Acme at 2026-03-10 10:30 is already logged."
    assert caught.value.hint == f"Add its recap with {cmd('recap Acme 2026-03-10 10:30')}."


async def test_same_time_for_another_account_is_fine(db: Database) -> None:
    setup = await seed(db)
    await add_meeting(db, setup.other, occurred_at=utc(2026, 3, 10, 14, 0))
    await meeting(db, setup, occurred_at=utc(2026, 3, 10, 14, 0))
    assert len(await meetings_of(db, setup.acme)) == 1


# --- latest_meeting_without_recap ----------------------------------------------------------


async def test_latest_meeting_without_recap_skips_recapped_ones(db: Database) -> None:
    setup = await seed(db)
    await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 2, 10, 0))
    expected = await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 5, 10, 0))
    await add_meeting(
        db, setup.acme, occurred_at=utc(2026, 3, 8, 10, 0), recap_logged_at=utc(2026, 3, 8, 12, 0)
    )
    await add_meeting(db, setup.other, occurred_at=utc(2026, 3, 9, 10, 0))
    async with db.read_only() as session:
        acme = await fetch_account(session, setup.acme)
        found = await latest_meeting_without_recap(session, account=acme)
    assert found is not None and found.id == expected


async def test_no_meeting_without_recap_gives_none(db: Database) -> None:
    setup = await seed(db)
    await add_meeting(
        db, setup.acme, occurred_at=utc(2026, 3, 8, 10, 0), recap_logged_at=utc(2026, 3, 8, 12, 0)
    )
    async with db.read_only() as session:
        acme = await fetch_account(session, setup.acme)
        assert await latest_meeting_without_recap(session, account=acme) is None


# --- log_recap -----------------------------------------------------------------------------


async def test_recap_goes_to_the_latest_meeting_without_one_and_is_audited(db: Database) -> None:
    setup = await seed(db)
    older = await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 2, 10, 0))
    latest = await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    recapped = await recap(
        db, setup, summary="  Agreed the Q2 plan.\n", next_steps="Send deck", upsell_spotted="  "
    )
    assert recapped.id == latest
    stored = {m.id: m for m in await meetings_of(db, setup.acme)}
    assert (stored[latest].recap, stored[latest].next_steps, stored[latest].upsell_spotted) == (
        "Agreed the Q2 plan.",
        "Send deck",
        None,
    )
    assert stored[latest].recap_logged_at == NOW
    assert stored[older].recap_logged_at is None
    async with db.read_only() as session:
        [entry] = await audit_rows(session, "meeting.recap")
    assert entry.details == {
        "meeting_id": latest,
        "occurred_at": "2026-03-09T10:00:00+00:00",
        "replaced": False,
        "upsell_spotted": False,
    }


async def test_recap_without_a_pending_meeting_says_log_it_first(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(InvalidInput) as caught:
        await recap(sqlite_db, setup)
    assert caught.value.message == NO_PENDING


async def test_recap_needs_a_summary(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    await add_meeting(sqlite_db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    for summary in ("", "   \n  "):
        with pytest.raises(InvalidInput, match="needs a summary"):
            await recap(sqlite_db, setup, summary=summary)


async def test_summary_of_3000_characters_is_accepted_and_3001_refused(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    await add_meeting(sqlite_db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    with pytest.raises(InvalidInput, match="3001 characters"):
        await recap(sqlite_db, setup, summary="x" * 3001)
    recapped = await recap(sqlite_db, setup, summary="x" * 3000)
    assert len(recapped.recap or "") == 3000


async def test_too_long_next_steps_are_refused(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    await add_meeting(sqlite_db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    with pytest.raises(InvalidInput, match="next steps is 3001 characters"):
        await recap(sqlite_db, setup, next_steps="y" * 3001)


async def test_recap_for_a_given_meeting_replaces_an_earlier_recap(db: Database) -> None:
    setup = await seed(db)
    old = await add_meeting(
        db, setup.acme, occurred_at=utc(2026, 3, 2, 10, 0), recap_logged_at=utc(2026, 3, 2, 12, 0)
    )
    await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    recapped = await recap(
        db, setup, meeting_id=old, summary="Corrected notes.", upsell_spotted="SEO"
    )
    assert recapped.id == old
    assert (recapped.recap, recapped.upsell_spotted, recapped.recap_logged_at) == (
        "Corrected notes.",
        "SEO",
        NOW,
    )
    async with db.read_only() as session:
        [entry] = await audit_rows(session, "meeting.recap")
    assert entry.details["replaced"] is True and entry.details["upsell_spotted"] is True


async def test_recap_for_another_accounts_meeting_is_refused(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    bolt_meeting = await add_meeting(sqlite_db, setup.other, occurred_at=utc(2026, 3, 9, 10, 0))
    with pytest.raises(InvalidInput, match="not one of Acme's"):
        await recap(sqlite_db, setup, meeting_id=bolt_meeting)


async def test_recap_with_a_new_meeting_time_logs_the_meeting_then_recaps_it(db: Database) -> None:
    setup = await seed(db)
    recapped = await recap(db, setup, new_meeting_at=utc(2026, 3, 10, 13, 0))
    [stored] = await meetings_of(db, setup.acme)
    assert stored.id == recapped.id
    assert (stored.occurred_at, stored.recap_logged_at) == (utc(2026, 3, 10, 13, 0), NOW)
    async with db.read_only() as session:
        assert [e.action for e in await audit_rows(session)] == ["meeting.log", "meeting.recap"]


async def test_new_meeting_time_matching_an_unrecapped_meeting_recaps_that_one(
    db: Database,
) -> None:
    setup = await seed(db)
    existing = await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 10, 13, 0))
    recapped = await recap(db, setup, new_meeting_at=datetime(2026, 3, 10, 13, 0, 40, tzinfo=UTC))
    assert recapped.id == existing
    assert len(await meetings_of(db, setup.acme)) == 1


async def test_new_meeting_time_matching_a_recapped_meeting_is_already_logged(db: Database) -> None:
    setup = await seed(db)
    await add_meeting(
        db, setup.acme, occurred_at=utc(2026, 3, 10, 13, 0), recap_logged_at=utc(2026, 3, 10, 14, 0)
    )
    with pytest.raises(InvalidInput, match="already logged") as caught:
        await recap(db, setup, new_meeting_at=utc(2026, 3, 10, 13, 0))
    assert caught.value.hint is None  # its recap is in: nothing to add


async def test_invalid_summary_logs_no_new_meeting(sqlite_db: Database) -> None:
    setup = await seed(sqlite_db)
    with pytest.raises(InvalidInput):
        await recap(sqlite_db, setup, summary=" ", new_meeting_at=utc(2026, 3, 10, 13, 0))
    assert await meetings_of(sqlite_db, setup.acme) == []


async def test_teammate_am_cannot_write_a_recap(db: Database) -> None:
    setup = await seed(db)
    await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    with pytest.raises(Forbidden):
        await recap(db, setup, who="bob")
    [stored] = await meetings_of(db, setup.acme)
    assert stored.recap is None


async def test_lead_writes_a_recap_for_a_team_account(db: Database) -> None:
    setup = await seed(db)
    await add_meeting(db, setup.acme, occurred_at=utc(2026, 3, 9, 10, 0))
    recapped = await recap(db, setup, who="lea")
    assert recapped.recap == "Agreed the Q2 plan."
    async with db.read_only() as session:
        [entry] = await audit_rows(session, "meeting.recap")
    assert entry.actor_id == setup.people["lea"]
