"""The Teams surface on botbuilder-core: POST /api/messages, and sending cards to conversations.

Every botbuilder import in accountbot is in this module, `teams_activities` (an activity as
plain data, a card as an activity), `teams_tokens` (the bot's token, fetched off the event
loop) and `teams_delivery` (sending the outbox into Teams): the Bot Framework SDK for Python
is in legacy maintenance, so swapping it means rewriting these four files only
(`teams_requests`, `teams_surface` and `teams_cards` speak plain dicts).

Requests are checked before the SDK sees them. With an app id, a request needs a bearer token
that claims to come from the Bot Framework for this app and this serviceUrl; anything else is a
401 without reaching a handler (the SDK then verifies the signature). The SDK fetches signing
keys with a blocking HTTP call, so they are fetched off the event loop at start-up and twice a
day. The answer is given within Bot Framework's 15 seconds: a slow turn gets 202 and finishes
in the background. A message Teams delivers twice is handled once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ConversationReference,
)
from botframework.connector.auth import AuthenticationConstants, ServiceClientCredentialsFactory
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

from bot.channels.teams_activities import card_activity, conversation_of, teams_message
from bot.channels.teams_cards import CardMessage
from bot.channels.teams_connectors import ConnectorsKept
from bot.channels.teams_requests import RecentIds, token_problem
from bot.channels.teams_surface import TeamsSurface
from bot.channels.teams_tokens import TokensOffTheLoop
from bot.logs import request_context
from bot.services.container import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

ANSWER_WITHIN_SECONDS = 10.0  # Bot Framework gives up after 15
SIGNING_KEYS_REFRESH_SECONDS = 12 * 3600


class _Config:
    """What ConfigurationBotFrameworkAuthentication reads, from our settings."""

    def __init__(self, settings: Settings) -> None:
        password = settings.microsoft_app_password
        self.APP_ID = settings.microsoft_app_id.strip()
        self.APP_PASSWORD = password.get_secret_value() if password else ""
        self.APP_TYPE = settings.microsoft_app_type
        self.APP_TENANTID = settings.microsoft_app_tenant_id.strip()
        if settings.teams_openid_metadata_url:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.teams_openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = "https://api.botframework.com"
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = (
                "https://login.microsoftonline.com/botframework.com"
            )


async def _send(turn_context: TurnContext, messages: list[CardMessage]) -> None:
    for message in messages:
        activity = card_activity(message)
        if message.replaces:
            try:
                await turn_context.update_activity(activity)
                continue
            except Exception as exc:  # the card is gone or too old: answer below it instead
                log.warning("could not update a Teams card (%s); sending a new one", exc)
                activity.id = None
        await turn_context.send_activity(activity)


class AccountBotTeams(TeamsActivityHandler):
    """The SDK's view of accountbot: messages, card submits and installations."""

    def __init__(self, surface: TeamsSurface) -> None:
        self.surface = surface

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        message = teams_message(turn_context.activity)
        answers = await self.surface.answer(message, lambda: _email_of(turn_context))
        await _send(turn_context, answers)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._installed(turn_context)

    async def on_teams_members_added(
        self, teams_members_added: Any, team_info: Any, turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id
        if any(member.id == bot_id for member in teams_members_added):
            await self._installed(turn_context)

    async def _installed(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        aad = getattr(activity.from_property, "aad_object_id", None) or ""
        answers = await self.surface.installed(
            conversation_of(activity), aad, lambda: _email_of(turn_context)
        )
        await _send(turn_context, answers)


async def _email_of(turn_context: TurnContext) -> str | None:
    """The email Teams has for the sender (a roster call), or None."""
    try:
        member = await TeamsInfo.get_member(turn_context, turn_context.activity.from_property.id)
    except Exception as exc:
        log.warning("could not look up a Teams member's email (%s)", type(exc).__name__)
        return None
    email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
    return email.strip() if isinstance(email, str) and "@" in email else None


@dataclass
class TeamsChannel:
    """The adapter, the bot and what the web app mounts."""

    adapter: CloudAdapter
    bot: AccountBotTeams
    app_id: str
    metadata_url: str | None
    recent: RecentIds = field(default_factory=RecentIds)
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def authenticates(self) -> bool:
        return bool(self.app_id)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """POST /api/messages."""
        if request.content_type != "application/json":
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            body = await request.json()
            activity = Activity().deserialize(body) if isinstance(body, dict) else None
        except Exception:
            activity = None
        authorization = request.headers.get("Authorization", "")
        if self.authenticates:
            service_url = body.get("serviceUrl") if isinstance(body, dict) else None
            problem = token_problem(authorization, str(service_url or ""), self.app_id)
            if problem:
                log.warning("refused a Teams request with %s", problem)
                return web.json_response({"error": "unauthorized"}, status=401)
        if activity is None or not activity.type:
            return web.json_response({"error": "malformed activity"}, status=400)
        if activity.id and not self.recent.first_time(f"{activity.channel_id}:{activity.id}"):
            log.info("ignored a Teams activity delivered again")
            return web.Response(status=200)
        with request_context(platform="teams", kind=str(activity.type)):
            return await self._process(activity, authorization if self.authenticates else "")

    async def _process(self, activity: Activity, authorization: str) -> web.StreamResponse:
        turn = asyncio.ensure_future(
            self.adapter.process_activity(authorization, activity, self.bot.on_turn)
        )
        done, _ = await asyncio.wait({turn}, timeout=ANSWER_WITHIN_SECONDS)
        if turn not in done:  # keep going, but answer Teams before it gives up
            self.background.add(turn)
            turn.add_done_callback(self._finished)
            return web.Response(status=202)
        try:
            invoke = turn.result()
        except (PermissionError, jwt.PyJWTError, KeyError, IndexError, AttributeError) as exc:
            log.warning("refused a Teams request: %s", type(exc).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        except Exception:
            log.exception("Teams turn failed")
            return web.json_response({"error": "internal"}, status=500)
        if invoke is not None and activity.type == ActivityTypes.invoke:
            return web.json_response(getattr(invoke, "body", None), status=invoke.status)
        return web.Response(status=200)

    def _finished(self, turn: asyncio.Task[Any]) -> None:
        self.background.discard(turn)
        if not turn.cancelled() and turn.exception() is not None:
            log.error("a slow Teams turn failed", exc_info=turn.exception())

    async def send(self, reference: dict[str, Any], message: CardMessage) -> str | None:
        """Post a card into a stored conversation (proactive); the new message's id."""
        sent: list[str | None] = []
        failed: list[Exception] = []

        async def deliver(turn_context: TurnContext) -> None:
            try:  # the adapter would swallow it into on_turn_error: the sender must see it
                response = await turn_context.send_activity(card_activity(message))
            except Exception as exc:
                failed.append(exc)
                return
            sent.append(getattr(response, "id", None))

        await self.adapter.continue_conversation(
            ConversationReference().deserialize(reference), deliver, self.app_id
        )
        if failed:
            raise failed[0]
        return sent[0] if sent else None

    def lifecycle(self) -> Callable[[web.Application], AsyncIterator[None]]:
        """Fetch the Bot Framework's signing keys off the event loop, at start and twice a day."""

        async def keep_keys_fresh(_: web.Application) -> AsyncIterator[None]:
            refresher = None
            if self.authenticates:
                refresher = asyncio.ensure_future(self._refresh_keys_forever())
            try:
                yield
            finally:
                if refresher is not None:
                    refresher.cancel()
                for turn in list(self.background):
                    turn.cancel()

        return keep_keys_fresh

    async def _refresh_keys_forever(self) -> None:
        url = self.metadata_url or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPEN_ID_METADATA_URL
        metadata = JwtTokenExtractor.get_open_id_metadata(url)
        while True:
            try:
                await asyncio.to_thread(asyncio.run, metadata._refresh())
            except Exception as exc:
                log.warning("could not fetch the Bot Framework signing keys (%s)", exc)
            await asyncio.sleep(SIGNING_KEYS_REFRESH_SECONDS)


def build_teams_channel(
    services: Services, credentials_factory: ServiceClientCredentialsFactory | None = None
) -> TeamsChannel:
    """The Teams surface for these settings (check `teams_settings_problem` first)."""
    settings = services.settings
    config = _Config(settings)
    authentication = ConnectorsKept(
        config,
        credentials_factory=TokensOffTheLoop(
            credentials_factory or ConfigurationServiceClientCredentialFactory(config)
        ),
    )
    adapter = CloudAdapter(authentication)

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed (%s)", type(error).__name__, exc_info=error)

    adapter.on_turn_error = on_turn_error
    return TeamsChannel(
        adapter=adapter,
        bot=AccountBotTeams(TeamsSurface(services)),
        app_id=config.APP_ID,
        metadata_url=settings.teams_openid_metadata_url,
    )


def teams_settings_problem(settings: Settings) -> str | None:
    """Why Teams cannot start with these settings (naming the variable), or None."""
    app_id = settings.microsoft_app_id.strip()
    if not app_id:
        if settings.teams_allow_unauthenticated:
            return None
        return "MicrosoftAppId must be set to serve Teams (or TEAMS_ALLOW_UNAUTHENTICATED=1)."
    kind = settings.microsoft_app_type
    if kind in ("MultiTenant", "SingleTenant") and settings.microsoft_app_password is None:
        return f"MicrosoftAppPassword must be set for a {kind} bot (Azure: Manage Password)."
    if kind in ("SingleTenant", "UserAssignedMSI") and not settings.microsoft_app_tenant_id:
        return f"MicrosoftAppTenantId must be set for a {kind} bot."
    return None


def warn_if_unauthenticated(settings: Settings) -> None:
    if not settings.microsoft_app_id.strip() and settings.teams_allow_unauthenticated:
        log.warning(
            "TEAMS_ALLOW_UNAUTHENTICATED=1 and no MicrosoftAppId: anyone who can reach "
            "/api/messages can act as any Teams user. Use this only on 127.0.0.1 with the "
            "Bot Framework Emulator, never with real data."
        )
