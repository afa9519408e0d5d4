"""Every account's name in memory, so a partial or misspelt name is matched without loading the
whole book on every request.

The index holds each account's id, name, normalised key, owner and the owner's team, grouped by
team so a person's readable names are found without a scan. It is reloaded when the catalog
generation changes (imports of teams, people and accounts bump it, in their transaction) and at
the latest after ``ttl_seconds``, so accounts written behind accountbot's back show up too.
Whatever the index returns is read again from the database before it is used.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.catalog import catalog_generation
from storage.keys import name_key
from storage.models import Account, Role, User

DEFAULT_TTL_SECONDS = 60.0
EVERYTHING_ROLES = frozenset({Role.HEAD, Role.OPS})


@dataclass(frozen=True, slots=True)
class Named:
    id: int
    name: str
    key: str
    owner_id: int
    team_id: int | None


@dataclass
class _Loaded:
    generation: int
    loaded_at: float
    everyone: list[Named] = field(default_factory=list)
    by_team: dict[int | None, list[Named]] = field(default_factory=dict)
    by_owner: dict[int, list[Named]] = field(default_factory=dict)


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
        self.loads = 0  # how many times the names were read from the database

    async def readable(self, session: AsyncSession, actor: User) -> list[Named]:
        """The names ``actor`` may read (the same rule as `access.readable_accounts`)."""
        loaded = await self._fresh(session)
        if actor.role in EVERYTHING_ROLES:
            return loaded.everyone
        own = loaded.by_owner.get(actor.id, [])
        if actor.team_id is None:
            return own
        team = loaded.by_team.get(actor.team_id, [])
        return team + [n for n in own if n.team_id != actor.team_id]

    async def _fresh(self, session: AsyncSession) -> _Loaded:
        generation = await catalog_generation(session)
        loaded = self._loaded
        if loaded is not None and self._current(loaded, generation):
            return loaded
        async with self._lock:  # one reload however many requests notice at once
            loaded = self._loaded
            if loaded is None or not self._current(loaded, generation):
                loaded = await self._load(session, generation)
                self._loaded = loaded
        return loaded

    def _current(self, loaded: _Loaded, generation: int) -> bool:
        young = self.clock() - loaded.loaded_at < self.ttl_seconds
        return loaded.generation == generation and young

    async def _load(self, session: AsyncSession, generation: int) -> _Loaded:
        stmt = select(Account.id, Account.name, Account.owner_id, User.team_id).join(
            User, User.id == Account.owner_id
        )
        loaded = _Loaded(generation, self.clock())
        by_team: dict[int | None, list[Named]] = defaultdict(list)
        by_owner: dict[int, list[Named]] = defaultdict(list)
        for account_id, name, owner_id, team_id in await session.execute(stmt):
            named = Named(account_id, name, name_key(name), owner_id, team_id)
            loaded.everyone.append(named)
            by_team[team_id].append(named)
            by_owner[owner_id].append(named)
        loaded.by_team, loaded.by_owner = dict(by_team), dict(by_owner)
        self.loads += 1
        return loaded
