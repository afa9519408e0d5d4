"""Finding the account a person means from what they typed, within what they may read.

1. The exact name (ignoring case and repeated spaces) wins.
2. Otherwise a unique case-insensitive substring match ("robot" -> Acme Robotics); several
   substring matches are ambiguous and the person picks one.
3. Otherwise a fuzzy match for typos: the best name scoring at least ``FUZZY_ACCEPT`` and at
   least ``FUZZY_LEAD`` points ahead of the runner-up; else "not found" with suggestions.

The fuzzy score is the better of rapidfuzz's ``ratio`` and ``token_sort_ratio`` (typos and
swapped words). Scorers that ignore extra words (``WRatio``, ``token_set_ratio``) are not used:
chat handlers try "Acme 2h ago" as a name before splitting off "2h ago", and those scorers
would match it to an account called "Acme".
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import Ambiguous, InvalidInput, NotFound
from bot.services.access import readable_accounts
from storage.keys import name_key
from storage.models import Account, User

MAX_QUERY_LENGTH = 200
FUZZY_ACCEPT = 90.0
FUZZY_LEAD = 5.0
SUGGESTION_MIN = 50.0
MAX_SUGGESTIONS = 3
LIKE_ESCAPE = "\\"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def normalise_name(text: str) -> str:
    """How names are compared: the stored natural key (case, spaces and curly quotes aside)."""
    return name_key(text)


def escape_like(text: str) -> str:
    """``text`` with LIKE wildcards made literal (use with ``escape=LIKE_ESCAPE``)."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")).replace(
        "_", LIKE_ESCAPE + "_"
    )


def fuzzy_score(query: str, name: str, **_: object) -> float:
    """0..100: how alike two normalised names are, allowing typos and swapped words."""
    return max(fuzz.ratio(query, name), fuzz.token_sort_ratio(query, name))


def _checked_query(query: str) -> str:
    shown = " ".join(query.split())
    if not shown:
        raise InvalidInput(f"Which account? Try {cmd('status Acme')}.")
    if len(shown) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"That account name is {len(shown)} characters long; names have at most "
            f"{MAX_QUERY_LENGTH}."
        )
    return shown


async def find_account(
    session: AsyncSession, *, query: str, actor: User, limit: int = 5
) -> Account:
    """The one readable account ``query`` names; ``Ambiguous`` or ``NotFound`` otherwise."""
    shown = _checked_query(query)
    key = name_key(shown)
    readable = readable_accounts(actor)

    exact = await session.scalars(select(Account).where(Account.name_key == key, readable).limit(1))
    if (account := exact.first()) is not None:
        return account

    pattern = f"%{escape_like(key)}%"
    containing = list(
        await session.scalars(
            select(Account)
            .where(Account.name_key.like(pattern, escape=LIKE_ESCAPE), readable)
            .order_by(Account.name_key, Account.id)
            .limit(max(limit, 2))
        )
    )
    if len(containing) == 1:
        return containing[0]
    if containing:
        raise Ambiguous(shown, [a.name for a in containing][: max(limit, 1)])

    return await _fuzzy(session, shown, readable)


async def _fuzzy(session: AsyncSession, shown: str, readable: ColumnElement[bool]) -> Account:
    rows = (await session.execute(select(Account.id, Account.name).where(readable))).all()
    names = {row.id: normalise_name(row.name) for row in rows}
    scored = process.extract(
        normalise_name(shown),
        names,
        scorer=fuzzy_score,
        processor=None,
        limit=None,
        score_cutoff=SUGGESTION_MIN,
    )
    by_id = {row.id: row.name for row in rows}
    ranked = sorted(scored, key=lambda hit: (-hit[1], by_id[hit[2]].casefold()))
    if ranked:
        best_id, best = ranked[0][2], ranked[0][1]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= FUZZY_ACCEPT and best - runner_up >= FUZZY_LEAD:
            account = await session.get(Account, best_id)
            if account is not None:
                return account
    raise NotFound(shown, [by_id[hit[2]] for hit in ranked[:MAX_SUGGESTIONS]])


async def find_account_by_id(session: AsyncSession, *, account_id: int, actor: User) -> Account:
    """The account with this id if ``actor`` may read it; ``NotFound`` as if absent otherwise."""
    if not 1 <= account_id <= MAX_ID:  # no such row, and PostgreSQL would refuse the number
        raise NotFound(f"#{account_id}")
    stmt = select(Account).where(Account.id == account_id, readable_accounts(actor))
    account = (await session.scalars(stmt)).first()
    if account is None:
        raise NotFound(f"#{account_id}")
    return account
