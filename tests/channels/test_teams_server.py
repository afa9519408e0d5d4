"""The Teams edge: who may post to /api/messages, starting a Teams-only accountbot, installs,
and linking a team to its channel."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import build_app
from bot.cli import app as cli
from bot.errors import ConfigError
from storage.db import Database
from storage.models import ConversationRef, Team
from tests.channels.conftest import NOW, start_server
from tests.channels.slack_book import seed_book
from tests.channels.teams_fakes import (
    APP_ID,
    CHANNEL_ID,
    TEAM_ID,
    FakeConnector,
    LoopbackCredentialsFactory,
    TeamsSender,
)
from tests.channels.teams_helpers import seen
from tests.channels.teams_world import ALICE_T, LENA_T, TeamsWorld, give_teams_ids, teams_settings
from tests.support.templates import SqliteTemplate


@dataclass
class Signed:
    connector: FakeConnector
    send: TeamsSender
    base_url: str
    credentials: LoopbackCredentialsFactory


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def signed(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: SqliteTemplate
) -> AsyncIterator[Signed]:
    """accountbot with a MicrosoftAppId: every request needs a Bot Framework token."""
    url = sqlite_template.copy(tmp_path_factory.mktemp("signed") / "accountbot.db")
    db = Database(url)
    async with db.unit_of_work() as session:
        await seed_book(session, now=NOW)
    await give_teams_ids(db)
    await db.dispose()
    connector = FakeConnector()
    await connector.start()
    settings = teams_settings(
        url,
        teams_allow_unauthenticated=False,
        microsoft_app_id=APP_ID,
        microsoft_app_password="test-secret",
        teams_openid_metadata_url=connector.openid_metadata_url,
    )
    credentials = LoopbackCredentialsFactory(connector)
    app = build_app(settings, clock=lambda: NOW, teams_credentials=credentials)
    runner, base_url = await start_server(app.web)
    http = aiohttp.ClientSession()
    try:
        sender = TeamsSender(f"{base_url}/api/messages", connector, http)
        yield Signed(connector, sender, base_url, credentials)
    finally:
        await http.close()
        await runner.cleanup()
        await connector.stop()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "Bearer garbage",
        "Bearer a.b.c",
        "wrong-app",
        "wrong-issuer",
        "wrong-service-url",
        "expired",
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_a_request_without_a_valid_bot_framework_token_is_401_and_reaches_nothing(
    signed: Signed, authorization: str | None
) -> None:
    tokens = {
        "wrong-app": signed.connector.channel_token(audience="another-app"),
        "wrong-issuer": signed.connector.channel_token(issuer="https://evil.example"),
        "wrong-service-url": signed.connector.channel_token(service_url="https://evil.example/"),
        "expired": signed.connector.channel_token(expires_in=-3600),
    }
    header = f"Bearer {tokens[authorization]}" if authorization in tokens else authorization
    signed.connector.reset()
    status, _ = await signed.send.post(
        signed.send.personal_message("status acme robotics", ALICE_T), authorization=header
    )
    assert status == 401
    answered = [c for c in signed.connector.calls if c.kind not in ("openid", "keys")]
    assert answered == []  # no answer, no roster lookup: no handler ran


@pytest.mark.asyncio(loop_scope="module")
async def test_a_request_signed_by_the_bot_framework_is_answered_with_the_bots_own_token(
    signed: Signed,
) -> None:
    signed.connector.reset()
    status, _ = await signed.send.post(
        signed.send.personal_message("status acme robotics", ALICE_T),
        authorization=f"Bearer {signed.connector.channel_token()}",
    )
    assert status in (200, 201)
    answer = await signed.connector.activity()
    assert "Acme Robotics" in seen(answer)
    reply = signed.connector.calls_to("send", "reply")[-1]
    assert reply.authorization is not None and reply.authorization.startswith(
        "Bearer fake-bot-token"
    )


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bots_token_is_asked_for_once_and_never_on_the_event_loop(
    signed: Signed,
) -> None:
    """Asking Microsoft for a token blocks; on the event loop it would stall every request."""
    for text in ("status acme robotics", "help", "list mine"):
        signed.connector.reset()
        status, _ = await signed.send.post(
            signed.send.personal_message(text, ALICE_T),
            authorization=f"Bearer {signed.connector.channel_token()}",
        )
        assert status in (200, 201)
        await signed.connector.activity()
    assert len(signed.credentials.fetched_on) == 1  # kept for its hour, not asked per answer
    assert threading.get_ident() not in signed.credentials.fetched_on


@pytest.mark.asyncio(loop_scope="module")
async def test_malformed_bodies_are_refused_without_a_server_error(teams_world: TeamsWorld) -> None:
    url = f"{teams_world.base_url}/api/messages"
    for body, content_type, status in (
        ("{broken", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('{"text": "no type"}', "application/json", 400),
        ("type=message", "application/x-www-form-urlencoded", 415),
    ):
        async with teams_world.http.post(
            url, data=body, headers={"Content-Type": content_type}
        ) as response:
            assert response.status == status, body


@pytest.mark.asyncio(loop_scope="module")
async def test_teams_only_accountbot_starts_and_health_lists_its_surfaces(
    teams_world: TeamsWorld,
) -> None:
    assert teams_world.app.surfaces == ["teams"] and teams_world.app.slack is None
    async with teams_world.http.get(f"{teams_world.base_url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["surfaces"] == ["teams"]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"teams_allow_unauthenticated": False}, None),
        ({"microsoft_app_id": APP_ID}, "MicrosoftAppPassword"),
        (
            {
                "microsoft_app_id": APP_ID,
                "microsoft_app_password": "x",
                "microsoft_app_type": "SingleTenant",
            },
            "MicrosoftAppTenantId",
        ),
    ],
)
def test_teams_settings_that_cannot_work_are_named(
    overrides: dict[str, object], named: str | None
) -> None:
    settings = teams_settings(
        "sqlite:///unused.db", **{"teams_allow_unauthenticated": False, **overrides}
    )
    if named is None:  # nothing configured: no Teams surface at all
        assert build_app(settings).surfaces == []
        return
    with pytest.raises(ConfigError, match=named):
        build_app(settings)


def test_serve_with_no_surface_configured_names_the_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "MicrosoftAppId",
        "TEAMS_ALLOW_UNAUTHENTICATED",
    ):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "3999"])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output and "MicrosoftAppId" in result.output


@pytest.mark.asyncio(loop_scope="module")
async def test_installing_in_a_personal_chat_says_hello_and_stores_the_chat(
    teams_world: TeamsWorld,
) -> None:
    hello = await teams_world.say(
        teams_world.send.installation_update(scope="personal", user=LENA_T)
    )
    assert "Hi Lena Lead, here is what I can do" in seen(hello)
    async with teams_world.db.read_only() as session:
        refs = (
            await session.scalars(
                select(ConversationRef).where(ConversationRef.scope == "personal")
            )
        ).all()
    assert any(r.reference["user"]["aadObjectId"] == LENA_T.aad_object_id for r in refs)


@pytest.mark.asyncio(loop_scope="module")
async def test_installing_in_a_team_stores_its_channel_for_a_lead_to_link(
    teams_world: TeamsWorld,
) -> None:
    status, _ = await teams_world.send.post(
        teams_world.send.installation_update(scope="team", user=LENA_T)
    )
    assert status in (200, 201)
    async with teams_world.db.read_only() as session:
        stored = (
            await session.scalars(
                select(ConversationRef).where(ConversationRef.conversation_id == TEAM_ID)
            )
        ).one()
    assert (stored.scope, stored.team_id) == ("channel", None)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_lead_links_the_team_to_the_channel_the_command_is_typed_in(
    teams_world: TeamsWorld,
) -> None:
    refused = seen(
        await teams_world.say(teams_world.send.channel_message("link-team Atlas", ALICE_T))
    )
    assert "Only the team's lead, heads and ops" in refused
    private = seen(
        await teams_world.say(teams_world.send.personal_message("link-team Atlas", LENA_T))
    )
    assert "Type this in the channel" in private
    linked = seen(
        await teams_world.say(teams_world.send.channel_message("link-team Atlas", LENA_T))
    )
    assert "This channel now gets the weekly digest of Atlas" in linked
    async with teams_world.db.read_only() as session:
        team = (await session.scalars(select(Team).where(Team.name == "Atlas"))).one()
        stored = (
            await session.scalars(select(ConversationRef).where(ConversationRef.team_id == team.id))
        ).one()
    assert stored.conversation_id == CHANNEL_ID  # the channel, not the thread
    assert json.dumps(stored.reference).count(";messageid=") == 0
