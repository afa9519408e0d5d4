"""Reading import CSVs without a database: cells, headers, line numbers and per-kind rules."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.services.imports.cells import (
    Cells,
    Ref,
    RefKind,
    RowProblem,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_email,
    parse_enum,
)
from bot.services.imports.header import Columns, Header, HeaderError, column_key
from bot.services.imports.kinds import SPECS, ImportKind
from bot.services.imports.numbers import parse_decimal, parse_money
from bot.services.imports.reader import read_cells, read_csv, read_xlsx
from bot.services.imports.rows import parse_meeting, parse_team, parse_user
from bot.zone_names import read_zone
from storage.models import MeetingKind, Role, SignalKind

TEAMS = Columns(("name", "slack_channel_id", "timezone"), ("name",))


def test_dates_are_year_month_day_maybe_at_midnight() -> None:
    for text in (
        "2026-02-28",
        "2026-02-28 00:00:00",
        "2026-02-28T00:00",
        "2026-02-28 00:00:00.000",
    ):
        assert parse_date(text) == date(2026, 2, 28)
    for text in (
        "2026-02-30",
        "20260228",
        "28.02.2026",
        "2026-W09-6",
        "2026-2-28",
        "2026-02-28 09:00",
        "2026-02-28T00:00:00+01:00",
    ):
        with pytest.raises(ValueError, match=r"not a date \(expected YYYY-MM-DD\)"):
            parse_date(text)


def test_datetimes_with_an_offset_come_back_in_utc_and_without_one_naive() -> None:
    assert parse_datetime("2026-03-02T15:00:00+01:00") == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert parse_datetime("2026-03-02 09:30-05:00") == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    assert parse_datetime("2026-03-02T14:00:00Z") == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert parse_datetime("2026-03-02 15:00") == datetime(2026, 3, 2, 15)
    for text in ("3/2/2026 3pm", "2026-03-02T25:00+01:00"):
        with pytest.raises(ValueError, match="not a date and time"):
            parse_datetime(text)
    # A CRM's "Date" column: the day alone is not when the meeting was.
    with pytest.raises(ValueError) as caught:
        parse_datetime("2026-03-02")
    assert str(caught.value) == (
        "a day without its time: '2026-03-02'; write when it started, e.g. 2026-03-02 15:00 (the "
        "AM's wall-clock time) or 2026-03-02T15:00:00+01:00"
    )


def test_numbers_are_read_as_spreadsheets_write_them_with_at_most_two_places() -> None:
    assert parse_decimal("1200.5") == Decimal("1200.5")
    assert parse_decimal("-3") == Decimal(-3)
    assert parse_decimal("-3,25") == Decimal("-3.25")
    assert parse_money("0") == Decimal(0)
    written = {
        "1200,5": "1200.5",  # a decimal comma
        "0,1": "0.1",
        "1,200": "1200",  # a separator followed by three digits groups thousands
        "1.200": "1200",
        "1,234,567": "1234567",
        "1.234.567": "1234567",
        "1,234.56": "1234.56",
        "1.234,56": "1234.56",
        "1 234 567,89": "1234567.89",
        "1\u00a0200,50": "1200.50",  # no-break spaces, as French spreadsheets write them
        "1'200.50": "1200.50",
        "$5": "5",
        "$12,000.50": "12000.50",
        "1.200,50 €": "1200.50",
        "USD 12,000": "12000",
        "1200 EUR": "1200",
    }
    assert {text: str(parse_money(text)) for text in written} == written
    advice = " (write e.g. 1200.50, 1,200.50 or 1.200,50)"
    problems = {
        "1,234,56": "not a number: '1,234,56'" + advice,  # groups of three, then two?
        "12,3456": "not a number: '12,3456'" + advice,
        "1.234.56": "not a number: '1.234.56'" + advice,
        "5 dollars": "not a number: '5 dollars'" + advice,
        "NaN": "not a number: 'NaN'" + advice,
        "INF": "not a number: 'INF'" + advice,
        "1_000": "not a number: '1_000'" + advice,
        "0.125": "at most 2 decimal places: '0.125'",  # no group starts with 0
        "1.2345": "at most 2 decimal places: '1.2345'",
        "1000000000000": "too large: '1000000000000'",
    }
    for text, reason in problems.items():
        with pytest.raises(ValueError) as caught:
            parse_money(text)
        assert str(caught.value) == reason, text
    with pytest.raises(ValueError, match="must not be negative"):
        parse_money("-$1,200")
    # Scores are not money: no thousands, so 4.555 is a score with too many decimals.
    for text, reason in {
        "4.555": "at most 2 decimal places: '4.555'",
        "1,200": "not a number: '1,200' (write e.g. 4.5 or 4,5)",
        "$5": "not a number: '$5' (write e.g. 4.5 or 4,5)",
    }.items():
        with pytest.raises(ValueError) as caught:
            parse_decimal(text)
        assert str(caught.value) == reason, text


def test_yes_no_values_enums_time_zones_and_emails_ignore_case() -> None:
    assert [parse_bool(t) for t in ("TRUE", "yes", "1", "Y", "False", "NO", "0", "n")] == [
        *[True] * 4,
        *[False] * 4,
    ]
    # Excel's TRUE and FALSE in a German, French, Spanish, Italian or Dutch CSV
    excel = ("WAHR", "VRAI", "VERDADERO", "VERO", "WAAR", "FALSCH", "FAUX", "FALSO", "ONWAAR")
    assert [parse_bool(t) for t in excel] == [True] * 5 + [False] * 4
    with pytest.raises(ValueError, match="not a yes/no value"):
        parse_bool("maybe")
    assert parse_enum(MeetingKind, "QBR") is MeetingKind.QBR
    assert parse_enum(SignalKind, "Case Study") is SignalKind.CASE_STUDY
    assert parse_enum(SignalKind, "case-study") is SignalKind.CASE_STUDY
    with pytest.raises(ValueError) as unknown:
        parse_enum(Role, "boss")
    assert str(unknown.value) == "unknown value 'boss' (expected one of: am, lead, head, ops)"
    assert read_zone("america/new_york") == "America/New_York"
    assert read_zone("utc") == "UTC"
    with pytest.raises(ValueError, match="unknown timezone 'CET\\+1'"):
        read_zone("CET+1")
    assert parse_email("Ann.Lee@Example.COM") == "ann.lee@example.com"
    for text in ("ann", "ann@@x", "ann lee@x.com"):
        with pytest.raises(ValueError, match="not an email address"):
            parse_email(text)


def read(text: str, columns: Columns = TEAMS) -> tuple[list[Cells], list[RowProblem], Header]:
    table = read_csv(io.StringIO(text, newline=""), source="f.csv", known=columns.names)
    return read_cells(table, columns)


def rows_of(text: str, columns: Columns = TEAMS) -> list[dict[str, str]]:
    cells, problems, _ = read(text, columns)
    assert problems == []
    return [dict(c.cells) for c in cells]


def test_header_allows_any_order_case_spaces_and_a_byte_order_mark() -> None:
    cells, problems, header = read("\ufeff TIMEZONE ,Name,slack_channel_id\nUTC,A,\n")
    assert problems == []
    assert [(c.line, dict(c.cells)) for c in cells] == [
        (2, {"timezone": "UTC", "name": "A", "slack_channel_id": ""})
    ]
    assert header == Header(frozenset(TEAMS.names), ())


def test_headers_match_whatever_their_case_spaces_hyphens_and_underscores() -> None:
    for written in ("Slack Channel ID", "slack-channel-id", " SlackChannelId ", "SLACK_CHANNEL_ID"):
        assert column_key(written) == column_key("slack_channel_id")
    assert column_key("Owner-Email") == column_key("owner_email") != column_key("owner")
    assert rows_of("Name;Slack Channel ID;TimeZone\nEast;C1;UTC\n") == [
        {"name": "East", "slack_channel_id": "C1", "timezone": "UTC"}
    ]


def test_extra_columns_are_ignored_and_named_and_optional_ones_may_be_left_out() -> None:
    cells, problems, header = read("Notes,name,Owner,,timezone\nhi,East,ann,,Asia/Tokyo\n")
    assert problems == []
    assert [dict(c.cells) for c in cells] == [
        {"name": "East", "timezone": "Asia/Tokyo", "slack_channel_id": ""}
    ]
    assert header == Header(frozenset({"name", "timezone"}), ("Notes", "Owner"))


def test_a_missing_required_column_or_a_repeated_one_is_an_error_naming_the_columns() -> None:
    with pytest.raises(HeaderError) as caught:
        read("Team,zone,timezone,TimeZone\n")
    assert str(caught.value) == (
        "header: missing 'name'; repeated 'timezone'. Not recognised: 'Team', 'zone'. "
        "The columns are: name, slack_channel_id, timezone (required: name), in any order and "
        "case"
    )
    for empty in ("", "\r\n , ,\r\n"):
        with pytest.raises(HeaderError) as nothing:
            read(empty)
        assert str(nothing.value) == (
            "the file is empty; the first line must be the header: name, slack_channel_id, "
            "timezone (required: name)"
        )


def test_line_numbers_are_file_lines_with_blank_rows_skipped_and_multi_line_cells() -> None:
    text = (
        "name,slack_channel_id,timezone\r\n"
        "\r\n"
        " , ,\r\n"
        '"Two\r\nLine Team",,UTC\r\n'
        "Third,,UTC\r\n"
        "Short,\r\n"
        "Long,,UTC,,\r\n"
        "Longer,,UTC,x\r\n"
    )
    cells, problems, _ = read(text)
    assert [(c.line, c.cells["name"]) for c in cells] == [
        (4, "Two\r\nLine Team"),
        (6, "Third"),
        (8, "Long"),
    ]
    assert [str(p) for p in problems] == [
        "line 7: has 2 cells, the header has 3",
        "line 9: has 4 cells, the header has 3",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "name;slack_channel_id;timezone\r\nEast, Inc.;C1;Europe/Berlin\r\nWest;;UTC\r\n",
        "name\tslack_channel_id\ttimezone\nEast, Inc.\tC1\tEurope/Berlin\nWest\t\tUTC\n",
        'name,slack_channel_id,timezone\n"East, Inc.",C1,Europe/Berlin\nWest,,UTC\n',
        # One row only, and semicolons in a cell of a comma-separated file.
        "timezone,name\nEurope/Berlin;UTC,East; Inc.\n",
    ],
    ids=["semicolons", "tabs", "commas", "commas-with-semicolons-in-cells"],
)
def test_the_delimiter_is_sniffed_and_the_header_settles_a_doubt(text: str) -> None:
    rows = rows_of(text)
    assert rows[0]["name"] in ("East, Inc.", "East; Inc.")
    assert len(rows[0]) == 3


def test_team_timezone_defaults_to_utc_and_bad_cells_are_named() -> None:
    cells = Cells(5, {"name": "East", "slack_channel_id": "", "timezone": ""})
    row = parse_team(cells)
    assert (row.line, row.values, cells.problems) == (
        5,
        {"name": "East", "name_key": "east", "slack_channel_id": None, "timezone": "UTC"},
        [],
    )
    long_name = Cells(6, {"name": "x" * 201, "slack_channel_id": "", "timezone": "Mars"})
    parse_team(long_name)
    assert [str(p) for p in long_name.problems] == [
        "line 6: name: longer than 200 characters",
        "line 6: timezone: unknown timezone 'Mars' (expected an IANA name like Europe/Berlin, "
        "or a city like Berlin)",
    ]


def test_only_head_and_ops_may_have_no_team() -> None:
    def user(role: str, team: str) -> Cells:
        cells = dict.fromkeys(SPECS[ImportKind.USERS].headers, "")
        cells.update(email="a@x.com", name="A", role=role, team=team)
        return Cells(2, cells)

    for role in ("head", "OPS"):
        cells = user(role, "")
        assert parse_user(cells).refs == {"team_id": None} and cells.problems == []
    teamed = user("am", "East")
    assert parse_user(teamed).refs == {"team_id": Ref("team", RefKind.TEAM, "east", "East")}
    for role in ("am", "lead"):
        cells = user(role, "")
        parse_user(cells)
        assert [str(p) for p in cells.problems] == [
            f"line 2: team: required for role {role} (only head and ops may have no team)"
        ]


def test_meeting_defaults_to_sync_and_keeps_references_for_the_importer() -> None:
    cells = Cells(
        3,
        {
            "account": "ACME Corp",
            "am_email": "Ann@Example.com",
            "occurred_at": "2026-03-02T15:00:00+01:00",
            "kind": "",
            "recap_logged_at": "",
            "recap": "",
            "next_steps": "",
            "upsell_spotted": "",
        },
    )
    row = parse_meeting(cells)
    assert cells.problems == []
    assert row.values == {
        "occurred_at": datetime(2026, 3, 2, 14, tzinfo=UTC),
        "kind": MeetingKind.SYNC,
        "recap_logged_at": None,
        "recap": None,
        "next_steps": None,
        "upsell_spotted": None,
    }
    assert row.refs == {
        "account_id": Ref("account", RefKind.ACCOUNT, "acme corp", "ACME Corp"),
        "am_id": Ref("am_email", RefKind.USER, "ann@example.com", "Ann@Example.com"),
    }


def test_every_kind_has_the_headers_of_the_spec_and_names_its_key_in_csv_terms() -> None:
    assert {kind.value: spec.headers for kind, spec in SPECS.items()} == {
        "teams": ("name", "slack_channel_id", "timezone"),
        "users": (
            "email",
            "name",
            "role",
            "team",
            "seniority",
            "slack_user_id",
            "teams_aad_object_id",
            "timezone",
        ),
        "accounts": (
            "name",
            "owner_email",
            "exec_sponsor_email",
            "stage",
            "stage_entered_on",
            "mrr",
            "started_on",
            "onboarding_completed_on",
            "churned_on",
            "churn_reason",
            "known_since",
        ),
        "contracts": ("account", "start_on", "end_on", "value", "auto_renew"),
        "meetings": (
            "account",
            "am_email",
            "occurred_at",
            "kind",
            "recap_logged_at",
            "recap",
            "next_steps",
            "upsell_spotted",
        ),
        "upsells": ("account", "pitched_on", "service", "value", "status", "closed_on"),
        "satisfaction": ("account", "kind", "score", "recorded_on"),
        "deliverables": ("account", "title", "due_on", "delivered_on"),
        "steps": ("account", "step", "done_on", "done_by_email"),
    }
    assert SPECS[ImportKind.STEPS].key_columns == ("account", "step")
    assert SPECS[ImportKind.UPSELLS].key_columns == ("account", "service", "pitched_on")
    assert SPECS[ImportKind.ACCOUNTS].key_columns == ("name",)


def test_workbook_cells_read_as_their_csv_text_would(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Meetings"
    sheet.append(["occurred_at", "score", "count", "flag", "day", "at_midnight", "note"])
    sheet.append(
        [
            datetime(2026, 3, 2, 15, 30),
            4.55,
            144000.0,
            True,
            datetime(2026, 3, 2, 15, 30),
            datetime(2026, 3, 2),
            "  as typed ",
        ]
    )
    sheet["A2"].number_format = "yyyy-mm-dd hh:mm"
    sheet["E2"].number_format = "dd/mm/yyyy"
    sheet["F2"].number_format = "yyyy-mm-dd hh:mm:ss"
    book.save(tmp_path / "m.xlsx")
    table = read_xlsx(tmp_path / "m.xlsx", kind="meetings")
    assert table.source == "m.xlsx"
    assert table.rows[1] == (
        2,
        [
            "2026-03-02 15:30:00",
            "4.55",
            "144000",
            "true",
            "2026-03-02",
            "2026-03-02 00:00:00",
            "  as typed ",
        ],
    )


@pytest.mark.parametrize(
    ("written", "zone"),
    [
        ("London", "Europe/London"),
        ("new york", "America/New_York"),
        ("Buenos_Aires", "America/Argentina/Buenos_Aires"),  # old and new names: one zone
        ("W. Europe Standard Time", "Europe/Berlin"),  # as Outlook and Azure AD export it
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("  Asia/Singapore ", "Asia/Singapore"),
    ],
)
def test_a_timezone_is_read_from_a_city_or_a_windows_name(written: str, zone: str) -> None:
    assert read_zone(written) == zone


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("UTC+2", "'UTC+2' is a fixed offset, which ignores daylight saving time: write the zone"),
        ("GMT-05:00", "fixed offset"),
        ("Londn", "unknown timezone 'Londn'; did you mean Europe/London?"),
        ("Europe/Amsterdm", "did you mean Europe/Amsterdam?"),
        ("localtime", "unknown timezone 'localtime'"),  # the server's, not a place
        ("UTC-11", "fixed offset"),  # a Windows name, but an offset all the same
    ],
)
def test_an_unreadable_timezone_is_refused_with_what_to_write(written: str, advice: str) -> None:
    with pytest.raises(ValueError) as refused:
        read_zone(written)
    assert advice in str(refused.value)
