"""The Slack surface: a Bolt AsyncApp for `/account`, its buttons, the recap modal and App Home.

Every request is acknowledged at once (process_before_response=False: Bolt answers Slack as
soon as `ack()` is called) and the work continues afterwards, answering through response_url.
Buttons carry a command text as their value and are answered exactly like typed commands.
The conversation logic lives in `slack_surface`; this module only wires Bolt to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from bot.channels.slack_messages import RECAP_CALLBACK_ID, typed_text
from bot.channels.slack_surface import Interaction, SlackSurface, slack_error
from bot.errors import ConfigError
from bot.services.container import Services
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)

BUTTON_ACTION = re.compile(r"^cmd(:.*)?$")
ANY_SLASH_COMMAND = re.compile(r"^/")
WEB_API_TIMEOUT_SECONDS = 10


def build_slack_app(services: Services) -> AsyncApp:
    """The Bolt app; every Web API call (Bolt's own too) goes to SLACK_API_URL."""
    settings = services.settings
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is required")  # build_app checks this first
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=WEB_API_TIMEOUT_SECONDS,
    )
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="accountbot",
        client=client,
        # Without a secret (socket mode) no HTTP route is mounted, so nothing is unverified.
        signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
        request_verification_enabled=secret is not None,
        process_before_response=False,
    )
    _register(app, SlackSurface(services), services)
    return app


def _register(app: AsyncApp, surface: SlackSurface, services: Services) -> None:
    @app.middleware
    async def skip_redelivered_events(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack retries events it thinks were lost; each event_id is handled once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await _first_delivery(services, event_id):
            log.info("skipping an event already handled", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.command(ANY_SLASH_COMMAND)
    async def on_command(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        await surface.answer(
            Interaction(
                client=client,
                slack_user_id=str(command.get("user_id") or ""),
                text=typed_text(command.get("text")),
                trigger_id=command.get("trigger_id"),
                response_url=command.get("response_url"),
                respond=respond,
                source="command",
            )
        )

    @app.action(BUTTON_ACTION)
    async def on_button(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
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
                respond=respond if isinstance(response_url, str) else None,
                source="button",
            )
        )

    @app.view(RECAP_CALLBACK_ID)
    async def on_recap_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await surface.submit_recap(ack=ack, body=body, client=client)

    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
            await surface.publish_home(client, event["user"])

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A last resort: listeners never raise (the surface catches everything), so this is
        a failure in middleware such as the event de-duplication."""
        log.error("Slack request failed (%s)", describe(body), exc_info=error)
        if respond is not None and respond.response_url:
            await surface.apologise_via(respond)


def _user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


async def _first_delivery(services: Services, event_id: str) -> bool:
    try:
        async with services.db.unit_of_work() as session:
            session.add(ProcessedEvent(event_id=event_id[:100], received_at=services.clock()))
    except IntegrityError:
        return False
    return True


def describe(body: dict[str, Any]) -> str:
    """What a request was, for logs: kind, user, command word; never tokens or free text."""
    kind = body.get("type") or ("slash_command" if "command" in body else "unknown")
    user = (
        body.get("user_id")
        or (body.get("user") or {}).get("id")
        or ((body.get("event") or {}).get("user"))
    )
    word = str(body.get("text") or "").split(maxsplit=1)[:1]
    return f"{kind}, slack user {user}, command {word[0] if word else '-'}"


def events_endpoint(
    app: AsyncApp, signing_secret: str
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """POST /slack/events: Bolt verifies the signature (401 when bad or stale) and dispatches."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.text()
        headers = {
            k: v for k, v in request.headers.items() if not k.lower().startswith("x-slack-bolt-")
        }  # internal to Bolt
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)  # type: ignore[arg-type]
        except ValueError:  # not JSON / form data: never from Slack, so say which part failed
            signed = verifier.is_valid_request(body, dict(request.headers))
            return web.json_response(
                {"error": "malformed request" if signed else "invalid"},
                status=400 if signed else 401,
            )
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


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
