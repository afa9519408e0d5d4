"""The bare Bolt app the chat answers are compared with, served in a process of its own.

``python -m bench.scale.bare_serve PORT SLACK_API_URL``: /slack/events and /healthz on
127.0.0.1:PORT, answering through the fake Slack at SLACK_API_URL, until SIGTERM.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.scale.slack import BOT_TOKEN, SIGNING_SECRET
from bot.channels.slack_http import events_endpoint
from bot.channels.slack_replies import ResponseUrls, kept_connections, web_client


def bare_app(slack_api_url: str) -> web.Application:
    """A Bolt app that acks and answers a constant: the floor a chat answer can reach. Its
    clients are accountbot's: the Web API's (its session kept) and the response_url one."""
    app = AsyncApp(
        name="bare",
        client=web_client(BOT_TOKEN, slack_api_url, 10),
        signing_secret=SIGNING_SECRET,
        process_before_response=False,
    )
    urls = ResponseUrls(extra_hosts=["127.0.0.1"])

    @app.command("/account")
    async def answer(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        await urls.post(command["response_url"], {"response_type": "ephemeral", "text": "Hi"})

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        view = {
            "type": "home",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
        }
        await client.views_publish(user_id=event["user"], view=view)

    web_app = web.Application()
    endpoint = events_endpoint(app, SIGNING_SECRET, command_failed={"text": "Sorry"})
    web_app.router.add_post("/slack/events", endpoint)

    async def clients(_: web.Application) -> AsyncIterator[None]:
        async with kept_connections(app.client):  # as accountbot's: one session, kept
            yield
        await urls.close()

    web_app.cleanup_ctx.append(clients)
    return web_app


async def _healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    port, api_url = int(sys.argv[1]), sys.argv[2]
    app = bare_app(api_url)
    app.router.add_get("/healthz", _healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
