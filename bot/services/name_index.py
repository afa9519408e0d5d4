"""Every account's name in memory, so a partial or misspelt name is matched without loading the
whole book on every request.

The index holds each account's id, name, normalised key, owner and the owner's team, grouped by
team so a person's readable names are found without a scan. It is reloaded when the catalog
generation changes (imports of teams, people and accounts bump it, in their transaction), and
in the background after ``ttl_seconds`` (the names held serve meanwhile), so accounts written
behind accountbot's back show up too; a reload that finds every name as it was keeps the lists
it had, and what searches worked out from them. Names are read a slice at a time, so a reload
of a big book never holds up other requests for long. Whatever the index returns is read again
from the database before it is used.
"""

from __future__ import annotations

import asyncio
import heapq
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.fuzzy import CharCounts
from storage.catalog import catalog_generation
from storage.keys import name_key
from storage.models import Account, Role, User

DEFAULT_TTL_SECONDS = 60.0
SLICE = 500  # names read and indexed between two turns of the event loop
EVERYTHING_ROLES = frozenset({Role.HEAD, Role.OPS})
BIG_LIST_FROM = 5000  # names: from here a list is searched in C (one regex pass over them all)
# and fuzzy-scored only where a name could be among the best (`lookup`)


# One account's name as the index holds it: (id, name, key, owner id, owner's team id), an
# exact tuple. The garbage collector stops walking a tuple once it sees it holds only strings
# and numbers; objects of a class (NamedTuples too) it walks on every full collection, and
# 500,000 of them made each one stop every request for about 200 ms.
Held = tuple[int, str, str, int, int | None]
_K = TypeVar("_K", int, int | None)


class Named(NamedTuple):
    """A held name, with its fields named: what searches hand back."""

    id: int
    name: str
    key: str
    owner_id: int
    team_id: int | None


def _kept(before: Held | None, row: tuple[int, str, int, int | None]) -> Held:
    """The name loaded before if it is still the same (its key worked out already), else a new
    one from ``row`` (id, name, owner id, team id)."""
    if before is not None and (before[0], before[1], before[3], before[4]) == row:
        return before
    account_id, name, owner_id, team_id = row
    return (account_id, name, name_key(name), owner_id, team_id)


class NameList:
    """The names a person may read, to match a query against: their keys (and how often each
    character occurs in them, to bound fuzzy scores) for the fuzzy scorer, and the names whose
    key contains a text. A head's list is the whole book, so that search runs in C, one pass
    over all the keys joined; each is worked out on first use, then kept."""

    def __init__(self, held: Sequence[Held]) -> None:
        self.held = held
        self._keys: list[str] | None = None
        self._char_counts: CharCounts | None = None
        self._joined: tuple[str, NDArray[np.int64]] | None = None

    def __len__(self) -> int:
        return len(self.held)

    def __getitem__(self, index: int) -> Named:
        return Named._make(self.held[index])

    def __iter__(self) -> Iterator[Named]:
        return map(Named._make, self.held)

    @property
    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = [held[2] for held in self.held]
        return self._keys

    @property
    def char_counts(self) -> CharCounts:
        """How often each character occurs in each key: what bounds a name's fuzzy score."""
        if self._char_counts is None:
            self._char_counts = CharCounts(self.keys)
        return self._char_counts

    def containing(self, part: str) -> list[Named]:
        """The names whose key contains ``part``, in list order."""
        return [self[i] for i in self._matching(part)]

    def first_containing(self, part: str, count: int) -> list[Named]:
        """The first ``count`` names, by key then id, whose key contains ``part``."""
        keys, held = self.keys, self.held
        first = heapq.nsmallest(count, self._matching(part), key=lambda i: (keys[i], held[i][0]))
        return [self[i] for i in first]

    def _matching(self, part: str) -> list[int]:
        """The indexes of the keys that contain ``part``, in order."""
        if len(self.held) < BIG_LIST_FROM:
            return [i for i, key in enumerate(self.keys) if part in key]
        text, starts = self._joined_keys()
        found = np.fromiter((m.start() for m in re.finditer(re.escape(part), text)), np.int64)
        key_of_each = np.searchsorted(starts, found, side="right") - 1
        return [int(i) for i in np.unique(key_of_each)]

    def _joined_keys(self) -> tuple[str, NDArray[np.int64]]:
        """Every key, one per line, and where each starts (keys hold no line breaks)."""
        if self._joined is None:
            lengths = np.fromiter(map(len, self.keys), np.int64, count=len(self.keys))
            starts = np.zeros(len(lengths), np.int64)
            np.cumsum(lengths[:-1] + 1, out=starts[1:])
            self._joined = ("\n".join(self.keys), starts)
        return self._joined


