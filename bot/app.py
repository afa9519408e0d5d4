"""Wires accountbot together: settings → services → chat surfaces → one aiohttp application.

Nothing is built at import time; `build_app` does it all, so tests and the CLI can build
as many (differently configured) apps as they like. Each chat surface whose settings are
present is started: Slack at POST /slack/events (or over Socket Mode), Teams at
POST /api/messages; GET /healthz serves both and lists them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr

from bot.delivery.wiring import Delivery, build_delivery
from bot.errors import ConfigError
from bot.logs import install_request_fields
from bot.server import Route, build_web_app
from bot.services.container import Services, build_services
from bot.settings import Settings
from storage.models import utcnow

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.channels.teams import TeamsChannel

Lifecycle = Callable[[web.Application], AsyncIterator[None]]
NO_SURFACE = (
    "No chat surface is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack, "
    "and/or MicrosoftAppId and MicrosoftAppPassword for Microsoft Teams (see the README)."
)


@dataclass
class AccountBotApp:
    """Everything one running accountbot process is made of."""

    settings: Settings
    services: Services
    slack: AsyncApp | None
    web: web.Application
    socket_mode: bool = False
    teams: TeamsChannel | None = None
    delivery: Delivery | None = None

    @property
    def surfaces(self) -> list[str]:
        return [name for name, up in (("slack", self.slack), ("teams", self.teams)) if up]


@dataclass
class _Wiring:
    """What the surfaces add to the web application."""

    routes: list[Route] = field(default_factory=list)
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    lifecycles: list[Lifecycle] = field(default_factory=list)


def slack_settings_problem(settings: Settings, *, socket_mode: bool) -> str | None:
    """Why the Slack surface cannot start with these settings (naming the variable), or None."""
    values = {
        "SLACK_BOT_TOKEN": _secret(settings.slack_bot_token),
        "SLACK_SIGNING_SECRET": _secret(settings.slack_signing_secret),
        "SLACK_APP_TOKEN": _secret(settings.slack_app_token),
    }
    required = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET"]
    missing = [name for name in required if not values[name]]
    if missing:
        where = "see the Slack app's Basic Information and OAuth & Permissions pages"
        return f"{' and '.join(missing)} must be set to serve Slack ({where})."
    if not values["SLACK_BOT_TOKEN"].startswith("xoxb-"):
        return "SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)."
    if socket_mode and not values["SLACK_APP_TOKEN"].startswith("xapp-"):
        return "SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)."
    return None


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""


def build_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    slack: bool | None = None,
    teams: bool | None = None,
    socket_mode: bool = False,
    services: Services | None = None,
    teams_credentials: Any = None,
    scheduler: bool = False,
) -> AccountBotApp:
    """Build services, the chat surfaces and the web application serving them.

    ``slack`` and ``teams`` default to whether their settings are present. Raises ConfigError
    (naming the variable) when a surface is enabled without the settings it needs.
    ``teams_credentials`` replaces the Bot Framework credentials factory (tests, proxies).
    The outbox sender always runs (messages people's actions queue go out at once); the timed
    jobs run with ``scheduler`` (`serve` without --no-scheduler).
    """
    use_slack = settings.slack_configured or socket_mode if slack is None else slack
    use_teams = settings.teams_configured if teams is None else teams
    if use_slack and (problem := slack_settings_problem(settings, socket_mode=socket_mode)):
        raise ConfigError(problem)
    if use_teams:
        from bot.channels.teams import teams_settings_problem

        if problem := teams_settings_problem(settings):
            raise ConfigError(problem)
    install_request_fields()
    services = services or build_services(settings, clock=clock)
    wiring = _Wiring()
    bolt_app = _slack(settings, services, wiring, socket_mode) if use_slack else None
    channel = _teams(services, wiring, teams_credentials) if use_teams else None
    surfaces = [name for name, up in (("slack", bolt_app), ("teams", channel)) if up]
    delivery = build_delivery(
        services, slack_client=bolt_app.client if bolt_app else None, teams=channel
    )
    wiring.lifecycles.append(_delivery_lifecycle(services, delivery, scheduler))
    web_app = build_web_app(services, wiring.routes, wiring.cleanups, surfaces=surfaces)
    web_app.cleanup_ctx.extend(wiring.lifecycles)
    return AccountBotApp(
        settings=settings,
        services=services,
        slack=bolt_app,
        web=web_app,
        socket_mode=socket_mode,
        teams=channel,
        delivery=delivery,
    )


def _delivery_lifecycle(services: Services, delivery: Delivery, scheduler: bool) -> Lifecycle:
    """Run the outbox sender (and the scheduler) while the web application runs."""

    async def run(_: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.ensure_future(delivery.sender.run_forever())]
        if scheduler:
            from bot.delivery.scheduler import Scheduler

            jobs = Scheduler(services, delivery.sender, delivery.platforms)
            tasks.append(asyncio.ensure_future(jobs.run_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    return run


def _slack(settings: Settings, services: Services, wiring: _Wiring, socket_mode: bool) -> AsyncApp:
    from bot.channels.slack import build_slack_app, socket_mode_lifecycle
    from bot.channels.slack_http import events_endpoint
    from bot.channels.slack_messages import message
    from bot.channels.slack_replies import ResponseUrls, kept_connections
    from bot.handlers.router import apology_reply
    from bot.rendering import Renderer

    response_urls = ResponseUrls(
        extra_hosts=[urlsplit(settings.slack_api_url).hostname or ""],
        timeout=settings.slack_timeout_seconds,
    )
    wiring.cleanups.append(response_urls.close)
    bolt_app = build_slack_app(services, response_urls)

    async def keep_connections(_: web.Application) -> AsyncIterator[None]:
        async with kept_connections(bolt_app.client):  # before Socket Mode and the sender
            yield

    wiring.lifecycles.append(keep_connections)
    if socket_mode:
        assert settings.slack_app_token is not None  # checked by slack_settings_problem
        token = settings.slack_app_token.get_secret_value()
        wiring.lifecycles.append(socket_mode_lifecycle(bolt_app, token))
    else:
        assert settings.slack_signing_secret is not None  # checked by slack_settings_problem
        secret = settings.slack_signing_secret.get_secret_value()
        apology = message(Renderer("slack", clock=services.clock), apology_reply())
        endpoint = events_endpoint(bolt_app, secret, command_failed=apology)
        wiring.routes.append(Route("POST", "/slack/events", endpoint))
    return bolt_app


def _teams(services: Services, wiring: _Wiring, credentials: Any) -> TeamsChannel:
    from bot.channels.teams import build_teams_channel, warn_if_unauthenticated

    warn_if_unauthenticated(services.settings)
    channel = build_teams_channel(services, credentials)
    wiring.routes.append(Route("POST", "/api/messages", channel.handle))
    wiring.lifecycles.append(channel.lifecycle())
    return channel


def no_surface_problem(settings: Settings, *, socket_mode: bool = False) -> str | None:
    """`serve` needs at least one chat surface."""
    if settings.slack_configured or socket_mode or settings.teams_configured:
        return None
    return NO_SURFACE


__all__ = ["NO_SURFACE", "AccountBotApp", "ConfigError", "build_app", "no_surface_problem"]
