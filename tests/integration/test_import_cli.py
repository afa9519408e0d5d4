"""`accountbot import KIND FILE.csv` on a real SQLite file: output, exit codes, all-or-nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import typer
from openpyxl import Workbook
from typer.testing import CliRunner, Result

from bot.cli import app, imports

FIXTURES = Path(__file__).parents[1] / "fixtures" / "csv"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATABASE_URL points at a SQLite file that does not exist yet (the import migrates it)."""
    monkeypatch.chdir(tmp_path)  # no .env file
    path = tmp_path / "book.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ACCOUNTBOT_LOG_LEVEL", "WARNING")
    return path


def run(*args: str | Path) -> Result:
    cli = typer.Typer()
    cli.callback()(lambda: None)
    imports.register(cli)
    return CliRunner().invoke(cli, ["import", *(str(arg) for arg in args)])


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def teams_file(tmp_path: Path, content: bytes) -> Path:
    """A teams.csv holding exactly these bytes."""
    path = tmp_path / "teams.csv"
    path.write_bytes(content)
    return path


def import_fixtures(*kinds: str) -> None:
    for kind in kinds:
        assert run(kind, FIXTURES / f"{kind}.csv").exit_code == 0, kind


def assert_imported(result: Result, summary: str) -> None:
    assert (result.exit_code, result.stdout) == (0, f"Imported {summary}.\n")


def test_imports_a_file_then_reports_an_identical_reimport_as_unchanged(database: Path) -> None:
    first = run("teams", FIXTURES / "teams.csv")
    assert_imported(first, "teams.csv: 3 created, 0 updated, 0 unchanged")
    again = run("TEAMS", FIXTURES / "teams.csv")
    assert_imported(again, "teams.csv: 0 created, 0 updated, 3 unchanged")
    assert rows(database, "SELECT name, timezone FROM teams ORDER BY name") == [
        ("Enterprise East", "America/New_York"),
        ("Leadership", "UTC"),
        ("Mid-Market", "Europe/Berlin"),
    ]
    assert rows(database, "SELECT action, subject_type, source FROM audit_log") == [
        ("import", "teams", "import"),
        ("import", "teams", "import"),
    ]


def test_a_rejected_file_lists_every_problem_on_stderr_and_exits_1(
    database: Path, tmp_path: Path
) -> None:
    assert run("teams", FIXTURES / "teams.csv").exit_code == 0
    bad = tmp_path / "users.csv"
    bad.write_text(
        "email,name,role,team,seniority,slack_user_id,teams_aad_object_id,timezone\n"
        "ann@example.com,Ann,am,Enterprise East,,,,\n"
        "bob@example.com,Bob,am,Nowhere,,,,\n"
        "cy@example.com,,chief,Leadership,,,,\n",
        encoding="utf-8",
    )
    result = run("users", bad)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "users.csv: nothing imported, 2 bad rows.",
        'line 3: team: no team named "Nowhere" (import teams first)',
        "line 4: name: required, but empty",
        "line 4: role: unknown value 'chief' (expected one of: am, lead, head, ops)",
        "Fix every line listed and import the whole file again.",
    ]
    assert rows(database, "SELECT count(*) FROM users") == [(0,)]


def test_a_header_error_exits_1_naming_the_expected_columns(database: Path, tmp_path: Path) -> None:
    bad = tmp_path / "teams.csv"
    bad.write_text("squad,tz\nEast,UTC\n", encoding="utf-8")
    result = run("teams", bad)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "teams.csv: nothing imported.",
        "line 1: header: missing 'name'. Not recognised: 'squad', 'tz'. The columns are: name, "
        "slack_channel_id, timezone (required: name), in any order and case",
    ]
    assert not database.exists()  # a first import that imported nothing leaves no book


