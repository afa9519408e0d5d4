"""What a process needs to deliver: a sender for each configured platform, and the outbox
sender that drives them. Built by `serve`, `accountbot scheduler` and the `--send` commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.delivery.notices import OutboxNotifier
from bot.delivery.runs import Renderers
from bot.delivery.sender import OutboxSender, PlatformSender
from bot.services.container import Services

if TYPE_CHECKING:
    from bot.channels.teams import TeamsChannel


@dataclass
class Delivery:
    sender: OutboxSender
    platforms: set[str]
    renderers: Renderers = field(default_factory=Renderers)
    slack_client: Any = None

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[None]:
        """Slack's Web API calls reuse their connections while this runs (serve keeps them
        for its whole life; the command line's sends and scheduler open them here)."""
        if self.slack_client is None:
            yield
            return
        from bot.channels.slack_replies import kept_connections

        async with kept_connections(self.slack_client):
            yield


def build_delivery(
    services: Services, *, slack_client: Any = None, teams: TeamsChannel | None = None
) -> Delivery:
    """A sender for Slack when given its Web API client, for Teams when given its channel."""
    settings = services.settings
    senders: list[PlatformSender] = []
    if slack_client is not None:
        from bot.channels.slack_delivery import SlackDelivery

        senders.append(SlackDelivery(slack_client, settings.slack_messages_per_second))
    if teams is not None:
        from bot.channels.teams_delivery import TeamsDelivery

        senders.append(TeamsDelivery(teams, services.db, settings.teams_messages_per_second))
    sender = OutboxSender(
        services.db,
        senders,
        clock=services.clock,
        max_attempts=settings.outbox_max_attempts,
        lease=timedelta(seconds=settings.outbox_claim_lease_seconds),
    )
    platforms = {s.platform for s in senders}
    renderers = Renderers(services.clock)
    services.outbox_kick = sender.kick
    services.notifier = OutboxNotifier(platforms, renderers, services.clock)
    return Delivery(sender, platforms, renderers, slack_client)


def delivery_from_settings(services: Services, *, teams_credentials: Any = None) -> Delivery:
    """For command-line sends: Slack's client and Teams' adapter made from the settings."""
    settings = services.settings
    slack_client = None
    if settings.slack_bot_token is not None:
        from bot.channels.slack_replies import web_client

        slack_client = web_client(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_api_url,
            settings.slack_timeout_seconds,
        )
    teams = None
    if settings.teams_configured:
        from bot.channels.teams import build_teams_channel

        teams = build_teams_channel(services, teams_credentials)
    return build_delivery(services, slack_client=slack_client, teams=teams)
