"""The bot's own token for writing to Teams, fetched off the event loop and kept.

botbuilder makes new credentials, with a new MSAL app and an empty token cache, for every
connector client it creates (each answer, each proactive message), and the first request of
each asks Microsoft for a token with a blocking HTTPS call, on the event loop: every Slack and
Teams request waits behind it. This factory keeps one set of credentials per audience, so MSAL
keeps its token for its hour, and asks for the token on a worker thread before handing the
credentials over; botbuilder's own call then finds it in MSAL's cache. (The connector clients
themselves are kept too: `teams_connectors`.)
"""

from __future__ import annotations

from typing import Any

from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.channels.teams_connectors import fresh_token


class TokensOffTheLoop(ServiceClientCredentialsFactory):
    """``inner``'s credentials, one per (app, audience, login endpoint), their token fetched on
    a thread."""

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self.inner = inner
        self._kept: dict[tuple[str, str, str, bool], Any] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self.inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self.inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        credentials = self._kept.get(key)
        if credentials is None:
            credentials = await self.inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
            self._kept[key] = credentials
        await fresh_token(credentials)
        return credentials
