"""Escaping user text for Microsoft Teams: Adaptive Card TextBlocks and markdown messages.

TextBlock text is a markdown subset (bold, italic, bulleted and numbered lists, links) that
the host renders; the Adaptive Cards SDK hands it to a CommonMark renderer (markdown-it), where
a backslash before any ASCII punctuation character shows that character literally. So every
character that could start markup gets a backslash: emphasis and strike (`*` `_` `~`), code
(`` ` ``), links and images (`[` `]` `(` `)`), headings (`#`), quotes (`>`), HTML and
`<at>` mentions (`<` `>`), entities (`&`), tables (`|`), the `{{DATE(…)}}`/`{{TIME(…)}}`
text functions cards run before markdown (`{` `}`) and the backslash itself. List and
heading markers are only markup at the start of a line, so `-`, `+`, `=` and the `.` of
`1.` are escaped there; leading indentation (four spaces make a code block) is dropped.
Control characters and bidirectional overrides are removed, newlines kept.
"""

from __future__ import annotations

import re

# C0/C1 controls except tab and newline, bidi marks/embeddings/overrides/isolates, and the
# Unicode line and paragraph separators (renderers treat them as line breaks).
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_PUNCTUATION = re.compile(r"([\\*_~`\[\](){}#<>&|])")
_LINE_START = re.compile(r"^[ \t]+", re.MULTILINE)
_LINE_MARKER = re.compile(r"^([-+=])", re.MULTILINE)
_ORDERED_MARKER = re.compile(r"^(\d+)\.", re.MULTILINE)


def escape_teams_markdown(value: object) -> str:
    """`value` as Teams markdown that displays exactly its text: no formatting, link or mention."""
    text = "" if value is None else str(value)
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _LINE_START.sub("", text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = _LINE_MARKER.sub(r"\\\1", text)
    return _ORDERED_MARKER.sub(r"\1\\.", text)
