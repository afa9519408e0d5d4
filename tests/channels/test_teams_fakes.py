"""The Teams fakes speak what botbuilder speaks: a bare botbuilder bot, not ours, is the client.

A recording TeamsActivityHandler runs behind a CloudAdapter on loopback; TeamsSender posts to
it and FakeConnector answers its calls. If these pass, a test of our Teams surface built on the
fakes exercises the real SDK paths: parsing, mention removal, reply threading, card updates,
proactive conversations, error responses and (with an app id) token validation and signing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.core.teams.teams_activity_extensions import teams_get_channel_data
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)

from tests.channels.conftest import start_server
from tests.channels.teams_fakes import (
    ANN,
    APP_ID,
    CHANNEL_ID,
    FIRST_ACTIVITY_ID,
    TEAM_ID,
    TENANT_ID,
    FakeConnector,
    LoopbackCredentialsFactory,
    TeamsSender,
)


class RecordingBot(TeamsActivityHandler):  # type: ignore[misc]
    """Answers every message with its text and then edits that answer, recording what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.errors: list[Exception] = []

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = TurnContext.remove_recipient_mention(activity) if activity.text else None
        self.seen.append(("message", text.strip() if text else activity.value))
        sent = await turn_context.send_activity(MessageFactory.text(f"you said {text}"))
        edit = MessageFactory.text("edited")
        edit.id = sent.id
        await turn_context.update_activity(edit)

    async def on_teams_members_added(
        self, members: Any, team_info: Any, turn_context: TurnContext
    ) -> None:
        self.seen.append(("added", [(m.id, m.name) for m in members], team_info.id))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        self.seen.append(("installed", turn_context.activity.conversation.conversation_type))

    async def on_adaptive_card_invoke(self, turn_context: TurnContext, invoke_value: Any) -> Any:
        self.seen.append(("execute", invoke_value.action["verb"]))
        card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=card
        )


@dataclass
class Config:
    APP_ID: str = ""
    APP_PASSWORD: str = ""
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str = ""
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None


@dataclass
class World:
    connector: FakeConnector
    send: TeamsSender
    bot: RecordingBot
    adapter: CloudAdapter


async def _world(signed: bool) -> AsyncIterator[World]:
    connector = FakeConnector()
    await connector.start()
    if signed:
        config = Config(
            APP_ID,
            "secret",
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=connector.openid_metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER="https://api.botframework.com",
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE="https://api.botframework.com",
            TO_CHANNEL_FROM_BOT_LOGIN_URL="https://login.microsoftonline.com/botframework.com",
        )
        auth = ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=LoopbackCredentialsFactory(connector)
        )
    else:
        auth = ConfigurationBotFrameworkAuthentication(Config())
    adapter = CloudAdapter(auth)
    bot = RecordingBot()

    async def on_error(_: TurnContext, error: Exception) -> None:
        bot.errors.append(error)

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.Response:
        # process_activity, not process: CloudAdapter.process serialises invoke bodies twice.
        activity = Activity().deserialize(await request.json())
        try:
            answer = await adapter.process_activity(
                request.headers.get("Authorization", ""), activity, bot.on_turn
            )
        except PermissionError:
            return web.json_response({"error": "unauthorized"}, status=401)
        if answer is None:
            return web.Response(status=200)
        return web.json_response(answer.body, status=answer.status)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner, base_url = await start_server(app)
    async with aiohttp.ClientSession() as http:
        sender = TeamsSender(f"{base_url}/api/messages", connector, http, signed=signed)
        try:
            yield World(connector, sender, bot, adapter)
        finally:
            await runner.cleanup()
            await connector.stop()


@pytest_asyncio.fixture
async def teams() -> AsyncIterator[World]:
    async for each in _world(signed=False):
        yield each


@pytest_asyncio.fixture
async def signed_teams() -> AsyncIterator[World]:
    async for each in _world(signed=True):
        yield each


async def test_a_channel_mention_is_answered_in_its_thread_and_the_answer_edited(
    teams: World,
) -> None:
    activity = teams.send.channel_message("status Acme & Co", thread_id="1772636000000")
    status, _ = await teams.send.post(activity)
    assert status == 200
    assert teams.bot.seen == [("message", "status Acme & Co")]
    reply, edit = teams.connector.calls_to("reply", "update")
    assert reply.conversation_id == f"{CHANNEL_ID};messageid=1772636000000"
    assert reply.activity_id == activity["id"] and reply.body["replyToId"] == activity["id"]
    assert reply.body["text"] == "you said  status Acme & Co" and reply.authorization is None
    assert edit.method == "PUT" and edit.body["text"] == "edited"
    assert edit.activity_id == str(FIRST_ACTIVITY_ID + 1)  # the id the reply was given