def test_a_file_saved_with_a_byte_order_mark_imports(database: Path, tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    shutil.copy(FIXTURES / "teams.csv", path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run("teams", path)
    assert_imported(result, "teams.csv: 3 created, 0 updated, 0 unchanged")


def test_missing_file_unknown_kind_and_non_utf8_file_exit_2_without_traceback(
    database: Path, tmp_path: Path
) -> None:
    missing = run("teams", tmp_path / "nope.csv")
    assert missing.exit_code == 2
    assert "Cannot read" in missing.stderr and "nope.csv" in missing.stderr
    unknown = run("widgets", FIXTURES / "teams.csv")
    assert unknown.exit_code == 2
    assert "widgets" in unknown.output and "teams" in unknown.output
    latin1 = teams_file(
        tmp_path, "name,slack_channel_id,timezone\nZürich,,Europe/Zurich\n".encode("latin-1")
    )
    encoded = run("teams", latin1)
    assert encoded.exit_code == 2
    assert "not UTF-8" in encoded.stderr
    for result in (missing, unknown, encoded):
        assert "Traceback" not in result.output
    assert not database.exists()


def test_a_csv_excel_saved_on_windows_is_shown_as_cp1252_and_imports_when_asked(
    database: Path, tmp_path: Path
) -> None:
    windows = teams_file(
        tmp_path,
        "name;slack_channel_id;timezone\r\nEnterprise East;;America/New_York\r\n"
        "Zürich Außendienst;;Europe/Zurich\r\n".encode("cp1252"),
    )
    refused = run("teams", windows)
    assert refused.exit_code == 2
    assert " ".join(refused.stderr.split()) == (
        "Cannot read teams.csv: it is not UTF-8 text (line 3 is not). Excel on Windows saves "
        "“CSV (Comma delimited)” in cp1252, where line 3 reads "
        "“Zürich Außendienst;;Europe/Zurich”: if that is right, import it again with "
        "--encoding cp1252; otherwise save it as “CSV UTF-8” (or as an Excel Workbook, .xlsx) "
        "and import it again."
    )
    assert not database.exists()
    unknown = run("teams", windows, "--encoding", "windows-latin")
    assert unknown.exit_code == 2
    assert "Unknown encoding 'windows-latin'" in unknown.stderr
    assert "cp1252" in unknown.stderr
    assert not database.exists()
    imported = run("teams", windows, "--encoding", "cp1252")
    assert_imported(imported, "teams.csv: 2 created, 0 updated, 0 unchanged")
    assert rows(database, "SELECT name FROM teams ORDER BY name") == [
        ("Enterprise East",),
        ("Zürich Außendienst",),
    ]
    # The same file as UTF-8 is the same book: nothing changes.
    windows.write_text(windows.read_bytes().decode("cp1252"), encoding="utf-8", newline="")
    again = run("teams", windows)
    assert_imported(again, "teams.csv: 0 created, 0 updated, 2 unchanged")


def test_bytes_that_are_not_even_cp1252_are_refused_and_control_characters_not_echoed(
    database: Path, tmp_path: Path
) -> None:
    odd = teams_file(tmp_path, b"name,slack_channel_id,timezone\nBad\x81\x1b[31mRed,,UTC\n")
    refused = run("teams", odd)
    assert refused.exit_code == 2
    assert "line 2 reads “Bad\ufffd\ufffd[31mRed,,UTC”" in refused.stderr
    assert "\x1b" not in refused.stderr
    forced = run("teams", odd, "--encoding", "cp1252")
    assert forced.exit_code == 2
    assert forced.stderr.startswith("Cannot read teams.csv: it is not cp1252 text; save it as")
    assert not database.exists()


def test_only_an_import_starts_a_book_other_commands_refuse_a_missing_one(
    database: Path, tmp_path: Path
) -> None:
    asked = {
        "export": ["export", str(tmp_path / "out")],
        "status": ["status", "Acme"],
        "digest": ["digest"],
        "nudges": ["nudges"],
        "outbox": ["outbox", "list"],
    }
    for name, args in asked.items():
        refused = CliRunner().invoke(app, args)
        assert refused.exit_code == 2, name
        assert " ".join(refused.stderr.split()) == (
            f"There is no database at {database}. Import your spreadsheets first (`accountbot "
            "import teams FILE`, see the README), or check DATABASE_URL."
        ), name
        assert not database.exists(), name
    assert not (tmp_path / "out").exists()
    started = run("teams", FIXTURES / "teams.csv")
    assert (started.exit_code, started.stderr) == (0, f"Started a new book at {database}.\n")
    again = run("teams", FIXTURES / "teams.csv")
    assert (again.exit_code, again.stderr) == (0, "")
    exported = CliRunner().invoke(app, asked["export"])
    assert exported.exit_code == 0 and "3 teams" in exported.stdout


def test_dates_as_a_uk_spreadsheet_writes_them_import_with_the_order_the_hint_names(
    database: Path, tmp_path: Path
) -> None:
    import_fixtures("teams", "users")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "Name;Owner Email;Stage;Started On;Onboarding Completed On\n"
        "Acme Corp;ann.lee@example.com;growth;06/01/2025;14/01/2025\n"
        "Globex;bob@example.com;onboarding;03.02.2026;\n",
        encoding="utf-8",
    )
    refused = run("accounts", accounts)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "accounts.csv: nothing imported, 2 bad rows.",
        "line 2: started_on: not a date (expected YYYY-MM-DD): '06/01/2025' (see the note on "
        "dates below)",
        "line 2: onboarding_completed_on: not a date (expected YYYY-MM-DD): '14/01/2025' (see "
        "the note on dates below)",
        "line 3: started_on: not a date (expected YYYY-MM-DD): '03.02.2026' (see the note on "
        "dates below)",
        "Dates such as “14/01/2025” are written day/month/year: import the file again with "
        "--dates dmy.",
    ]
    assert rows(database, "SELECT count(*) FROM accounts") == [(0,)]
    imported = run("accounts", accounts, "--dates", "dmy")
    assert_imported(imported, "accounts.csv: 2 created, 0 updated, 0 unchanged")
    assert rows(database, "SELECT name, started_on, onboarding_completed_on FROM accounts") == [
        ("Acme Corp", "2025-01-06", "2025-01-14"),
        ("Globex", "2026-02-03", None),
    ]
    meetings = tmp_path / "meetings.csv"
    meetings.write_text(
        "account;am_email;occurred_at;kind;recap_logged_at\n"
        "Acme Corp;ann.lee@example.com;02/03/2026 15:00;QBR;02/03/2026 17:30\n"
        "Globex;bob@example.com;24/02/2026 9:05;kickoff;\n",
        encoding="utf-8",
    )
    month_first = run("meetings", meetings, "--dates", "mdy")
    assert month_first.exit_code == 1
    assert month_first.stderr.splitlines()[1:] == [
        "line 3: occurred_at: not a date in month/day/year: '24/02/2026 9:05'",
        "Dates such as “24/02/2026 9:05” are written day/month/year: import the file again "
        "with --dates dmy.",
    ]
    day_first = run("meetings", meetings, "--dates", "DMY")
    assert_imported(day_first, "meetings.csv: 2 created, 0 updated, 0 unchanged")
    # wall-clock times of each AM: Ann's team is in New York, Bob is in Berlin
    assert rows(database, "SELECT occurred_at, recap_logged_at FROM meetings ORDER BY 1") == [
        ("2026-02-24 08:05:00.000000", None),
        ("2026-03-02 20:00:00.000000", "2026-03-02 22:30:00.000000"),
    ]


