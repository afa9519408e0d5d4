"""Helpers for the Slack channel tests: send, wait for the answer, read what the user sees."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import Meeting
from tests.channels.block_kit import check_message, check_no_markup_injection, visible_texts
from tests.channels.conftest import SlackWorld
from tests.channels.slack_book import ALICE
from tests.channels.slack_fakes import Call


def seen(message: dict[str, Any]) -> str:
    """Everything the user reads in a message, as one string."""
    return "\n".join(visible_texts(message))


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Button label -> value (the command the button runs)."""
    found = {}
    for block in message["blocks"]:
        elements = list(block.get("elements", [])) if block["type"] == "actions" else []
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button":
                found[element["text"]["text"]] = element["value"]
    return found


async def ask(world: SlackWorld, text: str, user: str = ALICE) -> dict[str, Any]:
    """Type `/account text`; the (checked) message posted to its response_url."""
    message = await world.slack.response(await world.send.command(text, user=user))
    check_message(message)
    check_no_markup_injection(message)
    return message


async def click(world: SlackWorld, value: str, user: str = ALICE) -> dict[str, Any]:
    """Press a button running `value`; the (checked) message posted to its response_url."""
    message = await world.slack.response(await world.send.click(value, user=user))
    check_message(message)
    check_no_markup_injection(message)
    return message


async def form_opened(world: SlackWorld) -> dict[str, Any]:
    """The view that views.open showed for the latest command or click (its trigger_id)."""
    trigger_id = world.send.last_trigger_id
    opened = await world.slack.wait_for(
        lambda: [
            c for c in world.slack.calls_to("views.open") if c.body["trigger_id"] == trigger_id
        ]
    )
    return world.slack.view_arg(opened[0])


def posted_message(call: Call) -> dict[str, Any]:
    """The (checked) message of a chat.postMessage call; blocks arrive JSON-encoded."""
    blocks = call.body["blocks"]
    message = {
        "text": call.body["text"],
        "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
    }
    check_message(message)
    check_no_markup_injection(message)
    return message


async def latest_unrecapped(db: Database, account_id: int) -> int:
    """The id of the account's latest meeting without a recap (the one `recap` asks about)."""
    async with db.read_only() as session:
        found = await session.scalar(
            select(Meeting.id)
            .where(Meeting.account_id == account_id, Meeting.recap_logged_at.is_(None))
            .order_by(Meeting.occurred_at.desc())
            .limit(1)
        )
    assert found is not None
    return found


async def recaps_of(db: Database, *meeting_ids: int) -> dict[int, str | None]:
    async with db.read_only() as session:
        meetings = await session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids)))
        return {meeting.id: meeting.recap for meeting in meetings}
