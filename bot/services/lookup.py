"""Finding the account a person means from what they typed, within what they may read.

1. The exact name (ignoring case and repeated spaces) wins.
2. Otherwise a unique case-insensitive substring match ("robot" -> Acme Robotics); several
   substring matches are ambiguous and the person picks one.
3. Otherwise a fuzzy match for typos: the best name scoring at least ``FUZZY_ACCEPT`` and at
   least ``FUZZY_LEAD`` points ahead of the runner-up; else "not found" with suggestions.

The fuzzy score is the better of rapidfuzz's ``ratio`` and ``token_sort_ratio`` (typos and
swapped words; `bot.services.fuzzy`, which scores only the names of a big list that could be
among the best). Scorers that ignore extra words (``WRatio``, ``token_set_ratio``) are not used:
chat handlers try "Acme 2h ago" as a name before splitting off "2h ago", and those scorers
would match it to an account called "Acme".

The exact name is an indexed query. Steps 2 and 3 run over the readable names held in memory by
a `NameIndex` (the services' one in chat; without one, the names are read for the request), on a
thread for a big list, and whatever they pick is read again from the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import Ambiguous, InvalidInput, NotFound
from bot.services.access import readable_accounts
from bot.services.fuzzy import best_scores, fuzzy_scores
from bot.services.name_index import BIG_LIST_FROM, NameIndex, NameList
from storage.keys import name_key
from storage.models import Account, User

MAX_QUERY_LENGTH = 200
FUZZY_ACCEPT = 90.0
FUZZY_LEAD = 5.0
MAX_SUGGESTIONS = 3
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_T = TypeVar("_T")
_Args = TypeVarTuple("_Args")


def normalise_name(text: str) -> str:
    """How names are compared: the stored natural key (case, spaces and curly quotes aside)."""
    return name_key(text)


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
    session: AsyncSession,
    *,
    query: str,
    actor: User,
    limit: int = 5,
    names: NameIndex | None = None,
) -> Account:
    """The one readable account ``query`` names; ``Ambiguous`` or ``NotFound`` otherwise.
    With a name index, partial and misspelt names are matched in memory."""
    shown = _checked_query(query)
    key = name_key(shown)
    readable = readable_accounts(actor)

    exact = await session.scalars(select(Account).where(Account.name_key == key, readable).limit(1))
    if (account := exact.first()) is not None:
        return account
    candidates = await _candidates(session, actor, names)
    containing = await _searched(candidates, candidates.first_containing, key, max(limit, 2))
    if len(containing) == 1:
        return await _by_id(session, containing[0].id, actor, shown)
    if containing:
        raise Ambiguous(shown, [n.name for n in containing][: max(limit, 1)])
    return await _fuzzy(session, shown, actor, candidates)


async def _candidates(session: AsyncSession, actor: User, names: NameIndex | None) -> NameList:
    if names is not None:
        return await names.readable(session, actor)
    stmt = select(Account.id, Account.name, Account.owner_id).where(readable_accounts(actor))
    rows = await session.execute(stmt)
    return NameList([(row.id, row.name, name_key(row.name), row.owner_id, None) for row in rows])


async def _by_id(session: AsyncSession, account_id: int, actor: User, shown: str) -> Account:
    """The account found in memory, read again (it may have moved or gone meanwhile)."""
    stmt = select(Account).where(Account.id == account_id, readable_accounts(actor))
    account = (await session.scalars(stmt)).first()
    if account is None:
        raise NotFound(shown)
    return account


async def _searched(candidates: NameList, search: Callable[[*_Args], _T], *args: *_Args) -> _T:
    """``search(*args)`` over ``candidates``; on a thread when they are many (a head's: every
    name of the book), so other requests go on meanwhile. What a big list's searches need is
    worked out on first use (its keys joined, their characters counted: tenths of a second on
    a big book), and a text found in thousands of names costs tens of milliseconds."""
    if len(candidates) < BIG_LIST_FROM:
        return search(*args)
    return await asyncio.to_thread(search, *args)


def _closest(candidates: NameList, query: str, best: int) -> dict[int, float]:
    """The best few scores; of a big list, scoring only the names whose bound could reach them."""
    if len(candidates) < BIG_LIST_FROM:
        return fuzzy_scores(query, candidates.keys, best=best)
    return best_scores(query, candidates.keys, candidates.char_counts, best=best)


async def _fuzzy(session: AsyncSession, shown: str, actor: User, candidates: NameList) -> Account:
    query, kept = normalise_name(shown), max(MAX_SUGGESTIONS, 2)
    scores = await _searched(candidates, _closest, candidates, query, kept)
    ranked = sorted(
        ((score, candidates[index]) for index, score in scores.items()),
        key=lambda hit: (-hit[0], hit[1].name.casefold()),
    )
    if ranked:
        best, named = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if best >= FUZZY_ACCEPT and best - runner_up >= FUZZY_LEAD:
            return await _by_id(session, named.id, actor, shown)
    raise NotFound(shown, [named.name for _, named in ranked[:MAX_SUGGESTIONS]])


async def find_account_by_id(session: AsyncSession, *, account_id: int, actor: User) -> Account:
    """The account with this id if ``actor`` may read it; ``NotFound`` as if absent otherwise."""
    if not 1 <= account_id <= MAX_ID:  # no such row, and PostgreSQL would refuse the number
        raise NotFound(f"#{account_id}")
    stmt = select(Account).where(Account.id == account_id, readable_accounts(actor))
    account = (await session.scalars(stmt)).first()
    if account is None:
        raise NotFound(f"#{account_id}")
    return account