@dataclass
class _Loaded:
    generation: int
    loaded_at: float
    everyone: NameList = field(default_factory=lambda: NameList([]))
    by_team: dict[int | None, tuple[Held, ...]] = field(default_factory=dict)
    by_owner: dict[int, tuple[Held, ...]] = field(default_factory=dict)


class NameIndex:
    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._loaded: _Loaded | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None
        self.loads = 0  # how many times the names were read from the database

    async def readable(self, session: AsyncSession, actor: User) -> NameList:
        """The names ``actor`` may read (the same rule as `access.readable_accounts`)."""
        loaded = await self._fresh(session)
        if actor.role in EVERYTHING_ROLES:
            return loaded.everyone
        own = loaded.by_owner.get(actor.id, ())
        if actor.team_id is None:
            return NameList(own)
        team = loaded.by_team.get(actor.team_id, ())
        return NameList(team + tuple(held for held in own if held[4] != actor.team_id))

    async def _fresh(self, session: AsyncSession) -> _Loaded:
        generation = await catalog_generation(session)
        loaded = self._loaded
        if loaded is not None and loaded.generation == generation:
            if self.clock() - loaded.loaded_at >= self.ttl_seconds:
                self._refresh_soon(session, generation)  # meanwhile, the names held serve
            return loaded
        async with self._lock:  # one reload however many requests notice at once
            loaded = self._loaded
            if loaded is None or loaded.generation != generation:
                loaded = await self._load(session, generation)
                self._loaded = loaded
        return loaded

    def _refresh_soon(self, session: AsyncSession, generation: int) -> None:
        """Read the names again in the background, on a session of its own (rows written
        behind accountbot's back show up once it is done)."""
        if self._refreshing is not None and not self._refreshing.done():
            return
        engine = session.bind

        async def refresh() -> None:
            async with self._lock, AsyncSession(engine) as own:
                self._loaded = await self._load(own, generation)

        self._refreshing = asyncio.get_running_loop().create_task(refresh())

    async def settled(self) -> None:
        """Wait for a background reload, if one is running."""
        if self._refreshing is not None:
            await self._refreshing

    async def _load(self, session: AsyncSession, generation: int) -> _Loaded:
        """Every name, read a slice at a time so that other requests go on between slices. In
        id order, so the names of the load before that have not changed are kept as they are:
        a reload of a big book then holds little more than the names that changed."""
        stmt = (
            select(Account.id, Account.name, Account.owner_id, User.team_id)
            .join(User, User.id == Account.owner_id)
            .order_by(Account.id)
        )
        loaded = _Loaded(generation, self.clock())
        everyone: list[Held] = []
        by_team: dict[int | None, list[Held]] = defaultdict(list)
        by_owner: dict[int, list[Held]] = defaultdict(list)
        before = self._loaded.everyone.held if self._loaded is not None else ()
        at = 0  # the first name loaded before whose id is not below the row's
        same = self._loaded is not None  # so far, every name is the very one loaded before
        result = await session.stream(stmt)
        async for rows in result.partitions(SLICE):
            for account_id, name, owner_id, team_id in rows:
                while at < len(before) and before[at][0] < account_id:
                    at += 1
                row = (account_id, name, owner_id, team_id)
                earlier = before[at] if at < len(before) else None
                held = _kept(earlier, row)
                same = same and held is earlier
                everyone.append(held)
                by_team[team_id].append(held)
                by_owner[owner_id].append(held)
            await asyncio.sleep(0)
        loaded.everyone = NameList(everyone)
        loaded.by_team = await _as_tuples(by_team)
        loaded.by_owner = await _as_tuples(by_owner)
        self.loads += 1
        if same and self._loaded is not None and len(before) == len(everyone):
            # nothing changed (a reload after the TTL, mostly): keep the lists, and with them
            # what was worked out from them (a head's keys joined, their character counts)
            kept = self._loaded
            return _Loaded(generation, loaded.loaded_at, kept.everyone, kept.by_team, kept.by_owner)
        return loaded


async def _as_tuples(groups: dict[_K, list[Held]]) -> dict[_K, tuple[Held, ...]]:
    """Tuples, not lists: the collector stops walking these too. Other requests go on every
    ``SLICE`` groups (all of a big book's take about 35 ms)."""
    frozen: dict[_K, tuple[Held, ...]] = {}
    for count, (key, names) in enumerate(groups.items(), start=1):
        frozen[key] = tuple(names)
        if count % SLICE == 0:
            await asyncio.sleep(0)
    return frozen
