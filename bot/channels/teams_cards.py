"""Teams messages built from handler replies: an Adaptive Card (1.5) and a text summary.

A Teams template renders `{"text": summary, "body": [elements], "actions": [actions]}`; this
module wraps it into a card, keeps the card within Teams' size limit (about 28 KB: long answers
lose their last elements for a note, as Slack's lose blocks) and gives every message the text
summary notifications and screen readers use. No botbuilder import: the surface hands these
plain dicts to the SDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.handlers.base import Reply
from bot.rendering import Renderer, plain, truncate_text

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
MAX_CARD_BYTES = 27 * 1024  # Teams refuses about 28 KB; keep room for the envelope
MAX_SUMMARY = 1000
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TOO_LONG_NOTE = "…and more: narrow it down to see the rest."


@dataclass(frozen=True)
class CardMessage:
    """One Teams message: a card and its summary; ``replaces`` names the message it updates."""

    text: str
    card: dict[str, Any]
    replaces: str | None = None

    def attachment(self) -> dict[str, Any]:
        return {"contentType": CARD_CONTENT_TYPE, "content": self.card}


def card_message(renderer: Renderer, reply: Reply, *, replaces: str | None = None) -> CardMessage:
    """The reply as a Teams message."""
    return from_template(renderer, reply.template, reply.data, replaces=replaces)


def from_template(
    renderer: Renderer,
    name: str,
    data: Mapping[str, Any],
    *,
    replaces: str | None = None,
) -> CardMessage:
    rendered = renderer.render_json(name, data)
    text = renderer.commands.render(plain(rendered.get("text")), formatted=False)
    summary = truncate_text(text or "accountbot", MAX_SUMMARY)
    card = fit_card(
        {
            "type": "AdaptiveCard",
            "$schema": CARD_SCHEMA,
            "version": CARD_VERSION,
            "fallbackText": summary,
            "body": list(rendered.get("body", [])),
            **({"actions": rendered["actions"]} if rendered.get("actions") else {}),
        }
    )
    return CardMessage(summary, card, replaces)


def card_bytes(card: Mapping[str, Any]) -> int:
    """The size as the connector sends it (json.dumps defaults: non-ASCII escaped)."""
    return len(json.dumps(card).encode())


def fit_card(card: dict[str, Any]) -> dict[str, Any]:
    """Drop body elements from the end, for a note, until the card is small enough."""
    if card_bytes(card) <= MAX_CARD_BYTES:
        return card
    note = {"type": "TextBlock", "text": TOO_LONG_NOTE, "wrap": True, "isSubtle": True}
    body = list(card["body"])
    while body and card_bytes({**card, "body": [*body, note]}) > MAX_CARD_BYTES:
        body.pop()
    fitted = {**card, "body": [*body, note]}
    if card_bytes(fitted) > MAX_CARD_BYTES:  # the actions alone are too big: keep the first few
        fitted["actions"] = list(fitted.get("actions", []))[:5]
    return fitted
