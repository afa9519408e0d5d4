"""Slack payloads built from handler replies: messages, the recap modal, its submission.

Templates do the layout; this module keeps every payload inside Block Kit's limits even when
the data is larger than a template expected, so Slack never rejects an answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.command_syntax import SURFACE_COMMANDS
from bot.handlers.base import Reply
from bot.handlers.meetings import RecapFields
from bot.rendering import Renderer, plain, truncate_text

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FALLBACK_TEXT = 3000
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ELEMENTS = 25
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ERROR_TEXT = 150

RECAP_CALLBACK_ID = "recap"
RECAP_INPUTS = ("summary", "next_steps", "upsell_spotted", "meeting_when")
# Commands whose answer replaces the message the button was on (the checklist updates in place).
REPLACING_COMMANDS = frozenset({"tick", "untick", "advance", "stage"})


def typed_text(text: object) -> str:
    """What the person typed: Slack sends `&`, `<` and `>` in slash command text as entities."""
    raw = "" if text is None else str(text)
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message(renderer: Renderer, reply: Reply) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` for a reply, within Slack's limits."""
    rendered = renderer.render_json(reply.template, reply.data)
    blocks = fit_blocks(list(rendered.get("blocks", [])), MAX_MESSAGE_BLOCKS)
    text = truncate_text(plain(rendered.get("text")) or "accountbot", MAX_FALLBACK_TEXT)
    return {"text": text, "blocks": blocks}


def view(renderer: Renderer, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A modal or Home view rendered from a template, within Slack's limits."""
    rendered = renderer.render_json(name, data)
    rendered.pop("text", None)  # a view's templates may carry a message's fallback text
    rendered["blocks"] = fit_blocks(list(rendered.get("blocks", [])), MAX_VIEW_BLOCKS)
    return rendered


def home_from_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A message's blocks shown on the Home tab (for people the bot does not know)."""
    return {"type": "home", "blocks": fit_blocks(list(payload["blocks"]), MAX_VIEW_BLOCKS)}


def fit_blocks(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Clip texts, labels and element counts, and cut the list to `limit` blocks.

    Control characters (bidi overrides, escapes) are dropped from every text on the way.
    """
    fitted = [_fit_block(_without_control_characters(block)) for block in blocks]
    if len(fitted) <= limit:
        return fitted
    note = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "…and more: narrow it down to see the rest."}],
    }
    return [*fitted[: limit - 1], note]


def _without_control_characters(node: Any) -> Any:
    if isinstance(node, dict):
        cleaned = {key: _without_control_characters(value) for key, value in node.items()}
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            cleaned["text"] = plain(node["text"])
        return cleaned
    if isinstance(node, list):
        return [_without_control_characters(value) for value in node]
    return node


def _fit_block(block: dict[str, Any]) -> dict[str, Any]:
    block = dict(block)
    if block.get("type") == "section":
        if isinstance(block.get("text"), dict):
            block["text"] = _fit_text(block["text"], MAX_SECTION_TEXT)
        if isinstance(block.get("fields"), list):
            fields = block["fields"][:MAX_SECTION_FIELDS]
            block["fields"] = [_fit_text(f, MAX_FIELD_TEXT) for f in fields]
        if isinstance(block.get("accessory"), dict):
            block["accessory"] = _fit_element(block["accessory"])
    elif block.get("type") == "actions":
        block["elements"] = [_fit_element(e) for e in block["elements"][:MAX_ACTION_ELEMENTS]]
    elif block.get("type") == "header" and isinstance(block.get("text"), dict):
        block["text"] = _fit_text(block["text"], 150)
    elif block.get("type") == "context":
        block["elements"] = [_fit_text(e, MAX_SECTION_TEXT) for e in block["elements"][:10]]
    return block


def _fit_text(obj: dict[str, Any], limit: int) -> dict[str, Any]:
    text = obj.get("text")
    if not isinstance(text, str) or len(text) <= limit:
        return obj
    return {**obj, "text": _clip(text, limit, mrkdwn=obj.get("type") == "mrkdwn")}


def _clip(text: str, limit: int, *, mrkdwn: bool) -> str:
    clipped = truncate_text(text, limit)
    if mrkdwn:
        # Never leave half an escape (`&am…`) behind; Slack would show it raw.
        amp = clipped.rfind("&", max(0, len(clipped) - 6))
        if amp != -1 and ";" not in clipped[amp:]:
            clipped = clipped[:amp] + "…"
    return clipped


def _fit_element(element: dict[str, Any]) -> dict[str, Any]:
    if element.get("type") != "button":
        return element
    element = dict(element)
    label = element.get("text")
    if isinstance(label, dict):
        element["text"] = _fit_text(label, MAX_BUTTON_LABEL)
    value = element.get("value")
    if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
        element["value"] = value[:MAX_BUTTON_VALUE]
    return element


@dataclass(frozen=True)
class RecapOrigin:
    """Where the recap modal came from, so the confirmation lands in the same place."""

    account_id: int
    response_url: str | None = None
    meeting_id: int | None = None  # the meeting the form is for (None: it asks when)

    def encode(self) -> str:
        return json.dumps(
            {
                "account_id": self.account_id,
                "response_url": self.response_url,
                "meeting_id": self.meeting_id,
            }
        )

    @classmethod
    def decode(cls, private_metadata: str) -> RecapOrigin:
        data = json.loads(private_metadata)
        response_url = data.get("response_url")
        meeting_id = data.get("meeting_id")
        return cls(
            account_id=int(data["account_id"]),
            response_url=response_url if isinstance(response_url, str) else None,
            meeting_id=meeting_id if isinstance(meeting_id, int) else None,
        )


def recap_fields(state_values: Mapping[str, Any]) -> RecapFields:
    """The recap modal's inputs (block id = action id = field name) as RecapFields."""
    values: dict[str, str | None] = {}
    for name in RECAP_INPUTS:
        element = (state_values.get(name) or {}).get(name) or {}
        value = element.get("value")
        values[name] = value if isinstance(value, str) else None
    return RecapFields.from_form(values)


def form_error(text: str) -> str:
    """A modal field error: plain text (so no `code` marks), shown briefly under the input."""
    plain_text = SURFACE_COMMANDS["slack"].render(text, formatted=False).replace("`", "")
    return truncate_text(plain_text, MAX_ERROR_TEXT)


def form_errors(problems: Mapping[str, str]) -> dict[str, str]:
    """`response_action: errors` for a modal: each input block's `form_error`."""
    return {block: form_error(text) for block, text in problems.items()}
