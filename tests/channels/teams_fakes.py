"""A fake Bot Connector service on loopback, and a client that sends activities as Teams does.

`FakeConnector` is an aiohttp server playing the service at an activity's serviceUrl, on its
own thread and event loop like a remote service (botbuilder makes some calls synchronously on
the bot's loop, which would deadlock a fake sharing that loop). It records every call (method,
path, JSON body, Authorization header), answers with ids like the real service, can fail a
route for the next N calls, serves the OpenID metadata and signing keys the bot validates
Teams' tokens with (and mints such tokens), and a client-credentials token endpoint.
`TeamsSender` builds Activity JSON with the fields Teams sends and posts it to our messaging
endpoint.

Shapes follow Microsoft's Bot Connector REST API reference (routes, ResourceResponse,
ConversationResourceResponse, ErrorResponse) and the Teams bot docs on Microsoft Learn ("Channel
and group chat conversations with a bot", "Conversation events in your Teams bot", "Send
proactive messages", "Universal Actions for Adaptive Cards"), as botbuilder 4.17 parses them;
they were not captured from a live tenant.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import requests
from aiohttp import web
from botframework.connector.auth import MicrosoftAppCredentials, ServiceClientCredentialsFactory
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.channels.conftest import start_server

APP_ID = "5e2ef8a1-0c5b-4a8e-9a53-2b6f2f0d6c11"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_NAME = "accountbot"
TEAM_ID = "19:8b1f2d6c4c1a4a6e9d1c0b7f3e2a1d5c@thread.tacv2"  # the General channel's id
TEAM_AAD_GROUP_ID = "0d4c1f6e-3b8a-4f2e-9c71-5a6b7c8d9e0f"
CHANNEL_ID = "19:4a3f8e2b9c7d4e1fa6b5c0d9e8f7a6b5@thread.tacv2"
GROUP_CHAT_ID = "19:3c5e7a9b1d2f4e6a8b0c2d4e6f8a0b1c@thread.v2"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
SIGNING_KEY_ID = "fake-connector-key-1"
FIRST_ACTIVITY_ID = 1772636400000  # activity ids are epoch milliseconds in Teams
_ACTIVITY = re.compile(
    r"^/v3/conversations/(?P<conversation>[^/]+)/activities/(?P<activity>[^/]+)$"
)
_ROUTES = (
    ("create", "POST", re.compile(r"^/v3/conversations$")),
    ("send", "POST", re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/activities$")),
    ("reply", "POST", _ACTIVITY),
    ("update", "PUT", _ACTIVITY),
    ("delete", "DELETE", _ACTIVITY),
    (
        "member",
        "GET",
        re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/members/(?P<member>[^/]+)$"),
    ),
    ("token", "POST", re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")),
    ("openid", "GET", re.compile(r"^/v1/\.well-known/openidconfiguration$")),
    ("keys", "GET", re.compile(r"^/v1/\.well-known/keys$")),
)
_ERROR_CODES = {
    403: ("BotNotInConversationRoster", "The bot is not part of the conversation roster."),
    404: ("ConversationNotFound", "Conversation not found."),
    429: ("TooManyRequests", "Too many requests."),
    500: ("ServiceError", "Unknown error."),
}


@dataclass
class ConnectorCall:
    """One request the bot made: `kind` is create, send, reply, update, delete, member, token,
    openid or keys (None for a path the real service does not have)."""

    kind: str | None
    method: str
    path: str
    body: Any
    authorization: str | None
    params: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    peer: Any = None  # the caller's end of the connection the call came over (address, port)

    @property
    def conversation_id(self) -> str | None:
        return self.params.get("conversation")

    @property
    def activity_id(self) -> str | None:
        return self.params.get("activity")


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int | None
    code: str
    message: str


@dataclass
class FakeConnector:
    """The Bot Connector service for the bot under test: records and answers like the real one.

    The service URL has a region path and a trailing slash, as Teams' do
    (`https://smba.trafficmanager.net/emea/`); doubled slashes the SDK produces are merged.
    """

    calls: list[ConnectorCall] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    _failures: dict[str, _Failure] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _activity_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _conversation_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    async def start(self) -> None:
        """Serve on 127.0.0.1 from a thread of its own; returns once it listens."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("*", "/{path:.*}", self._handle)
            self._runner, self.url = await start_server(app)

        def run() -> None:
            assert self._loop is not None
            self._loop.run_until_complete(serve())
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-bot-connector", daemon=True)
        self._thread.start()
        await asyncio.to_thread(ready.wait, 10)

    async def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None:
            done = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            await asyncio.wrap_future(done)
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 10)

    def reset(self) -> None:
        self.calls.clear()
        self._failures.clear()

    @property
    def service_url(self) -> str:
        """What activities carry as serviceUrl."""
        return f"{self.url}/amer/"

    @property
    def openid_metadata_url(self) -> str:
        """For the bot's TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL setting."""
        return f"{self.url}/v1/.well-known/openidconfiguration"

    def fail(
        self,
        kind: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        code: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `kind` (send, reply, update, create, …) with `status`
        and an ErrorResponse body; `retry_after` adds a Retry-After header (seconds)."""
        default_code, message = _ERROR_CODES.get(status, ("BadRequest", "The request failed."))
        self._failures[kind] = _Failure(status, times, retry_after, code or default_code, message)

    def calls_to(self, *kinds: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.kind in kinds]

    def posted(self) -> list[dict[str, Any]]:
        """Every activity the bot sent into a conversation (new messages and replies)."""
        return [c.body for c in self.calls_to("send", "reply")]

    async def wait_for(self, ready: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `ready()` is truthy (something arrived); fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not (result := ready()):
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for Bot Connector traffic")
            await asyncio.sleep(0.01)
        return result

    async def activity(self, count: int = 1) -> dict[str, Any]:
        """The `count`-th activity the bot posted (waits for it)."""
        posted = await self.wait_for(lambda: len(self.posted()) >= count and self.posted())
        return posted[count - 1]

    def channel_token(
        self,
        *,
        audience: str = APP_ID,
        service_url: str | None = None,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        expires_in: int = 3600,
    ) -> str:
        """A JWT like the Bot Connector sends the bot (RS256, signed with this fake's key)."""
        now = int(time.time())
        claims = {
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "exp": now + expires_in,
            "iss": issuer,
            "aud": audience,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": SIGNING_KEY_ID})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = re.sub(r"/{2,}", "/", request.path)
        if path.startswith("/amer/"):
            path = path[len("/amer") :]
        kind, params = _route(request.method, path)
        raw = await request.read()
        body: Any = None
        if raw:
            if request.content_type == "application/x-www-form-urlencoded":
                body = dict(await request.post())
            else:
                body = json.loads(raw)
        self.calls.append(
            ConnectorCall(
                kind,
                request.method,
                path,
                body,
                request.headers.get("Authorization"),
                params,
                peer=request.transport.get_extra_info("peername") if request.transport else None,
            )
        )
        failure = self._failures.get(kind or "")
        if failure is not None and failure.remaining > 0:
            failure.remaining -= 1
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            error = {"error": {"code": failure.code, "message": failure.message}}
            return web.json_response(error, status=failure.status, headers=headers)
        if kind is None:
            return web.json_response(
                {"error": {"code": "BadArgument", "message": "Unknown route."}}, status=404
            )
        return self._answer(kind, params, body)

    def _answer(self, kind: str, params: dict[str, str], body: Any) -> web.StreamResponse:
        if kind in ("send", "reply"):
            return web.json_response(
                {"id": str(FIRST_ACTIVITY_ID + next(self._activity_ids))}, status=201
            )
        if kind == "update":
            return web.json_response({"id": params["activity"]})
        if kind == "delete":
            return web.Response(status=200)
        if kind == "create":
            n = next(self._conversation_ids)
            personal = not (body or {}).get("isGroup")
            conversation = (
                f"a:1{n:08d}fakePersonalChat"
                if personal
                else f"{CHANNEL_ID};messageid={FIRST_ACTIVITY_ID + n}"
            )
            return web.json_response(
                {
                    "id": conversation,
                    "activityId": str(FIRST_ACTIVITY_ID + next(self._activity_ids)),
                    "serviceUrl": self.service_url,
                },
                status=201,
            )
        if kind == "member":
            member = self.members.get(params["member"])
            if member is None:
                return web.json_response(
                    {
                        "error": {
                            "code": "MemberNotFoundInConversation",
                            "message": "Member not found.",
                        }
                    },
                    status=404,
                )
            return web.json_response(member)
        if kind == "token":
            token = f"fake-bot-token-{next(self._tokens)}"
            return web.json_response(
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": token,
                }
            )
        if kind == "openid":
            return web.json_response(
                {
                    "issuer": BOT_FRAMEWORK_ISSUER,
                    "authorization_endpoint": f"{self.url}/v1/.well-known/authorize",
                    "jwks_uri": f"{self.url}/v1/.well-known/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                }
            )
        return web.json_response({"keys": [self._jwk()]})  # kind == "keys"

    def _jwk(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": SIGNING_KEY_ID,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
            "endorsements": ["msteams", "emulator", "webchat"],
        }


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    for kind, route_method, pattern in _ROUTES:
        match = pattern.match(path)
        if match and method == route_method:
            return kind, match.groupdict()
    return None, {}


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class LoopbackCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Outbound credentials for a bot with an app id, fetched from the fake's token endpoint.

    botbuilder gets tokens through MSAL, which only talks HTTPS to login.microsoftonline.com;
    pass this as `credentials_factory=` to ConfigurationBotFrameworkAuthentication so a test bot
    with an app id sends `Authorization: Bearer fake-bot-token-N` to the fake.
    """

    def __init__(self, connector: FakeConnector, app_id: str = APP_ID) -> None:
        self.connector = connector
        self.app_id = app_id
        self.fetched_on: list[int] = []  # the thread of each token request sent to the fake

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> MicrosoftAppCredentials:
        token_url = f"{self.connector.url}/{TENANT_ID}/oauth2/v2.0/token"
        return _LoopbackCredentials(app_id, oauth_scope, token_url, self.fetched_on)


class _LoopbackCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
    """Like botbuilder's with MSAL: a blocking request for the token, kept (per credentials
    object, as MSAL's cache is per app) until five minutes before it expires."""

    def __init__(
        self, app_id: str, oauth_scope: str, token_url: str, fetched_on: list[int]
    ) -> None:
        super().__init__(app_id, "test-secret", oauth_scope=oauth_scope)
        self.token_url = token_url
        self.fetched_on = fetched_on
        self._kept: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def get_access_token(self, force_refresh: bool = False) -> str:
        with self._lock:
            if self._kept is not None and time.monotonic() < self._kept[1] and not force_refresh:
                return self._kept[0]
            self.fetched_on.append(threading.get_ident())
            form = {
                "client_id": self.microsoft_app_id,
                "client_secret": self.microsoft_app_password,
                "grant_type": "client_credentials",
                "scope": f"{self.oauth_scope}/.default",
            }
            answer = requests.post(self.token_url, data=form, timeout=5)
            answer.raise_for_status()
            body = answer.json()
            self._kept = (str(body["access_token"]), time.monotonic() + body["expires_in"] - 300)
            return self._kept[0]


@dataclass(frozen=True)
class TeamsUser:
    """A person as Teams names them: a `29:` id per bot, their name and Entra object id."""

    id: str
    name: str
    aad_object_id: str

    def account(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


ANN = TeamsUser(
    "29:1Ann-Lee-8f3c2a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0",
    "Ann Lee",
    "6b3c1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
)
_DEFAULT = object()


@dataclass
class TeamsSender:
    """Posts activities to our messaging endpoint the way the Bot Connector delivers Teams'.

    With `signed`, each request carries `Authorization: Bearer <JWT>` minted by the fake
    connector for `app_id` (the bot must take the fake's OpenID metadata URL); otherwise none,
    as the Bot Framework Emulator sends to a bot without an app id.
    """

    endpoint: str
    connector: FakeConnector
    session: aiohttp.ClientSession
    app_id: str = APP_ID
    bot_name: str = BOT_NAME
    tenant_id: str = TENANT_ID
    signed: bool = False
    locale: str = "en-US"
    timezone: str = "Europe/Berlin"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def bot(self) -> dict[str, str]:
        return {"id": f"28:{self.app_id}", "name": self.bot_name}

    def mention(self) -> dict[str, Any]:
        """The mention entity Teams adds for `<at>accountbot</at>` in the text."""
        return {"type": "mention", "text": f"<at>{self.bot_name}</at>", "mentioned": self.bot}

    def client_info(self) -> dict[str, Any]:
        return {
            "type": "clientInfo",
            "locale": self.locale,
            "country": self.locale.rsplit("-", 1)[-1],
            "platform": "Web",
            "timezone": self.timezone,
        }

    def _base(self, kind: str, user: TeamsUser, conversation: dict[str, Any]) -> dict[str, Any]:
        n = next(self._ids)
        now = time.time()
        return {
            "type": kind,
            "id": str(FIRST_ACTIVITY_ID + 500_000 + n),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".1234567Z",
            "localTimestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now))
            + ".1234567+00:00",
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            "from": user.account(),
            "conversation": {"tenantId": self.tenant_id, **conversation},
            "recipient": self.bot,
            "locale": self.locale,
            "localTimezone": self.timezone,
        }

    def personal_conversation(self, user: TeamsUser) -> dict[str, Any]:
        return {"conversationType": "personal", "id": f"a:1{user.aad_object_id.replace('-', '')}"}

    def team_channel_data(self) -> dict[str, Any]:
        return {
            "teamsChannelId": CHANNEL_ID,
            "teamsTeamId": TEAM_ID,
            "channel": {"id": CHANNEL_ID},
            "team": {"id": TEAM_ID},
            "tenant": {"id": self.tenant_id},
        }

    def personal_message(self, text: str, user: TeamsUser = ANN) -> dict[str, Any]:
        """A message in the 1:1 chat with the bot: no mention needed, conversation `a:…`."""
        activity = self._base("message", user, self.personal_conversation(user))
        return activity | {
            "text": text,
            "textFormat": "plain",
            "entities": [self.client_info()],
            "channelData": {"tenant": {"id": self.tenant_id}},
        }

    def channel_message(
        self, text: str, user: TeamsUser = ANN, *, thread_id: str | None = None
    ) -> dict[str, Any]:
        """`@accountbot text` in a team channel. A new post is the thread's root, so its id is
        the thread id; a reply in a thread carries `;messageid=<root id>` in the conversation id.
        """
        activity = self._base("message", user, {"isGroup": True, "conversationType": "channel"})
        activity["conversation"]["id"] = f"{CHANNEL_ID};messageid={thread_id or activity['id']}"
        return activity | {
            "text": f"<at>{self.bot_name}</at> {text}",
            "textFormat": "plain",
            "attachments": [self._html_copy(text)],
            "entities": [self.mention(), self.client_info()],
            "channelData": self.team_channel_data(),
        }

    def group_chat_message(self, text: str, user: TeamsUser = ANN) -> dict[str, Any]:
        """`@accountbot text` in a group chat (bots only hear group chats when mentioned)."""
        conversation = {"isGroup": True, "conversationType": "groupChat", "id": GROUP_CHAT_ID}
        return self._base("message", user, conversation) | {
            "text": f"<at>{self.bot_name}</at> {text}",
            "textFormat": "plain",
            "attachments": [self._html_copy(text)],
            "entities": [self.mention(), self.client_info()],
            "channelData": {"tenant": {"id": self.tenant_id}},
        }

    def _html_copy(self, text: str) -> dict[str, str]:
        """Teams adds the message as HTML too, the mention as a schema.skype.com span."""
        mention = (
            '<span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">'
            f"{self.bot_name}</span>"
        )
        return {"contentType": "text/html", "content": f"<div><div>{mention} {text}</div>\n</div>"}

    def members_added(self, *, bot: bool, user: TeamsUser = ANN) -> dict[str, Any]:
        """conversationUpdate in a team: the bot installed (membersAdded holds the bot) or a
        person joining (membersAdded holds them). `from` is whoever did it."""
        activity = self._base(
            "conversationUpdate",
            user,
            {"isGroup": True, "conversationType": "channel", "id": TEAM_ID},
        )
        added = self.bot if bot else {"id": user.id, "aadObjectId": user.aad_object_id}
        channel_data = self.team_channel_data() | {"eventType": "teamMemberAdded"}
        channel_data["team"] = {"id": TEAM_ID, "name": "Atlas", "aadGroupId": TEAM_AAD_GROUP_ID}
        return activity | {
            "membersAdded": [{k: v for k, v in added.items() if k != "name"}],
            "channelData": channel_data,
        }

    def installation_update(
        self, *, scope: str = "personal", action: str = "add", user: TeamsUser = ANN
    ) -> dict[str, Any]:
        """installationUpdate when a person adds (or removes) the app, personally or to a team."""
        if scope == "team":
            conversation = {"isGroup": True, "conversationType": "channel", "id": TEAM_ID}
            channel_data = self.team_channel_data() | {
                "settings": {"selectedChannel": {"id": CHANNEL_ID}},
                "source": {"name": "message"},
            }
        else:
            conversation = self.personal_conversation(user)
            channel_data = {"tenant": {"id": self.tenant_id}, "source": None}
        return self._base("installationUpdate", user, conversation) | {
            "action": action,
            "entities": [self.client_info()],
            "channelData": channel_data,
        }

    def card_submit(
        self,
        data: dict[str, Any],
        *,
        card_id: str,
        user: TeamsUser = ANN,
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An Action.Submit press on the card message `card_id` (in the 1:1 chat): a message with
        no text whose `value` is the action's data merged with the card's input values."""
        activity = self._base("message", user, self.personal_conversation(user))
        return activity | {
            "replyToId": card_id,
            "value": {**data, **(inputs or {})},
            "entities": [self.client_info()],
            "channelData": {
                "tenant": {"id": self.tenant_id},
                "source": {"name": "message"},
                "legacy": {"replyToId": card_id},
            },
        }

    def card_execute(
        self, verb: str, data: dict[str, Any], *, card_id: str, user: TeamsUser = ANN
    ) -> dict[str, Any]:
        """An Action.Execute press (Universal Actions): an `adaptiveCard/action` invoke, which
        must be answered in the HTTP response."""
        activity = self._base("invoke", user, self.personal_conversation(user))
        return activity | {
            "name": "adaptiveCard/action",
            "replyToId": card_id,
            "value": {
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": "manual",
            },
            "entities": [self.client_info()],
            "channelData": {
                "tenant": {"id": self.tenant_id},
                "source": {"name": "message"},
                "legacy": {"replyToId": card_id},
            },
        }

    async def post(
        self, activity: dict[str, Any], *, authorization: Any = _DEFAULT
    ) -> tuple[int, str]:
        """POST the activity; `authorization` overrides the header (None: send none)."""
        if authorization is _DEFAULT:
            authorization = (
                f"Bearer {self.connector.channel_token(audience=self.app_id)}"
                if self.signed
                else None
            )
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if authorization is not None:
            headers["Authorization"] = authorization
        async with self.session.post(
            self.endpoint, data=json.dumps(activity), headers=headers
        ) as response:
            return response.status, await response.text()
