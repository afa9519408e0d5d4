"""The notifier of a process with chat surfaces: a DM rendered for the person's platform and
queued in the outbox in the caller's transaction (see `bot.services.notices`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Queued, enqueue
from bot.delivery.runs import Renderers, reach_person
from bot.handlers.base import Reply
from storage.models import User


class OutboxNotifier:
    def __init__(
        self, platforms: set[str], renderers: Renderers, clock: Callable[[], datetime]
    ) -> None:
        self.platforms = platforms
        self.renderers = renderers
        self.clock = clock

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
        reach = await reach_person(session, user, self.platforms)
        if reach is None:
            return False
        payload = self.renderers.payload(reach.platform, Reply(template, data))
        queued = Queued(key, kind, reach.platform, reach.target, payload, user_id=user.id)
        await enqueue(session, queued, now=self.clock())  # None: queued before, same message
        return True
