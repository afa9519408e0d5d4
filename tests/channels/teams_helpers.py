"""Reading what a Teams user sees in the activities the bot posted."""

from __future__ import annotations

from typing import Any

from tests.channels.adaptive_cards import card_texts, check_card, check_no_markup_injection, shown


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    """The (checked) Adaptive Card an activity carries, with its text summary checked too."""
    attachments = activity.get("attachments") or []
    assert len(attachments) == 1, activity
    assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = attachments[0]["content"]
    check_card(card)
    check_no_markup_injection(card)
    assert isinstance(activity.get("text"), str) and activity["text"].strip()
    return card


def seen(activity: dict[str, Any]) -> str:
    """Everything the person reads, markdown rendered to what shows."""
    card = card_of(activity)
    return "\n".join(shown(text) for text in card_texts(card))


def buttons(activity: dict[str, Any]) -> dict[str, str]:
    """Button title -> the command it runs (the last button of a title, if several)."""
    return dict(commands(activity))


def commands(activity: dict[str, Any]) -> list[tuple[str, str]]:
    """Every button as (title, command), in card order."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit" and isinstance(node.get("data"), dict):
                command = node["data"].get("cmd")
                if isinstance(command, str):
                    found.append((node["title"], command))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card_of(activity))
    return found


def inputs(activity: dict[str, Any]) -> list[str]:
    """The ids of the input fields of a form card."""
    card = card_of(activity)
    return [e["id"] for e in card["body"] if str(e.get("type", "")).startswith("Input.")]
