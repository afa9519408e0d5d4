"""The Adaptive Card checks catch what they promise to, so Teams template tests can rely on them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.teams_markdown import escape_teams_markdown
from tests.channels.adaptive_cards import (
    HOSTILE_MARKDOWN,
    MAX_CARD_BYTES,
    card_texts,
    check_card,
    check_no_markup_injection,
    shown,
)


def card(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.5", "body": list(body)}
    if actions is not None:
        result["actions"] = actions
    return result


def text(value: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True}


def submit(title: str, data: object) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": data}


GOOD = card(
    text("**Acme** is in *growth*"),
    {"type": "FactSet", "facts": [{"title": "Owner", "value": "Ann Lee"}]},
    {"type": "ActionSet", "actions": [submit("Playbook", {"cmd": "playbook Acme"})]},
    actions=[
        submit("Status", {"cmd": "status Acme"}),
        {
            "type": "Action.ShowCard",
            "title": "More",
            "card": {"type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": "note"}]},
        },
    ],
)


def test_a_well_formed_card_passes_every_check() -> None:
    check_card(GOOD)
    check_no_markup_injection(GOOD)


@pytest.mark.parametrize(
    "bad",
    [
        card({"type": "TextBlok", "text": "typo"}),
        card({"type": "TextBlock"}),
        card(text("x") | {"size": "enormous"}),
        card(actions=[{"type": "Action.Submit", "title": "x", "data": [1]}]),
        {"type": "AdaptiveCard", "version": "1.4", "body": [text("x")]},
    ],
)
def test_schema_and_version_mistakes_are_caught(bad: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        check_card(bad)


def test_a_submit_must_carry_a_data_object_even_when_nested() -> None:
    nested = card({"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": "Go"}]})
    with pytest.raises(AssertionError, match="without a data object"):
        check_card(nested)
    with pytest.raises(AssertionError, match="without a data object"):
        check_card(card(actions=[submit("Go", "status Acme")]))


def test_a_card_over_teams_size_limit_is_caught() -> None:
    with pytest.raises(AssertionError, match="bytes"):
        check_card(card(*[text("é" * 1000)] * (MAX_CARD_BYTES // 6000 + 1)))


def test_duplicate_input_ids_are_caught() -> None:
    field = {"type": "Input.Text", "id": "summary"}
    with pytest.raises(AssertionError, match="duplicate ids"):
        check_card(card(field, dict(field)))


def test_user_text_put_in_raw_is_caught_and_escaped_passes() -> None:
    with pytest.raises(AssertionError):
        check_no_markup_injection(card(text(f"Account: {HOSTILE_MARKDOWN}")))
    safe = card(text(f"Account: **{escape_teams_markdown(HOSTILE_MARKDOWN)}**"))
    check_no_markup_injection(safe)
    assert "[click](https://evil.example)" in shown(safe["body"][0]["text"])


@pytest.mark.parametrize(
    "hostile",
    ["[x](https://e.example)", "<at>boss</at>", "# Heading", "> quote", "`code`", "&amp;"],
)
def test_each_kind_of_markup_in_a_fact_is_caught(hostile: str) -> None:
    with pytest.raises(AssertionError):
        check_no_markup_injection(
            card({"type": "FactSet", "facts": [{"title": "t", "value": hostile}]})
        )


def test_card_texts_lists_what_a_person_reads() -> None:
    choice = {
        "type": "Input.ChoiceSet",
        "id": "c",
        "label": "Pick",
        "choices": [{"title": "One", "value": "1"}],
    }
    assert card_texts(GOOD | {"fallbackText": "Acme status"}) == [
        "Acme status",
        "**Acme** is in *growth*",
        "Owner",
        "Ann Lee",
        "Playbook",
        "Status",
        "More",
    ]
    assert card_texts(card(choice)) == ["One", "Pick"]
