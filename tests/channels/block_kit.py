"""Block Kit checks for tests: slack_sdk's own validation plus the limits it does not check."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
LIMITS = {
    "section_text": 3000,
    "section_field": 2000,
    "section_fields": 10,
    "header": 150,
    "actions_elements": 25,
    "context_elements": 10,
    "button_label": 75,
    "button_value": 2000,
    "action_id": 255,
    "modal_title": 24,
    "fallback_text": 40000,
}
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert 1 <= len(blocks) <= max_blocks, f"{len(blocks)} blocks (at most {max_blocks})"
    parsed = Block.parse_all(blocks)
    for raw, block in zip(blocks, parsed, strict=True):
        assert block is not None and type(block) is not Block, f"unknown block {raw}"
        block.to_dict()  # validates the block and, recursively, its elements
        _check_limits(raw)
    action_ids = [e["action_id"] for e in _elements(blocks) if "action_id" in e]
    duplicates = [a for a, n in Counter(action_ids).items() if n > 1]
    assert not duplicates, f"duplicate action_ids {duplicates}"


def _check_limits(block: dict[str, Any]) -> None:
    kind = block["type"]
    if kind == "section":
        if "text" in block:
            assert len(block["text"]["text"]) <= LIMITS["section_text"]
        fields = block.get("fields", [])
        assert len(fields) <= LIMITS["section_fields"]
        assert all(len(f["text"]) <= LIMITS["section_field"] for f in fields)
    elif kind == "header":
        assert len(block["text"]["text"]) <= LIMITS["header"]
    elif kind == "actions":
        assert 1 <= len(block["elements"]) <= LIMITS["actions_elements"]
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= LIMITS["context_elements"]
    for element in _elements([block]):
        if element.get("type") == "button":
            assert len(element["text"]["text"]) <= LIMITS["button_label"], element
            assert len(element.get("value", "")) <= LIMITS["button_value"]
        if "action_id" in element:
            assert len(element["action_id"]) <= LIMITS["action_id"]


def _elements(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield from block.get("elements", []) if block["type"] == "actions" else ()
        if isinstance(block.get("accessory"), dict):
            yield block["accessory"]
        if isinstance(block.get("element"), dict):
            yield block["element"]


def check_message(payload: dict[str, Any]) -> None:
    """A message (`text` fallback + blocks) Slack would accept."""
    assert isinstance(payload["text"], str) and payload["text"].strip()
    assert len(payload["text"]) <= LIMITS["fallback_text"]
    check_blocks(payload["blocks"], MESSAGE_BLOCKS)


def check_view(view: dict[str, Any]) -> None:
    """A modal or Home view Slack would accept."""
    parsed = View(**view)
    parsed.validate_json()
    if view["type"] == "modal":
        assert len(view["title"]["text"]) <= LIMITS["modal_title"]
        for key in ("submit", "close"):
            if key in view:
                assert len(view[key]["text"]) <= LIMITS["modal_title"]
        assert len(view.get("private_metadata", "")) <= 3000
        assert len(view.get("callback_id", "")) <= 255
    check_blocks(view["blocks"], VIEW_BLOCKS)


def text_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every Block Kit text object (`{"type": "mrkdwn"|"plain_text", "text": ...}`) inside."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


def visible_texts(payload: dict[str, Any]) -> list[str]:
    """Everything a person reads: the fallback text and every text object."""
    texts = [payload["text"]] if isinstance(payload.get("text"), str) else []
    return (
        texts
        + [t["text"] for t in text_objects(payload.get("blocks", []))]
        + [
            t["text"]
            for key in ("title", "submit", "close")
            if isinstance(payload.get(key), dict)
            for t in [payload[key]]
        ]
    )


def check_no_markup_injection(payload: dict[str, Any]) -> None:
    """No text can mention, link or format through user data: no `<` and no bare `&`."""
    for text in visible_texts(payload):
        assert "<" not in text and ">" not in text.replace("&gt;", ""), text
    for obj in text_objects(payload.get("blocks", [])):
        if obj["type"] == "mrkdwn":
            assert not _BARE_AMPERSAND.search(obj["text"]), obj["text"]
    if isinstance(payload.get("text"), str):
        assert not _BARE_AMPERSAND.search(payload["text"]), payload["text"]
