"""Connector clients kept for the process, so answers to Teams reuse their connections.

botbuilder's CloudAdapter asks for a new connector client for every turn and every proactive
message, and each client sends through an HTTP session of its own (msrest over requests),
never closed: every answer opened a new TCP and TLS connection to the Bot Framework service.
Here one client is kept per (bot, service URL, audience); its session keeps its connections
(requests' pool is shared by the worker threads msrest sends from, as requests allows).
Its token stays fresh the way `TokensOffTheLoop` keeps it: fetched on a worker thread, so
MSAL's renewal after the hour never blocks the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
)

_Key = tuple[str | None, str, str | None]
MAX_KEPT = 32


class ConnectorsKept(ConfigurationBotFrameworkAuthentication):
    """botbuilder's configured authentication, its connector factories keeping clients."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[_Key, ConnectorClient] = {}

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        """An inbound activity: its answers go through the factory this hands back."""
        return self._keeping(await super().authenticate_request(activity, auth_header))

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        result = await super().authenticate_streaming_request(auth_header, channel_id_header)
        return self._keeping(result)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        """Proactive messages (and continued conversations) come through here."""
        inner = super().create_connector_factory(claims_identity)
        return _KeptFactory(inner, self._kept, bot_of(claims_identity))

    def _keeping(self, result: AuthenticateRequestResult) -> AuthenticateRequestResult:
        if result.connector_factory is not None:
            bot = bot_of(result.claims_identity)
            result.connector_factory = _KeptFactory(result.connector_factory, self._kept, bot)
        return result


def bot_of(claims_identity: ClaimsIdentity) -> str | None:
    """The bot's app id in an inbound token, as botbuilder reads it to make credentials."""
    return claims_identity.get_claim_value(
        AuthenticationConstants.AUDIENCE_CLAIM
    ) or claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)


class _KeptFactory(ConnectorFactory):
    def __init__(
        self, inner: ConnectorFactory, kept: dict[_Key, ConnectorClient], bot: str | None
    ) -> None:
        self.inner = inner
        self.kept = kept
        self.bot = bot

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # No audience means the factory's own (botbuilder's default scope): one client for both.
        default = getattr(self.inner, "_to_channel_from_bot_oauth_scope", None)
        key = (self.bot or None, service_url, audience or default)
        client = self.kept.get(key)
        if client is not None:
            await fresh_token(client.config.credentials)
            return client
        client = await self.inner.create(service_url, audience)
        if len(self.kept) < MAX_KEPT:  # Teams has a few regional service URLs
            self.kept[key] = client
        return client


async def fresh_token(credentials: Any) -> None:
    """Have ``credentials`` hold a valid token, fetched on a thread when it must be (MSAL
    answers from its cache for the hour the token lasts)."""
    if getattr(credentials, "microsoft_app_id", None):  # no app id: no token is sent
        await asyncio.to_thread(credentials.get_access_token)
