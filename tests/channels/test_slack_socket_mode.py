"""`serve --socket-mode`: the same app over a Socket Mode connection, no public URL needed."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from bot.app import build_app
from bot.errors import ConfigError
from tests.channels.conftest import NOW, slack_settings, start_server
from tests.channels.helpers import seen
from tests.channels.slack_fakes import FakeSlack

APP_TOKEN = "xapp-1-test"


async def test_socket_mode_answers_a_slash_command_without_an_http_endpoint(
    migrated_sqlite_url: str,
) -> None:
    slack = FakeSlack()
    await slack.start()
    settings = slack_settings(
        migrated_sqlite_url, slack.api_url, slack_signing_secret=None, slack_app_token=APP_TOKEN
    )
    app = build_app(settings, clock=lambda: NOW, socket_mode=True)
    runner, base_url = await start_server(app.web)  # connects to Slack on start-up
    try:
        opened = slack.calls_to("apps.connections.open")
        assert opened and opened[0].authorization == f"Bearer {APP_TOKEN}"
        response_url = slack.new_response_url()
        await slack.push(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/account",
                    "text": "help",
                    "user_id": "UNOBODY1",
                    "team_id": "T0000001",
                    "channel_id": "C0000001",
                    "response_url": response_url,
                    "trigger_id": "t-1",
                },
            }
        )
        await slack.wait_for(
            lambda: any(a.get("envelope_id") == "env-1" for a in slack.socket_acks)
        )
        answer = await slack.response(response_url)
        assert "I don't know you yet" in seen(answer)
        async with aiohttp.ClientSession() as http, http.post(f"{base_url}/slack/events") as r:
            assert r.status == 404  # no HTTP endpoint for Slack in Socket Mode
    finally:
        await runner.cleanup()
        await slack.stop()


async def test_socket_mode_with_a_refused_app_token_stops_start_up(sqlite_url: str) -> None:
    slack = FakeSlack()
    await slack.start()
    slack.failing_methods["apps.connections.open"] = "invalid_auth"
    settings = slack_settings(sqlite_url, slack.api_url, slack_app_token=APP_TOKEN)
    app = build_app(settings, clock=lambda: NOW, socket_mode=True)
    runner = web.AppRunner(app.web)
    try:
        with pytest.raises(ConfigError, match=r"SLACK_APP_TOKEN.*invalid_auth"):
            await runner.setup()
    finally:
        await runner.cleanup()
        await slack.stop()
