"""Adaptive Card checks for tests: the 1.5 JSON schema plus what Teams needs beyond it.

The Teams twin of block_kit.py. The schema (tests/fixtures/schemas/adaptive-card-1.5.json) is
validated with jsonschema; Teams' own limits and our conventions are checked by hand. Markdown
texts are rendered with markdown-it, the renderer the Adaptive Cards SDK uses for TextBlock
markdown, to see what a reader would get.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from markdown_it import MarkdownIt

SCHEMA_FILE = Path(__file__).parents[1] / "fixtures" / "schemas" / "adaptive-card-1.5.json"
CARD_VERSION = "1.5"
# Teams refuses messages over about 28 KB. Measured as the connector client sends the card:
# json.dumps defaults, so non-ASCII characters count six bytes each.
MAX_CARD_BYTES = 28 * 1024
# Every construct a user could try to slip into a card; add it to hostile test data.
HOSTILE_MARKDOWN = (
    "**Evil** _Co_ ~~x~~ `code` [click](https://evil.example) ![i](https://evil.example/i.png) "
    "<at>boss</at> <b>html</b> &amp; {{DATE(2017-02-14T06:08:39Z, SHORT)}} a|b\n"
    "# Heading\n- item\n1. item\n> quote\n    code\n==="
)

# Texts Teams renders as markdown: TextBlock, facts, and (in the Adaptive Cards SDK) the
# labels of toggles and of radio and checkbox choices.
_MARKDOWN_PARTS = {"TextBlock": ("text",), "Input.Toggle": ("title",)}
_PLAIN_PARTS = {
    "TextRun": ("text",),
    "Input.Text": ("label", "placeholder"),
    "Input.Number": ("label", "placeholder"),
    "Input.Date": ("label", "placeholder"),
    "Input.Time": ("label", "placeholder"),
    "Input.ChoiceSet": ("label", "placeholder"),
    "Input.Toggle": ("label",),
}
_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li"}
_UNESCAPED = re.compile(r"(?<!\\)(?:\\\\)*([<>&\[\]`]|\{\{|\}\})")
_MARKDOWN = MarkdownIt("js-default", {"html": True})  # strict: raw HTML shows up as tags
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def check_card(card: dict[str, Any]) -> None:
    """A card Teams would show: schema-valid 1.5, under the size limit, submits carry data."""
    errors = list(_validator().iter_errors(card))
    assert not errors, _describe(errors)
    assert card.get("type") == "AdaptiveCard" and card.get("version") == CARD_VERSION, card
    size = len(json.dumps(card).encode())
    assert size <= MAX_CARD_BYTES, f"card is {size} bytes (at most {MAX_CARD_BYTES})"
    for node in _nodes(card):
        if node.get("type") == "Action.Submit":
            assert isinstance(node.get("data"), dict), (
                f"Action.Submit without a data object: {node}"
            )
    ids = [node["id"] for node in _nodes(card) if isinstance(node.get("id"), str)]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate ids {duplicates}"


def _describe(errors: list[jsonschema.ValidationError]) -> str:
    best = jsonschema.exceptions.best_match(errors)
    where = "/".join(str(p) for p in best.absolute_path) or "card"
    return f"not a valid Adaptive Card at {where}: {best.message[:300]}"


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the card, depth first (elements, actions, facts, choices, …)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """The texts Teams renders as markdown."""
    texts = []
    for node in _nodes(card):
        kind = node.get("type")
        for key in _MARKDOWN_PARTS.get(kind, ()):  # type: ignore[arg-type]
            if isinstance(node.get(key), str):
                texts.append(node[key])
        if kind == "FactSet":
            texts += [
                part for fact in node.get("facts", []) for part in (fact["title"], fact["value"])
            ]
        if kind == "Input.ChoiceSet":
            texts += [choice["title"] for choice in node.get("choices", [])]
    return texts


def card_texts(card: dict[str, Any]) -> list[str]:
    """Everything a person reads, as written in the card: markdown texts, plain texts (text runs,
    input labels and placeholders), action titles and the fallback text."""
    texts = [card["fallbackText"]] if isinstance(card.get("fallbackText"), str) else []
    texts += markdown_texts(card)
    for node in _nodes(card):
        kind = node.get("type")
        for key in _PLAIN_PARTS.get(kind, ()):  # type: ignore[arg-type]
            if isinstance(node.get(key), str):
                texts.append(node[key])
        if (
            isinstance(kind, str)
            and kind.startswith("Action.")
            and isinstance(node.get("title"), str)
        ):
            texts.append(node["title"])
    return texts


def rendered(markdown: str) -> str:
    """The HTML a markdown text becomes."""
    return _MARKDOWN.render(markdown)


def shown(markdown: str) -> str:
    """The characters a reader sees once a markdown text is rendered, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered(markdown))).split())


def check_no_markup_injection(card: dict[str, Any]) -> None:
    """No markdown text can link, mention, embed HTML or run card functions through user data.

    Markdown texts may only render to paragraphs, line breaks, emphasis and lists (no links,
    images, `<at>` mentions, raw HTML, headings, code, quotes or tables: templates express those
    with card elements), and hold no unescaped `<`, `>`, `&`, `[`, `]`, backtick, `{{` or `}}`:
    templates never need them, so one there came from data that skipped
    `escape_teams_markdown`. With hostile data in every field (see HOSTILE_MARKDOWN) that also
    catches the emphasis, headings and lists the filter escapes. Plain texts (text runs, labels,
    action titles) are not parsed, so they show user text as it is and need no escaping.
    """
    for text in markdown_texts(card):
        tags = {tag.lower() for tag in _TAG.findall(rendered(text))}
        assert tags <= _ALLOWED_TAGS, f"{sorted(tags - _ALLOWED_TAGS)} from {text!r}"
        found = _UNESCAPED.search(text)
        assert found is None, f"unescaped {found.group(1)!r} in {text!r}"
