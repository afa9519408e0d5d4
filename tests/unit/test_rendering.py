"""Templates never print user text raw: JSON needs tojson, mrkdwn is escaped, text cleaned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.formatting import in_days, zone_city
from bot.rendering import (
    Renderer,
    UnsafeTemplateOutput,
    escape_mrkdwn,
    money,
    pct,
    plain,
)
from bot.services.portfolio import AccountList, AccountRow
from bot.services.renewals import RenewalRow
from tests.channels.hostile_data import MESSAGES


def _surface(tmp_path: Path, surface: str, name: str, body: str) -> Renderer:
    (tmp_path / surface).mkdir(parents=True, exist_ok=True)
    suffix = ".txt" if surface == "text" else ".json"
    (tmp_path / surface / f"{name}{suffix}").write_text(body)
    return Renderer(surface, templates_dir=tmp_path)  # type: ignore[arg-type]


def test_mrkdwn_escaping_defuses_mentions_and_links() -> None:
    assert escape_mrkdwn("<!channel> & <@U123|boss>") == "&lt;!channel&gt; &amp; &lt;@U123|boss&gt;"


def test_json_template_printing_a_raw_string_is_refused(tmp_path: Path) -> None:
    renderer = _surface(tmp_path, "slack", "bad", '{"text": "{{ name }}"}')
    with pytest.raises(UnsafeTemplateOutput):
        renderer.render_json("bad", {"name": 'x", "blocks": []'})


def test_json_template_with_tojson_keeps_hostile_text_inside_its_string(tmp_path: Path) -> None:
    renderer = _surface(tmp_path, "slack", "ok", '{"text": {{ name|mrkdwn|tojson }}}')
    hostile = 'Evil", "blocks": [] <!here>'
    assert renderer.render_json("ok", {"name": hostile}) == {
        "text": 'Evil", "blocks": [] &lt;!here&gt;'
    }


def test_text_surface_strips_terminal_escape_sequences(tmp_path: Path) -> None:
    renderer = _surface(tmp_path, "text", "t", "Account: {{ name }}")
    assert renderer.render_text("t", {"name": "Acme\x1b[2J\u202eevil"}) == "Account: Acme[2Jevil"


def test_missing_template_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    renderer = _surface(tmp_path, "text", "t", "{{ missing }}")
    with pytest.raises(Exception, match="missing"):
        renderer.render_text("t", {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("12000"), "$12,000"), (Decimal("1500.5"), "$1,500.50"), (None, "—")],
)
def test_money_formatting(value: Decimal | None, expected: str) -> None:
    assert money(value) == expected


def test_percent_formatting() -> None:
    assert pct(0.254) == "25%"
    assert pct(0.254, 1) == "25.4%"
    assert pct(None) == "—"


def test_plain_keeps_newlines_and_tabs() -> None:
    assert plain("a\tb\nc\x07") == "a\tb\nc"


TODAY = date(2026, 3, 4)


def rendered_list(surface: str, renewing_in: dict[str, int], owner_zone: str | None = None) -> str:
    """An AM's account list, rendered on 2026-03-04, of accounts renewing in so many days."""
    renderer = Renderer(surface, clock=lambda: datetime(2026, 3, 4, 15, tzinfo=UTC))  # type: ignore[arg-type]
    rows = [
        AccountRow(
            name, n, "growth", "Ann", Decimal(100), TODAY + timedelta(days), days, [], owner_zone
        )
        for n, (name, days) in enumerate(renewing_in.items(), start=1)
    ]
    data = {
        "result": AccountList("mine", len(rows), rows, 0, 10),
        "everyone": False,
        "page": 1,
        "more_command": None,
    }
    return renderer.render_text("account_list", data)


@pytest.mark.parametrize("surface", ["text", "slack", "teams"])
def test_a_renewal_more_than_six_months_away_shows_its_year_in_account_lists(
    surface: str,
) -> None:
    rendered = rendered_list(surface, {"Near Co": 30, "Far Co": 300})
    assert "renews 03 Apr (in 30 days)" in rendered
    assert "renews 29 Dec 2026 (in 300 days)" in rendered


@pytest.mark.parametrize("surface", ["text", "slack", "teams"])
def test_days_to_a_renewal_read_as_words_in_every_list(surface: str) -> None:
    """ "today", "in 1 day", "in 2 days": lists said "(0 days)" and "(1 days)"."""
    rendered = rendered_list(surface, {"Co 0": 0, "Co 1": 1, "Co 2": 2})
    assert "(today)" in rendered and "(in 1 day)" in rendered and "(in 2 days)" in rendered
    assert "(0 days)" not in rendered and "1 days" not in rendered


def test_in_days_words_days_either_side_of_today() -> None:
    assert [in_days(n) for n in (0, 1, 2, -1, -3, None)] == [
        "today",
        "in 1 day",
        "in 2 days",
        "1 day ago",
        "3 days ago",
        "today",
    ]


@pytest.mark.parametrize("surface", ["text", "slack", "teams"])
def test_a_renewal_counted_from_the_owners_today_names_their_zone(surface: str) -> None:
    renderer = Renderer(surface, clock=lambda: datetime(2026, 3, 4, 15, tzinfo=UTC))  # type: ignore[arg-type]
    row = RenewalRow(
        "Kiwi Co", 7, TODAY + timedelta(1), 0, Decimal(100), False, "Ann", 70, "Pacific/Auckland"
    )
    data = {"days": 7, "rows": [row], "total": 1, "offset": 0, "more_command": None}
    assert "ends Thu 05 Mar 2026 (today, Auckland time)" in renderer.render_text("renewals", data)


def test_a_zone_is_named_by_its_city() -> None:
    names = ("Pacific/Auckland", "America/Argentina/Buenos_Aires", "UTC", None)
    assert [zone_city(name) for name in names] == ["Auckland", "Buenos Aires", "UTC", "UTC"]


@pytest.mark.parametrize("surface", ["text", "slack", "teams"])
def test_an_account_list_names_the_owners_zone_when_their_today_is_not_the_readers(
    surface: str,
) -> None:
    rendered = rendered_list(surface, {"Kiwi Co": 0}, owner_zone="Pacific/Auckland")
    assert "renews 04 Mar (today, Auckland time)" in rendered


@pytest.mark.parametrize("surface", ["text", "slack", "teams"])
def test_kpi_me_of_someone_who_owns_nothing_says_so_and_points_to_the_team(surface: str) -> None:
    renderer = Renderer(surface, clock=lambda: datetime(2026, 3, 4, 15, tzinfo=UTC))  # type: ignore[arg-type]
    idle = renderer.render_text("kpi_me", MESSAGES["kpi_me:idle"])
    assert "nothing to measure yet" in idle and "kpi team" in idle
    assert "On target" not in idle and "below your target" not in idle
    busy = renderer.render_text("kpi_me", MESSAGES["kpi_me"])
    assert "nothing to measure" not in busy