def test_ignored_columns_are_named_on_stderr_and_the_rest_imports(
    database: Path, tmp_path: Path
) -> None:
    path = teams_file(
        tmp_path, b"\xef\xbb\xbfTeam ID;Name;Time-Zone;Region\r\n7;East;America/New_York;US\r\n"
    )
    result = run("teams", path)
    assert_imported(result, "teams.csv: 1 created, 0 updated, 0 unchanged")
    assert result.stderr == (
        f"Started a new book at {database}.\n"
        "Ignored columns 'Team ID', 'Region': not in the teams format.\n"
    )
    assert rows(database, "SELECT name, timezone FROM teams") == [("East", "America/New_York")]


def test_a_progress_bar_shows_on_a_terminal_for_large_files_only(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "LARGE_FILE_ROWS", 2)
    quiet = run("teams", FIXTURES / "teams.csv")  # stderr is not a terminal here
    assert (quiet.exit_code, quiet.stderr) == (0, f"Started a new book at {database}.\n")
    monkeypatch.setattr(imports, "stderr_is_terminal", lambda: True)
    shown = run("teams", FIXTURES / "teams.csv")
    assert shown.exit_code == 0
    assert "writing" in shown.stderr and "3/3" in shown.stderr
    assert shown.stdout == "Imported teams.csv: 0 created, 0 updated, 3 unchanged.\n"
    monkeypatch.setattr(imports, "LARGE_FILE_ROWS", 3)
    small = run("teams", FIXTURES / "teams.csv")
    assert (small.exit_code, small.stderr) == (0, "")


def test_an_excel_workbook_imports_like_its_csv(database: Path, tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "Users"
    teams = book.create_sheet("Teams")
    for row in (["Name", "Time Zone"], ["East", "America/New_York"], ["West", None]):
        teams.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = run("teams", path)
    assert (result.exit_code, result.stderr) == (0, f"Started a new book at {database}.\n")
    assert result.stdout == "Imported book.xlsx (sheet Teams): 2 created, 0 updated, 0 unchanged.\n"
    assert rows(database, "SELECT name, timezone FROM teams ORDER BY name") == [
        ("East", "America/New_York"),
        ("West", "UTC"),
    ]


def test_steps_are_checked_against_the_playbooks_of_the_settings(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_fixtures("teams", "users", "accounts")
    steps = tmp_path / "steps.csv"
    steps.write_text("account,step,done_on\nGlobex,quarterly-review,2026-01-01\n", encoding="utf-8")
    refused = run("steps", steps)
    assert refused.exit_code == 1
    unknown = "line 2: step: 'quarterly-review' is not a step of the onboarding playbook"
    assert unknown in refused.stderr
    monkeypatch.setenv("ACCOUNTBOT_PLAYBOOKS_DIR", str(tmp_path / "nowhere"))
    broken = run("steps", steps)
    assert (broken.exit_code, broken.stderr.startswith("Configuration error: ")) == (2, True)


def test_a_meeting_kind_of_the_teams_own_shows_as_written(database: Path, tmp_path: Path) -> None:
    import_fixtures("teams", "users", "accounts")
    meetings = tmp_path / "meetings.csv"
    meetings.write_text(
        "account,am_email,occurred_at,kind\n"
        "Acme Corp,ann.lee@example.com,2026-03-02T15:00:00Z,QBR\n"
        "Acme Corp,ann.lee@example.com,2026-03-09T15:00:00Z,  Demo with the CFO\n",
        encoding="utf-8",
    )
    assert run("meetings", meetings).exit_code == 0
    status = CliRunner().invoke(app, ["status", "acme corp"])
    assert status.exit_code == 0
    [last] = [line for line in status.stdout.splitlines() if "Last meeting" in line]
    assert last.endswith("(Demo with the CFO), no recap yet")
