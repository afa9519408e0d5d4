"""The reliability book: the Slack tests' book plus a head, ops, a second lead and a name that
trips parsers ("Payload Systems")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Role, Team, User
from tests.channels.slack_book import ALICE, BOB, EVE, LENA, Book, seed_book
from tests.integration.builders import make_account, make_meeting, make_user

HANA = "UHANA001"  # head: reads and changes everything
OTTO = "UOTTO001"  # ops: reads and changes everything
BORA = "UBORA001"  # lead of team Borealis
PAYLOAD_ACCOUNT = "Payload Systems"

PEOPLE = {
    "alice (AM, Atlas)": ALICE,
    "eve (AM, Atlas)": EVE,
    "lena (lead, Atlas)": LENA,
    "bob (AM, Borealis)": BOB,
    "bora (lead, Borealis)": BORA,
    "hana (head)": HANA,
    "otto (ops)": OTTO,
}


TWO_CALLS = "Two Calls Ltd"


@dataclass(frozen=True)
class ReliabilityBook:
    base: Book
    payload_systems: int
    two_calls: int  # two meetings without a recap


async def seed(database_url: str, now: datetime) -> ReliabilityBook:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            base = await seed_book(session, now=now)
            borealis = (await session.scalars(select(Team).where(Team.name == "Borealis"))).one()
            for name, role, slack_id, team in (
                ("Hana Head", Role.HEAD, HANA, None),
                ("Otto Ops", Role.OPS, OTTO, None),
                ("Bora Lead", Role.LEAD, BORA, borealis),
            ):
                email = f"{name.split()[0].lower()}@example.com"
                await make_user(
                    session, team=team, name=name, email=email, role=role, slack_user_id=slack_id
                )
            eve = (await session.scalars(select(User).where(User.id == base.eve))).one()
            eve.slack_user_id = EVE
            alice = (await session.scalars(select(User).where(User.slack_user_id == ALICE))).one()
            payload = await make_account(session, owner=alice, name=PAYLOAD_ACCOUNT)
            two_calls = await make_account(session, owner=alice, name=TWO_CALLS)
            for days in (3, 2):
                await make_meeting(
                    session, account=two_calls, occurred_at=now - timedelta(days=days)
                )
            return ReliabilityBook(base=base, payload_systems=payload.id, two_calls=two_calls.id)
    finally:
        await db.dispose()
