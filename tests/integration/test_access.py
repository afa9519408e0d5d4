"""Who may read and change which account, and who a chat user is.

The permission matrix is checked on in-memory objects (no database needed); what lookups and
SQL filters return is checked on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.errors import Forbidden, NotFound
from bot.services.access import (
    can_change,
    can_read,
    find_user_by_email,
    readable_accounts,
    require_change,
)
from bot.services.identity import find_user_by_chat_id, remember_chat_id
from bot.services.lookup import find_account, find_account_by_id
from storage.db import Database
from storage.models import Account, Role, User
from tests.integration.account_builders import fetch_user
from tests.integration.builders import make_account, make_team, make_user

# --- the matrix, on in-memory objects -----------------------------------------------------

TEAM_A, TEAM_B = 1, 2


def person(user_id: int, role: Role, team_id: int | None) -> User:
    return User(
        id=user_id, role=role, team_id=team_id, email=f"u{user_id}@x.io", name=f"U{user_id}"
    )


OWNER = person(1, Role.AM, TEAM_A)
ACCOUNT = Account(id=10, name="Acme Robotics", name_key="acme robotics", owner_id=1, owner=OWNER)
ACTORS = {
    "owner_am": OWNER,
    "teammate_am": person(2, Role.AM, TEAM_A),
    "team_lead": person(3, Role.LEAD, TEAM_A),
    "other_team_am": person(4, Role.AM, TEAM_B),
    "other_team_lead": person(5, Role.LEAD, TEAM_B),
    "head": person(6, Role.HEAD, None),
    "ops": person(7, Role.OPS, None),
    "teamless_am": person(8, Role.AM, None),
    "teamless_lead": person(9, Role.LEAD, None),
}


@pytest.mark.parametrize(
    ("actor", "reads", "changes"),
    [
        ("owner_am", True, True),
        ("teammate_am", True, False),
        ("team_lead", True, True),
        ("other_team_am", False, False),
        ("other_team_lead", False, False),
        ("head", True, True),
        ("ops", True, True),
        ("teamless_am", False, False),
        ("teamless_lead", False, False),
    ],
)
def test_read_and_change_matrix(actor: str, reads: bool, changes: bool) -> None:
    assert can_read(ACTORS[actor], ACCOUNT) is reads
    assert can_change(ACTORS[actor], ACCOUNT) is changes


@pytest.mark.parametrize("actor", ["owner_am", "team_lead", "head", "ops"])
def test_require_change_passes_for_those_who_may_change(actor: str) -> None:
    require_change(ACTORS[actor], ACCOUNT)


def test_teammate_am_is_told_to_ask_the_team_lead() -> None:
    with pytest.raises(Forbidden) as caught:
        require_change(ACTORS["teammate_am"], ACCOUNT)
    assert caught.value.message == "You can change only your own accounts; ask your team lead."


@pytest.mark.parametrize("actor", ["other_team_am", "other_team_lead", "teamless_am"])
def test_require_change_on_an_unreadable_account_says_not_found_not_forbidden(actor: str) -> None:
    with pytest.raises(NotFound) as caught:
        require_change(ACTORS[actor], ACCOUNT)
    assert caught.value.message == "No account matches “#10”."
    assert caught.value.suggestions == []


def test_an_am_without_a_team_still_reads_and_changes_the_accounts_they_own() -> None:
    loner = person(20, Role.AM, None)
    own = Account(id=11, name="Solo", name_key="solo", owner_id=20, owner=loner)
    assert can_read(loner, own) and can_change(loner, own)


# --- the same rules in SQL, on both databases ---------------------------------------------


@dataclass(frozen=True)
class Book:
    """Team A (Ann the AM owns Acme, Bob the AM owns Bolt, Lea leads) and team B (Cy owns
    Cobalt, Lu leads); Hal is head, Ola is ops, Nia an AM without a team who owns Nomad."""

    users: dict[str, int]
    accounts: dict[str, int]


async def seed_book(db: Database) -> Book:
    async with db.unit_of_work() as session:
        team_a = await make_team(session, name="Team A")
        team_b = await make_team(session, name="Team B")
        people = {
            "ann": await make_user(session, team=team_a, name="Ann", email="ann@x.io"),
            "bob": await make_user(session, team=team_a, name="Bob", email="bob@x.io"),
            "lea": await make_user(session, team=team_a, name="Lea", role=Role.LEAD),
            "cy": await make_user(session, team=team_b, name="Cy", email="cy@x.io"),
            "lu": await make_user(session, team=team_b, name="Lu", role=Role.LEAD),
            "hal": await make_user(session, name="Hal", role=Role.HEAD),
            "ola": await make_user(session, name="Ola", role=Role.OPS),
            "nia": await make_user(session, name="Nia"),
        }
        accounts = {
            "Acme Robotics": await make_account(session, owner=people["ann"], name="Acme Robotics"),
            "Bolt": await make_account(session, owner=people["bob"], name="Bolt"),
            "Cobalt": await make_account(session, owner=people["cy"], name="Cobalt"),
            "Nomad": await make_account(session, owner=people["nia"], name="Nomad"),
        }
    return Book(
        users={k: u.id for k, u in people.items()},
        accounts={k: a.id for k, a in accounts.items()},
    )


async def readable_names(db: Database, user_id: int) -> list[str]:
    async with db.read_only() as session:
        actor = await fetch_user(session, user_id)
        stmt = select(Account.name).where(readable_accounts(actor)).order_by(Account.name)
        return list(await session.scalars(stmt))


async def test_readable_accounts_filter_follows_the_owners_team(db: Database) -> None:
    book = await seed_book(db)
    seen = {who: await readable_names(db, user_id) for who, user_id in book.users.items()}
    everything = ["Acme Robotics", "Bolt", "Cobalt", "Nomad"]
    assert seen == {
        "ann": ["Acme Robotics", "Bolt"],
        "bob": ["Acme Robotics", "Bolt"],
        "lea": ["Acme Robotics", "Bolt"],
        "cy": ["Cobalt"],
        "lu": ["Cobalt"],
        "hal": everything,
        "ola": everything,
        "nia": ["Nomad"],  # no team: only what she owns
    }


async def test_readable_accounts_filter_works_in_a_query_that_joins_users(db: Database) -> None:
    book = await seed_book(db)
    async with db.read_only() as session:
        actor = await fetch_user(session, book.users["ann"])
        stmt = (
            select(Account.name, User.name)
            .join(User, User.id == Account.owner_id)
            .where(readable_accounts(actor))
            .order_by(Account.name)
        )
        rows = [tuple(row) for row in await session.execute(stmt)]
    assert rows == [("Acme Robotics", "Ann"), ("Bolt", "Bob")]


async def test_other_teams_account_by_name_is_not_found_like_a_missing_one(db: Database) -> None:
    book = await seed_book(db)
    async with db.read_only() as session:
        cy = await fetch_user(session, book.users["cy"])
        with pytest.raises(NotFound) as hidden:
            await find_account(session, query="Acme Robotics", actor=cy)
        with pytest.raises(NotFound) as missing:
            await find_account(session, query="Zeta Robotics", actor=cy)
    assert hidden.value.message == "No account matches “Acme Robotics”."
    assert missing.value.message == "No account matches “Zeta Robotics”."
    assert hidden.value.suggestions == [] == missing.value.suggestions


async def test_other_teams_account_by_id_is_not_found_like_a_missing_one(db: Database) -> None:
    book = await seed_book(db)
    async with db.read_only() as session:
        cy = await fetch_user(session, book.users["cy"])
        acme_id = book.accounts["Acme Robotics"]
        with pytest.raises(NotFound) as hidden:
            await find_account_by_id(session, account_id=acme_id, actor=cy)
        with pytest.raises(NotFound) as missing:
            await find_account_by_id(session, account_id=999_999, actor=cy)
    assert hidden.value.message == f"No account matches “#{acme_id}”."
    assert missing.value.message == "No account matches “#999999”."
    assert type(hidden.value) is type(missing.value)


async def test_account_by_id_is_found_for_a_teammate_and_for_ops(db: Database) -> None:
    book = await seed_book(db)
    async with db.read_only() as session:
        for who in ("bob", "ola"):
            actor = await fetch_user(session, book.users[who])
            found = await find_account_by_id(
                session, account_id=book.accounts["Acme Robotics"], actor=actor
            )
            assert found.name == "Acme Robotics"


async def test_found_accounts_come_with_owner_and_team_loaded_for_permission_checks(
    db: Database,
) -> None:
    book = await seed_book(db)
    async with db.read_only() as session:
        bob = await fetch_user(session, book.users["bob"])
        acme = await find_account(session, query="acme robotics", actor=bob)
        assert acme.owner.name == "Ann"
        assert acme.owner.effective_timezone == "UTC"
        assert can_read(bob, acme) and not can_change(bob, acme)


async def test_user_found_by_email_ignoring_case_and_spaces(db: Database) -> None:
    book = await seed_book(db)
    async with db.read_only() as session:
        found = await find_user_by_email(session, "  Ann@X.IO ")
        nobody = await find_user_by_email(session, "someone@else.io")
        blank = await find_user_by_email(session, "   ")
    assert found is not None and found.id == book.users["ann"]
    assert nobody is None and blank is None


async def test_remembered_slack_id_finds_the_user_next_time(db: Database) -> None:
    book = await seed_book(db)
    async with db.unit_of_work() as session:
        assert await find_user_by_chat_id(session, "slack", "U0ANN") is None
        ann = await find_user_by_email(session, "ann@x.io")
        assert ann is not None
        await remember_chat_id(session, user=ann, platform="slack", chat_id="U0ANN")
        assert ann.slack_user_id == "U0ANN"
    async with db.read_only() as session:
        found = await find_user_by_chat_id(session, "slack", "U0ANN")
    assert found is not None and found.id == book.users["ann"]


async def test_remembering_a_slack_id_takes_it_from_its_previous_user(db: Database) -> None:
    book = await seed_book(db)
    async with db.unit_of_work() as session:
        bob = await fetch_user(session, book.users["bob"])
        await remember_chat_id(session, user=bob, platform="slack", chat_id="U0SHARED")
    async with db.unit_of_work() as session:
        ann = await fetch_user(session, book.users["ann"])
        await remember_chat_id(session, user=ann, platform="slack", chat_id="U0SHARED")
    async with db.read_only() as session:
        owner = await find_user_by_chat_id(session, "slack", "U0SHARED")
        bob_now = await fetch_user(session, book.users["bob"])
    assert owner is not None and owner.id == book.users["ann"]
    assert bob_now.slack_user_id is None
