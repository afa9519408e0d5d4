"""Turns a handler's Reply into a message for one surface: text, Slack or Teams.

Every template gets the same data. Text templates are plain; Slack and Teams templates
produce JSON, and every value they print must go through `tojson` (the renderer refuses
anything else), with the surface's escape first wherever markup is parsed: `mrkdwn` for Slack,
`md` for Teams. Those filters (and plain text output) also write out the commands handlers mark
with `cmd(...)` in the surface's syntax; templates write commands with `typed(...)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.command_syntax import SURFACE_COMMANDS, CommandStyle
from bot.formatting import (
    chunks,
    count_of,
    day,
    duration,
    hours_ago,
    in_days,
    local_time,
    money,
    number,
    pct,
    short_day,
    truncate_text,
    utc_minute,
    zone_city,
)
from bot.kpi_display import (
    KPI_DISPLAY,
    kpi_bounds,
    kpi_change,
    kpi_label,
    kpi_target,
    kpi_value,
)
from bot.services.when import typed_when
from bot.teams_markdown import escape_teams_markdown

Surface = Literal["text", "slack", "teams"]
TEMPLATES_DIR = Path(__file__).with_name("templates")
_SUFFIX = {"text": ".txt", "slack": ".json", "teams": ".json"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class UnsafeTemplateOutput(Exception):
    """A JSON template printed a value without `tojson`: a bug, caught in tests."""


def escape_mrkdwn(value: object) -> str:
    """Escape Slack's control characters so user text cannot mention, link or format."""
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(value: object) -> str:
    """For terminals: drop control characters (ANSI escapes, bidi overrides)."""
    return _CONTROL.sub("", "" if value is None else str(value))


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def to_json(value: object) -> Markup:
    return Markup(json.dumps(value, default=_json_default, ensure_ascii=False))


def _finalize_json(value: object) -> object:
    if isinstance(value, Markup) or value is None or isinstance(value, bool | int | float):
        return value
    raise UnsafeTemplateOutput(f"JSON template printed {value!r} without |tojson")


def _finalize_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    return SURFACE_COMMANDS["text"].render(plain(value))


def recap_of(account_id: int, moment: datetime | str | None) -> str:
    """The command a *Log recap* button runs: the form of that account's meeting at ``moment``
    (to the minute, in UTC: the same meeting whatever the reader's zone)."""
    return f"recap #{account_id} {utc_minute(moment)}"


def _escaper(style: CommandStyle, escape: Any) -> Any:
    """An escape filter that also writes out marked commands (their text escaped too)."""

    def escape_and_write_commands(value: object) -> str:
        return style.render(escape(value))

    return escape_and_write_commands


class Renderer:
    """One Jinja environment per surface; templates are looked up as `<name><suffix>`."""

    def __init__(
        self,
        surface: Surface,
        templates_dir: Path = TEMPLATES_DIR,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock`` tells what "today" is, so dates far from it show their year."""
        self.surface = surface
        self.clock = clock or (lambda: datetime.now(UTC))
        self.commands = SURFACE_COMMANDS[surface]
        self.env = Environment(
            loader=FileSystemLoader(templates_dir / surface),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            finalize=_finalize_text if surface == "text" else _finalize_json,
            auto_reload=False,  # templates ship with the code: no stat of the file per render
        )
        escape = {"slack": escape_mrkdwn, "teams": escape_teams_markdown, "text": plain}[surface]
        self.env.filters.update(
            mrkdwn=_escaper(self.commands, escape_mrkdwn),
            md=_escaper(self.commands, escape_teams_markdown),
            tojson=to_json,
            plain=plain,
            money=money,
            pct=pct,
            number=number,
            day=day,
            short_day=lambda value: short_day(value, self.today()),
            day_month=lambda value: short_day(value, self.today(), weekday=False),
            local_time=lambda value, tz="UTC", fmt=None: local_time(
                value, tz, fmt, today=self.today()
            ),
            utc_minute=utc_minute,
            typed_when=typed_when,
            truncate_text=truncate_text,
            chunks=chunks,
            count_of=count_of,
            duration=duration,
            hours_ago=hours_ago,
            in_days=in_days,
            zone_city=zone_city,
            kpi_label=kpi_label,
            kpi_value=kpi_value,
            kpi_target=kpi_target,
            kpi_bounds=kpi_bounds,
            kpi_change=kpi_change,
        )
        self.env.globals["KPI_DISPLAY"] = KPI_DISPLAY
        # typed("status " ~ name): how to type it here, with the text escaped for the surface
        self.env.globals["typed"] = lambda text: self.commands.write(escape(text))
        self.env.globals["recap_of"] = recap_of
        self.env.globals["surface"] = surface
        self.env.policies["json.dumps_function"] = json.dumps

    def today(self) -> date:
        return self.clock().date()

    def render_text(self, name: str, data: Mapping[str, Any]) -> str:
        text = self.env.get_template(name + _SUFFIX[self.surface]).render(**data)
        return text.strip("\n").rstrip()  # keep the first line's indentation

    def render_json(self, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        raw = self.render_text(name, data)
        try:
            parsed: dict[str, Any] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UnsafeTemplateOutput(f"{name}: template produced invalid JSON: {exc}") from exc
        return parsed
