"""The bare Bolt app (`bench.scale.chat.bare_app`) served in a process of its own.

``python -m bench.scale.bare_serve PORT SLACK_API_URL``: /slack/events and /healthz on
127.0.0.1:PORT, answering through the fake Slack at SLACK_API_URL, until SIGTERM.
"""

from __future__ import annotations

import sys

from aiohttp import web

from bench.scale.chat import bare_app


async def _healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    port, api_url = int(sys.argv[1]), sys.argv[2]
    app = bare_app(api_url)
    app.router.add_get("/healthz", _healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
