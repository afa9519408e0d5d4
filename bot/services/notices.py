"""Messages a person's action sends to someone else (an escalation to the exec sponsor).

Services decide what to say and to whom; a `Notifier` queues it in the same transaction (the
outbox, see `bot.delivery.notices`), and the request kicks the sender once it has committed.
Without a chat surface (the console, the CLI) nobody can be reached: `Unreachable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User


class Notifier(Protocol):
    async def direct(
        self,
        session: AsyncSession,
        *,
        user: User,
        template: str,
        data: Mapping[str, Any],
        key: str,
        kind: str,
    ) -> bool:
        """Queue a DM to ``user`` under ``key`` (once per key); False if they can't be reached."""
        ...


class Unreachable:
    """No chat surface in this process: nobody can be sent anything."""

    async def direct(
        self,
        session: AsyncSession,
        *,
        user: User,
        template: str,
        data: Mapping[str, Any],
        key: str,
        kind: str,
    ) -> bool:
        return False
