"""The Slack surface: a Bolt AsyncApp for `/account`, its buttons, its modals and App Home.

Requests reach Bolt only through `slack_http.events_endpoint`, which verifies, parses and
checks them first. Every request is acknowledged at once (process_before_response=False: Bolt
answers Slack as soon as `ack()` is called) and the work continues afterwards, answering
through response_url (retried, then a DM). Buttons carry a command text as their value and are
answered exactly like typed commands. The conversation logic lives in `slack_surface` (with
the recap form in `slack_recaps` and the objection walkthrough in `slack_objections`); this
module only wires Bolt to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_http import interaction_key
from bot.channels.slack_identity import slack_conversation
from bot.channels.slack_messages import RECAP_CALLBACK_ID, typed_text
from bot.channels.slack_objections import CALLBACK_PATTERN
from bot.channels.slack_replies import ResponseUrls, slack_error, web_client
from bot.channels.slack_surface import Interaction, SlackSurface
from bot.errors import ConfigError
from bot.logs import add_log_fields
from bot.services.container import Services
from bot.services.once import first_time

log = logging.getLogger(__name__)

BUTTON_ACTION = re.compile(r"^cmd(:.*)?$")
ANY_SLASH_COMMAND = re.compile(r"^/")


class _ClientCarriesTheToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns at every start that the token is unused
    since a client is given; the client is built with that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_CLIENT_CARRIES_THE_TOKEN = _ClientCarriesTheToken()


def build_slack_app(services: Services, response_urls: ResponseUrls) -> AsyncApp:
    """The Bolt app; every Web API call (Bolt's own too) goes to SLACK_API_URL."""
    settings = services.settings
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is required")  # build_app checks this first
    client = web_client(
        settings.slack_bot_token.get_secret_value(),
        settings.slack_api_url,
        settings.slack_timeout_seconds,
    )
    secret = settings.slack_signing_secret
    bolt_log = logging.getLogger("bot.channels.slack.bolt")
    if _CLIENT_CARRIES_THE_TOKEN not in bolt_log.filters:
        bolt_log.addFilter(_CLIENT_CARRIES_THE_TOKEN)
    app = AsyncApp(
        name="accountbot",
        client=client,
        # Without a secret (socket mode) no HTTP route is mounted, so nothing is unverified.
        signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
        request_verification_enabled=secret is not None,
        process_before_response=False,
        logger=bolt_log,
    )
    _register(app, SlackSurface(services, response_urls), services)
    return app


def _register(app: AsyncApp, surface: SlackSurface, services: Services) -> None:
    @app.middleware
    async def skip_redelivered_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack retries events it thinks were lost; each event_id is handled once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await first_time(
            services.db, event_id, now=services.clock()
        ):
            log.info("skipping an event already handled")
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.command(ANY_SLASH_COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await surface.answer(
            Interaction(
                client=client,
                slack_user_id=str(command.get("user_id") or ""),
                text=typed_text(command.get("text")),
                trigger_id=command.get("trigger_id"),
                response_url=command.get("response_url"),
                source="command",
                once_key=interaction_key(command),
                conversation=slack_conversation(
                    command.get("channel_id"), command.get("channel_name")
                ),
            )
        )

    @app.action(BUTTON_ACTION)
    async def on_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        response_url = body.get("response_url")
        await surface.answer(
            Interaction(
                client=client,
                slack_user_id=_user_id(body),
                text=str(action.get("value") or ""),
                trigger_id=body.get("trigger_id"),
                response_url=response_url if isinstance(response_url, str) else None,
                source="button",
                once_key=interaction_key(body),
                conversation=slack_conversation(
                    (body.get("channel") or {}).get("id"), (body.get("channel") or {}).get("name")
                ),
            )
        )

    @app.view(RECAP_CALLBACK_ID)
    async def on_recap_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await surface.recaps.submitted(ack=ack, body=body, client=client)

    @app.view(re.compile(CALLBACK_PATTERN))
    async def on_objection_step(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await surface.objections.submitted(ack=ack, body=body, client=client)

    @app.view_closed(re.compile(CALLBACK_PATTERN))
    async def on_objection_closed(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await surface.objections.closed(ack=ack, body=body, client=client)

    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
            await surface.publish_home(client, event["user"])

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        """A last resort: listeners never raise (the surface catches everything), so this is
        a failure in middleware such as the event de-duplication. Logged; Slack retries."""
        add_log_fields(user_id=_user_id(body) or None)
        log.error("Slack request failed (%s)", describe(body), exc_info=error)


def _user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id") or "")
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return str(event["user"])
    return str(body.get("user_id") or "")


def describe(body: dict[str, Any]) -> str:
    """What a request was, for logs: kind, user, command word; never tokens or free text."""
    kind = body.get("type") or ("slash_command" if "command" in body else "unknown")
    word = str(body.get("text") or "").split(maxsplit=1)[:1]
    return f"{kind}, slack user {_user_id(body) or '-'}, command {word[0][:40] if word else '-'}"


def socket_mode_lifecycle(
    app: AsyncApp, app_token: str
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Connect to Slack over Socket Mode while the web application runs.

    The app token is tried once first, so a wrong one stops start-up with a ConfigError
    instead of retrying forever.
    """

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        try:
            await app.client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            raise ConfigError(f"Slack refused SLACK_APP_TOKEN ({slack_error(exc)}).") from None
        handler = AsyncSocketModeHandler(app, app_token)
        await handler.connect_async()
        log.info("connected to Slack in Socket Mode")
        try:
            yield
        finally:
            await handler.close_async()

    return lifecycle