async def test_personal_and_group_chat_messages_reach_the_bot_as_teams_sends_them(
    teams: World,
) -> None:
    for activity in (teams.send.personal_message("help"), teams.send.group_chat_message("kpi")):
        status, _ = await teams.send.post(activity)
        assert status == 200
    assert teams.bot.seen == [("message", "help"), ("message", "kpi")]
    personal, group = [c.conversation_id for c in teams.connector.calls_to("reply")]
    assert personal is not None and personal.startswith("a:1")
    assert group is not None and group.endswith("@thread.v2")


async def test_card_submit_and_execute_arrive_where_botbuilder_routes_them(teams: World) -> None:
    submit = teams.send.card_submit(
        {"cmd": "status Acme"}, card_id="1772636400001", inputs={"note": "hi"}
    )
    assert (await teams.send.post(submit))[0] == 200
    status, body = await teams.send.post(
        teams.send.card_execute("status", {"cmd": "status Acme"}, card_id="1772636400001")
    )
    assert status == 200 and json.loads(body)["type"] == "application/vnd.microsoft.card.adaptive"
    assert teams.bot.seen == [
        ("message", {"cmd": "status Acme", "note": "hi"}),
        ("execute", "status"),
    ]


async def test_installs_and_new_members_carry_team_and_member_lookups(teams: World) -> None:
    teams.connector.members[ANN.id] = ANN.account() | {"email": "ann@example.com"}
    for activity in (
        teams.send.installation_update(scope="personal"),
        teams.send.members_added(bot=True),
        teams.send.members_added(bot=False),
    ):
        assert (await teams.send.post(activity))[0] == 200
    assert teams.bot.seen == [
        ("installed", "personal"),
        ("added", [(f"28:{APP_ID}", None)], TEAM_ID),
        ("added", [(ANN.id, "Ann Lee")], TEAM_ID),
    ]
    lookup = teams.connector.calls_to("member")[0]
    assert (lookup.conversation_id, lookup.params["member"]) == (TEAM_ID, ANN.id)
    data = teams_get_channel_data(Activity().deserialize(teams.send.members_added(bot=True)))
    assert data.tenant.id == TENANT_ID and data.team.aad_group_id is not None


async def test_a_failing_route_answers_like_the_service_then_recovers(teams: World) -> None:
    teams.connector.fail("reply", 429, retry_after=3)
    await teams.send.post(teams.send.personal_message("status"))
    [error] = teams.bot.errors
    assert isinstance(error, ErrorResponseException)
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "3"
    assert error.error.error.code == "TooManyRequests"
    teams.connector.fail("reply", 403, times=2)
    await teams.send.post(teams.send.personal_message("status"))
    await teams.send.post(teams.send.personal_message("status"))
    await teams.send.post(teams.send.personal_message("status"))
    assert [e.response.status_code for e in teams.bot.errors] == [429, 403, 403]
    assert len(teams.connector.calls_to("update")) == 1  # only the last answer went through


async def test_a_proactive_one_to_one_conversation_is_created_and_written_to(teams: World) -> None:
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=f"28:{APP_ID}"),
        members=[ChannelAccount(id=ANN.id)],
        tenant_id=TENANT_ID,
        channel_data={"tenant": {"id": TENANT_ID}},
    )

    async def greet(context: TurnContext) -> None:
        await context.send_activity("Your renewals this week")

    await teams.adapter.create_conversation(
        "", greet, parameters, "msteams", teams.connector.service_url
    )
    create, send = teams.connector.calls_to("create", "reply", "send")
    assert create.body["members"] == [{"id": ANN.id}] and create.body["tenantID"] == TENANT_ID
    assert send.conversation_id is not None and send.conversation_id.startswith("a:1")
    assert send.body["text"] == "Your renewals this week"


async def test_signed_requests_validate_against_the_fake_keys_and_answers_carry_a_token(
    signed_teams: World,
) -> None:
    status, _ = await signed_teams.send.post(signed_teams.send.personal_message("status"))
    assert status == 200
    reply = signed_teams.connector.calls_to("reply")[0]
    assert reply.authorization is not None and reply.authorization.startswith(
        "Bearer fake-bot-token-"
    )
    token_call = signed_teams.connector.calls_to("token")[0]
    assert token_call.body["scope"] == "https://api.botframework.com/.default"


@pytest.mark.parametrize(
    "token_for",
    [
        {"audience": "another-bot"},
        {"issuer": "https://evil.example"},
        {"service_url": "https://elsewhere/"},
    ],
)
async def test_tokens_for_another_bot_issuer_or_service_are_refused(
    signed_teams: World, token_for: dict[str, str]
) -> None:
    token = signed_teams.connector.channel_token(**token_for)
    status, _ = await signed_teams.send.post(
        signed_teams.send.personal_message("status"), authorization=f"Bearer {token}"
    )
    assert status == 401 and signed_teams.bot.seen == []
