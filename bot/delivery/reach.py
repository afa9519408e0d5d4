"""Who and where a queued message reaches, what a queueing run reports, and the renderers of
each surface: shared by the daily nudges and the weekly digests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.slack_messages import message as slack_message
from bot.channels.teams_cards import card_message
from bot.handlers.base import Reply
from bot.rendering import Renderer
from bot.services.conversations import personal_chat, team_channel
from storage.models import Team, User


@dataclass(frozen=True)
class Reach:
    """Where a message can go: a platform and its target (Slack id, Teams reference row id)."""

    platform: str
    target: str


@dataclass
class QueueReport:
    queued: list[int] = field(default_factory=list)  # outbox row ids
    skipped: int = 0  # already queued by an earlier run
    unreachable: list[str] = field(default_factory=list)  # names of whom nothing could reach


class Renderers:
    """One renderer per surface, made on first use."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock
        self._made: dict[str, Renderer] = {}

    def payload(self, platform: str, reply: Reply) -> dict[str, Any]:
        if platform not in self._made:
            self._made[platform] = Renderer(platform, clock=self.clock)  # type: ignore[arg-type]
        renderer = self._made[platform]
        if platform == "slack":
            return slack_message(renderer, reply)
        card = card_message(renderer, reply)
        return {"text": card.text, "card": card.card}


async def reach_person(session: AsyncSession, user: User, platforms: set[str]) -> Reach | None:
    """A DM: in Slack when the person has a Slack id, else their Teams chat with the bot."""
    if "slack" in platforms and user.slack_user_id:
        return Reach("slack", user.slack_user_id)
    if "teams" in platforms:
        chat = await personal_chat(session, platform="teams", user_id=user.id)
        if chat is not None:
            return Reach("teams", str(chat.id))
    return None


async def reach_team(session: AsyncSession, team: Team, platforms: set[str]) -> list[Reach]:
    """The team's channel on every platform it has one."""
    found = []
    if "slack" in platforms and team.slack_channel_id:
        found.append(Reach("slack", team.slack_channel_id))
    if "teams" in platforms:
        channel = await team_channel(session, platform="teams", team_id=team.id)
        if channel is not None:
            found.append(Reach("teams", str(channel.id)))
    return found
