"""The account names kept in memory: read once, read again when an import changes names, owners
or teams (or after the TTL, for rows written behind accountbot's back), and scoped like every
other read."""

from __future__ import annotations

import gc
from datetime import date

import pytest
from sqlalchemy import select

from bot.errors import NotFound
from bot.services.lookup import find_account
from bot.services.name_index import Held, Named, NameIndex, NameList
from storage.db import Database
from storage.models import Account, Role, User
from tests.integration.builders import make_account, make_team, make_user
from tests.integration.test_import import NOW, fixture, import_text


async def _find(db: Database, names: NameIndex, email: str, query: str) -> str:
    async with db.read_only() as session:
        actor = (await session.scalars(select(User).where(User.email == email))).one()
        return (await find_account(session, query=query, actor=actor, names=names)).name


async def _imported(db: Database) -> None:
    for kind in ("teams", "users", "accounts"):
        await import_text(db, kind, fixture(kind))


async def _three_names_of_ann_and_a_head(db: Database) -> tuple[User, User]:
    """Ann's accounts (Acme Corp, Birch Labs, Cedar Works) in team East, and a head."""
    async with db.unit_of_work() as session:
        team = await make_team(session, name="East")
        ann = await make_user(session, team=team, email="ann@example.com")
        head = await make_user(session, role=Role.HEAD, email="head@example.com")
        for name in ("Acme Corp", "Birch Labs", "Cedar Works"):
            await make_account(session, owner=ann, name=name)
    return ann, head


async def test_names_are_read_once_and_again_after_an_import_changes_them(db: Database) -> None:
    await _imported(db)
    names = NameIndex()
    assert await _find(db, names, "ann.lee@example.com", "acme crp") == "Acme Corp"
    assert await _find(db, names, "ann.lee@example.com", "acme corp.") == "Acme Corp"
    assert names.loads == 1

    await import_text(
        db,
        "accounts",
        "name,owner_email,stage,started_on\n"
        "Zephyr Zebra Labs,ann.lee@example.com,growth,2025-02-03\n",
    )
    assert await _find(db, names, "ann.lee@example.com", "zephyr zebra lab") == "Zephyr Zebra Labs"
    assert names.loads == 2

    unchanged = await import_text(db, "accounts", fixture("accounts"))
    assert unchanged.created == unchanged.updated == 0
    await _find(db, names, "ann.lee@example.com", "zephyr zebra lab")
    assert names.loads == 2  # nothing changed: nothing read again


async def test_moving_a_person_to_another_team_changes_what_they_find(db: Database) -> None:
    async with db.unit_of_work() as session:
        east = await make_team(session, name="East")
        west = await make_team(session, name="West")
        ann = await make_user(session, team=east, email="ann@example.com")
        bob = await make_user(session, team=west, email="bob@example.com")
        await make_account(session, owner=bob, name="Westward Widgets")
        await make_user(session, email="hana@example.com", role=Role.HEAD, seniority=None)
    names = NameIndex()
    with pytest.raises(NotFound):
        await _find(db, names, "ann@example.com", "westward widgts")
    assert await _find(db, names, "hana@example.com", "westward widgts") == "Westward Widgets"
    await import_text(db, "users", "email,name,role,team\nann@example.com,Ann,am,West\n")
    assert await _find(db, names, "ann@example.com", "westward widgts") == "Westward Widgets"
    assert ann.id != bob.id


async def test_names_written_behind_accountbots_back_show_up_after_the_ttl(
    db: Database,
) -> None:
    async with db.unit_of_work() as session:
        team = await make_team(session, name="East")
        ann = await make_user(session, team=team, email="ann@example.com")
        await make_account(session, owner=ann, name="First Light")
    moment = [0.0]
    names = NameIndex(ttl_seconds=60, clock=lambda: moment[0])
    assert await _find(db, names, "ann@example.com", "first lihgt") == "First Light"
    async with db.unit_of_work() as session:  # no import: the generation stays the same
        session.add(
            Account(
                name="Second Wind",
                name_key="second wind",
                owner_id=ann.id,
                stage_entered_at=NOW,
                started_on=date(2026, 1, 5),
            )
        )
    with pytest.raises(NotFound):
        await _find(db, names, "ann@example.com", "second wnd")
    moment[0] = 61.0
    # past the TTL the names held still answer at once, while they are read again behind
    with pytest.raises(NotFound):
        await _find(db, names, "ann@example.com", "second wnd")
    await names.settled()
    assert await _find(db, names, "ann@example.com", "second wnd") == "Second Wind"
    assert names.loads == 2


