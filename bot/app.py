"""Wires accountbot together: settings → services → chat surfaces → one aiohttp application.

Nothing is built at import time; `build_app` does it all, so tests and the CLI can build
as many (differently configured) apps as they like.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr

from bot.errors import ConfigError
from bot.logs import install_request_fields
from bot.server import Route, build_web_app
from bot.services.container import Services, build_services
from bot.settings import Settings
from storage.models import utcnow

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp


@dataclass
class AccountBotApp:
    """Everything one running accountbot process is made of."""

    settings: Settings
    services: Services
    slack: AsyncApp | None
    web: web.Application
    socket_mode: bool = False


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
    slack: bool = True,
    socket_mode: bool = False,
    services: Services | None = None,
) -> AccountBotApp:
    """Build services, the Slack app (when enabled) and the web application serving them.

    Raises ConfigError (naming the variable) when a surface is enabled without its settings.
    """
    if slack:
        problem = slack_settings_problem(settings, socket_mode=socket_mode)
        if problem:
            raise ConfigError(problem)
    install_request_fields()
    services = services or build_services(settings, clock=clock)
    bolt_app = None
    routes: list[Route] = []
    cleanups: list[Callable[[], Awaitable[None]]] = []
    if slack:
        from bot.channels.slack import build_slack_app, socket_mode_lifecycle
        from bot.channels.slack_http import events_endpoint
        from bot.channels.slack_replies import ResponseUrls

        response_urls = ResponseUrls(
            extra_hosts=[urlsplit(settings.slack_api_url).hostname or ""],
            timeout=settings.slack_timeout_seconds,
        )
        cleanups.append(response_urls.close)
        bolt_app = build_slack_app(services, response_urls)
        if not socket_mode:
            assert settings.slack_signing_secret is not None  # checked above
            secret = settings.slack_signing_secret.get_secret_value()
            routes.append(Route("POST", "/slack/events", events_endpoint(bolt_app, secret)))
    web_app = build_web_app(services, routes, cleanups)
    if bolt_app is not None and socket_mode:
        assert settings.slack_app_token is not None  # checked above
        web_app.cleanup_ctx.append(
            socket_mode_lifecycle(bolt_app, settings.slack_app_token.get_secret_value())
        )
    return AccountBotApp(
        settings=settings,
        services=services,
        slack=bolt_app,
        web=web_app,
        socket_mode=socket_mode,
    )
