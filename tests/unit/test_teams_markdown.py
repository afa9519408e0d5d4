"""Teams markdown escaping: user text shows as typed and never formats, links or mentions.

The oracle is markdown-it (markdown-it-py here, with the JavaScript default preset: CommonMark plus
tables and strikethrough), the renderer the Adaptive Cards SDK uses for TextBlock markdown when the
host has none of its own, with raw HTML allowed to be strict.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.teams_markdown import escape_teams_markdown

MARKDOWN = MarkdownIt("js-default", {"html": True})
_PARAGRAPH_TAGS = re.compile(r"</?p>|<br />")
MARKUP = "\\*_~`[](){}#<>&|!-+=.0123456789 \t\n\r:/@;"
ANY_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(MARKUP), st.characters(codec="utf-8")), max_size=80
)


def rendered(value: object) -> str:
    return MARKDOWN.render(escape_teams_markdown(value))


def shown_text(value: object) -> str:
    """The words a reader sees once the escaped text is rendered, whitespace collapsed."""
    return " ".join(html.unescape(_PARAGRAPH_TAGS.sub(" ", rendered(value))).split())


@pytest.mark.parametrize(
    ("hostile", "tag"),
    [
        ("**bold**", "<strong>"),
        ("_italic_", "<em>"),
        ("~~gone~~", "<s>"),
        ("`code`", "<code>"),
        ("[click](https://evil.example)", "<a "),
        ("![img](https://evil.example/x.png)", "<img"),
        ("<https://evil.example>", "<a "),
        ("# Heading", "<h1>"),
        ("Title\n===", "<h1>"),
        ("Title\n---", "<h2>"),
        ("> quoted", "<blockquote>"),
        ("- item", "<ul>"),
        ("+ item", "<ul>"),
        ("* item", "<ul>"),
        ("1. first", "<ol>"),
        ("   7) seventh", "<ol start"),
        ("    indented code", "<pre>"),
        ("a | b\n--|--\n1 | 2", "<table>"),
        ("***", "<hr"),
        ("<b>html</b>", "<b>"),
    ],
)
def test_markup_in_user_text_is_shown_not_applied(hostile: str, tag: str) -> None:
    assert tag in MARKDOWN.render(hostile)  # the case really is markup when unescaped
    assert tag not in rendered(hostile)


def test_mentions_and_entities_stay_literal_text() -> None:
    assert shown_text("<at>accountbot</at> & Co &amp;") == "<at>accountbot</at> & Co &amp;"
    assert "<at>" not in escape_teams_markdown("<at>Bob</at>")


def test_card_date_functions_cannot_run_on_user_text() -> None:
    escaped = escape_teams_markdown("{{DATE(2017-02-14T06:08:39Z, SHORT)}}")
    assert "{{" not in escaped and "}}" not in escaped
    assert shown_text("{{DATE(2017-02-14T06:08:39Z, SHORT)}}") == (
        "{{DATE(2017-02-14T06:08:39Z, SHORT)}}"
    )


def test_plain_words_are_untouched() -> None:
    assert escape_teams_markdown("Acme Robotics renews 2026-03-04, 99.5% sure") == (
        "Acme Robotics renews 2026-03-04, 99.5% sure"
    )


def test_control_and_bidi_characters_are_removed_newlines_kept() -> None:
    assert escape_teams_markdown("Acme\u202e\x1b\u2066x\r\ny\u200f") == "Acmex\ny"


def test_leading_indentation_is_dropped_and_line_markers_escaped() -> None:
    assert escape_teams_markdown("  - one\n\t2. two\n=") == "\\- one\n2\\. two\n\\="


def test_none_is_empty() -> None:
    assert escape_teams_markdown(None) == ""


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
@example("\\*not bold\\*")
@example("a\\\nb")
@example("1.\n2)")
@example("&#x3C;at&#x3E;")
def test_any_text_renders_as_one_plain_paragraph_run(text: str) -> None:
    output = rendered(text)
    tags = set(re.findall(r"</?([a-z0-9]+)", output))
    assert tags <= {"p", "br"}, output


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_any_text_shows_exactly_its_characters(text: str) -> None:
    text_lines = text.replace("\r", "\n")  # a carriage return is a line break
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029]", "", text_lines)
    cleaned = re.sub(r"[\u202a-\u202e\u2066-\u2069]", "", cleaned)
    assert shown_text(text) == " ".join(cleaned.split())