async def test_an_account_gone_since_it_was_indexed_is_not_found(db: Database) -> None:
    async with db.unit_of_work() as session:
        team = await make_team(session, name="East")
        ann = await make_user(session, team=team, email="ann@example.com")
        gone = await make_account(session, owner=ann, name="Gone Tomorrow")
    names = NameIndex()
    assert await _find(db, names, "ann@example.com", "gone tomorow") == "Gone Tomorrow"
    async with db.unit_of_work() as session:
        await session.delete(await session.get(Account, gone.id))
    with pytest.raises(NotFound):
        await _find(db, names, "ann@example.com", "gone tomorow")


async def test_a_reload_keeps_the_names_that_did_not_change_and_renews_those_that_did(
    db: Database,
) -> None:
    async with db.unit_of_work() as session:
        team = await make_team(session, name="East")
        ann = await make_user(session, team=team, email="ann@example.com")
        for name in ("Acme Corp", "Birch Labs", "Cedar Works"):
            await make_account(session, owner=ann, name=name)
    moment = [0.0]
    names = NameIndex(ttl_seconds=60, clock=lambda: moment[0])

    async def held() -> dict[str, Held]:
        async with db.read_only() as session:
            actor = (await session.scalars(select(User).where(User.id == ann.id))).one()
            return {h[1]: h for h in (await names.readable(session, actor)).held}

    before = await held()
    async with db.unit_of_work() as session:  # renamed behind accountbot's back
        birch = (await session.scalars(select(Account).where(Account.name == "Birch Labs"))).one()
        birch.name = "Birch Labs International"
    moment[0] = 61.0
    await held()  # past the TTL: read again behind
    await names.settled()
    after = await held()
    assert names.loads == 2
    assert after["Acme Corp"] is before["Acme Corp"]  # the same object: no second copy held
    assert after["Cedar Works"] is before["Cedar Works"]
    assert "Birch Labs" not in after
    assert Named._make(after["Birch Labs International"]).key == "birch labs international"


async def test_a_reload_that_finds_nothing_changed_keeps_what_a_search_worked_out(
    db: Database,
) -> None:
    """A head's list (every name) after a reload past the TTL with no name changed is the same
    list, so its keys joined and character counts are not worked out again (half a second on a
    big book, every minute); a change makes a new one."""
    _, head = await _three_names_of_ann_and_a_head(db)
    moment = [0.0]
    names = NameIndex(ttl_seconds=60, clock=lambda: moment[0])

    async def everyone() -> NameList:
        async with db.read_only() as session:
            actor = (await session.scalars(select(User).where(User.id == head.id))).one()
            return await names.readable(session, actor)

    first = await everyone()
    counts = first.char_counts
    moment[0] = 61.0
    await everyone()  # past the TTL: read again behind
    await names.settled()
    again = await everyone()
    assert names.loads == 2
    assert again is first and again.char_counts is counts
    async with db.unit_of_work() as session:  # renamed behind accountbot's back
        birch = (await session.scalars(select(Account).where(Account.name == "Birch Labs"))).one()
        birch.name = "Birch Labs International"
    moment[0] = 122.0
    await everyone()
    await names.settled()
    renewed = await everyone()
    assert renewed is not first
    assert [n.name for n in renewed.containing("birch")] == ["Birch Labs International"]


async def test_the_names_held_are_left_out_of_the_garbage_collectors_walks(db: Database) -> None:
    """Half a million names held as objects the collector walks made each full collection stop
    every request for about 200 ms; held as plain tuples of strings and numbers, it stops
    walking them after seeing them once."""
    ann, head = await _three_names_of_ann_and_a_head(db)
    names = NameIndex()
    async with db.read_only() as session:
        everyone = await names.readable(session, head)
        teams = await names.readable(session, ann)
    gc.collect()
    gc.collect()
    assert [n.name for n in everyone] == ["Acme Corp", "Birch Labs", "Cedar Works"]
    assert len(teams) == 3
    assert not [held for held in everyone.held if gc.is_tracked(held)]
    assert not gc.is_tracked(teams.held)
