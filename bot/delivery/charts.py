"""The digest's chart on its way out: attached to the Slack post, linked from the Teams card.

The PNG is drawn when the digest is queued and kept in the outbox row's payload (base64), so
a retry sends the same picture and the sender needs no database work beyond the row. Teams
shows images by URL only (a `data:` URI of the chart would not fit in a card's 28 KB with the
rest of the digest), so with PUBLIC_URL set the card links to
``PUBLIC_URL/charts/<team id>-<week>-<random>.png``, served by accountbot from the Teams row
itself: the random part is compared in constant time, so the link cannot be guessed from the
team and week. Without PUBLIC_URL the card shows the chart in words.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.errors import InvalidInput
from bot.services.container import Services
from bot.services.kpis.weeks import IsoWeek
from storage.models import OutboxMessage

CHART_ROUTE = "/charts/{name}"
_NAME = re.compile(r"(\d{1,12})-(\d{4}-W\d{2})-([A-Za-z0-9_-]{32})\.png")


@dataclass(frozen=True)
class Chart:
    """The chart of one digest: the PNG, its file name and title, its text alternative."""

    png: bytes
    filename: str
    title: str
    alt: str

    def slack_fields(self) -> dict[str, Any]:
        """What the Slack row carries besides the message (see SlackDelivery)."""
        return {
            "chart": {
                "png": base64.b64encode(self.png).decode(),
                "filename": self.filename,
                "title": self.title,
                "alt": self.alt,
            }
        }


def digest_key(team_id: int, week: IsoWeek, platform: str) -> str:
    """The outbox key of a team's digest post for one week on one platform."""
    return f"digest:{team_id}:{week}:{platform}"


def new_link(public_url: str, team_id: int, week: IsoWeek) -> tuple[str, str]:
    """(the chart's URL, the secret part the Teams row keeps)."""
    secret = secrets.token_urlsafe(24)  # 32 characters
    return f"{public_url}/charts/{team_id}-{week}-{secret}.png", secret


def teams_fields(chart: Chart, secret: str) -> dict[str, Any]:
    return {"chart_png": base64.b64encode(chart.png).decode(), "chart_token": secret}


def not_found() -> web.Response:
    return web.Response(status=404, text="No such chart.")


async def _png(services: Services, name: str) -> bytes | None:
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    team_id, week, secret = int(match[1]), match[2], match[3]
    try:
        key = digest_key(team_id, IsoWeek.parse(week), "teams")
    except InvalidInput:
        return None
    async with services.db.read_only() as session:
        payload = await session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.idempotency_key == key)
        )
    if not isinstance(payload, dict):
        return None
    token, png = payload.get("chart_token"), payload.get("chart_png")
    if not isinstance(token, str) or not isinstance(png, str):
        return None
    return base64.b64decode(png) if secrets.compare_digest(token, secret) else None


def chart_endpoint(services: Services) -> Any:
    """GET /charts/<name>.png: the chart a Teams digest card links to; 404 for anything else."""

    async def serve(request: web.Request) -> web.StreamResponse:
        try:
            png = await _png(services, request.match_info["name"])
        except Exception:  # an unreachable database: nothing to show, nothing to leak
            return web.Response(status=503, text="Try again later.")
        if png is None:
            return not_found()
        return web.Response(
            body=png,
            content_type="image/png",
            headers={
                "Cache-Control": "private, max-age=604800",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return serve
