"""`accountbot status`, `digest`, `nudges` and `db upgrade` on a real SQLite file.

The book is imported through `accountbot import` with dates relative to today (the command
line reads the real clock), so the expected numbers are computed from the same dates.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.services.kpis import IsoWeek

TODAY = datetime.now(UTC).date()


def _iso(day: date) -> str:
    return day.isoformat()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small book imported through the CLI into a fresh SQLite file, once for the module."""
    folder = tmp_path_factory.mktemp("imported")
    database = folder / "book.db"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(folder)
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
        monkeypatch.setenv("ACCOUNTBOT_LOG_LEVEL", "WARNING")
        _import_book(folder)
    return database


@pytest.fixture
def book(imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of that book of the test's own (the CLI may write to it); returns the file."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "book.db"
    shutil.copyfile(imported, database)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ACCOUNTBOT_LOG_LEVEL", "WARNING")
    return database


def _import_book(tmp_path: Path) -> None:
    started = TODAY - timedelta(days=200)
    meeting_at = datetime.combine(TODAY - timedelta(days=3), datetime.min.time(), UTC)
    files = {
        "teams": "name,slack_channel_id,timezone\nAtlas,C1,UTC\n",
        "users": "email,name,role,team,seniority,slack_user_id,teams_aad_object_id,timezone\n"
        "ann@example.com,Ann Lee,am,Atlas,senior,,,\n"
        "hana@example.com,Hana Ito,head,,,,,\n",
        "accounts": "name,owner_email,exec_sponsor_email,stage,mrr,started_on,"
        "onboarding_completed_on,churned_on,churn_reason\n"
        f"Acme Corp,ann@example.com,hana@example.com,growth,12000.50,{_iso(started)},"
        f"{_iso(started + timedelta(days=6))},,\n"
        f"Globex,ann@example.com,,adaptation,800,{_iso(started)},{_iso(started)},,\n",
        "contracts": "account,start_on,end_on,value,auto_renew\n"
        f"Acme Corp,{_iso(started)},{_iso(TODAY + timedelta(days=45))},150000,yes\n",
        "meetings": "account,am_email,occurred_at,kind,recap_logged_at\n"
        f"Acme Corp,ann@example.com,{meeting_at.isoformat()},qbr,\n",
    }
    for kind, content in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content)
        result = run("import", kind, str(path))
        assert result.exit_code == 0, result.output


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_status_json_has_the_documented_fields(book: Path) -> None:
    result = run("status", "acme", "--format", "json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert {k: status[k] for k in ("name", "stage", "owner_email", "exec_sponsor_email")} == {
        "name": "Acme Corp",
        "stage": "growth",
        "owner_email": "ann@example.com",
        "exec_sponsor_email": "hana@example.com",
    }
    assert status["mrr"] == 12000.5
    assert status["renewal_on"] == _iso(TODAY + timedelta(days=45))
    assert status["days_to_renewal"] == 45
    assert status["missed_recaps"] == 1
    assert status["open_objections"] == 0
    assert status["playbook"]["stage"] == "growth"
    assert status["playbook"]["done"] == 0
    assert status["playbook"]["total"] == len(status["playbook"]["steps"]) > 0
    assert set(status["playbook"]["steps"][0]) == {"id", "title", "done", "due_on"}


def test_status_text_reads_like_the_chat_answer(book: Path) -> None:
    result = run("status", "acme corp")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Acme Corp: growth stage")
    assert "Exec sponsor    Hana Ito <hana@example.com>" in result.stdout
    assert "(in 45 days), auto-renews" in result.stdout


def test_unknown_account_exits_1_with_suggestions_and_no_traceback(book: Path) -> None:
    result = run("status", "acne corp")
    assert result.exit_code == 1
    assert "No account matches “acne corp”." in result.stderr
    assert "Acme Corp" in result.stderr
    assert "Traceback" not in result.output


def test_digest_json_for_a_chosen_week(book: Path) -> None:
    week = IsoWeek.containing(TODAY - timedelta(days=3))
    result = run("digest", "--team", "atlas", "--week", str(week), "--format", "json")
    assert result.exit_code == 0, result.output
    digest = json.loads(result.stdout)
    assert (digest["team"], digest["week"]) == ("Atlas", str(week))
    assert digest["kpis"]["accounts_active"] == 2
    assert digest["kpis"]["meetings"] == 1
    assert digest["kpis"]["recap_compliance"] == 0.0
    assert [am["user_email"] for am in digest["by_am"]] == ["ann@example.com"]


def test_digest_json_carries_the_changes_the_reasons_each_am_and_the_chart(book: Path) -> None:
    week = IsoWeek.containing(TODAY - timedelta(days=3))
    result = run("digest", "--team", "atlas", "--week", str(week), "--format", "json")
    digest = json.loads(result.stdout)
    assert list(digest)[:4] == ["team", "week", "kpis", "by_am"]
    assert {"changes", "reasons", "people", "needs_attention", "chart", "targets"} <= set(digest)
    recaps = digest["changes"]["recap_compliance"]
    assert (recaps["value"], recaps["previous"], recaps["direction"]) == (0.0, None, None)
    assert digest["targets"]["avg_onboarding_days"] == {"below": 8.0}
    assert [p["user_email"] for p in digest["people"]] == ["ann@example.com"]
    assert digest["people"][0]["on_track"] is False
    assert digest["chart"]["weeks"][-1] == str(week) and len(digest["chart"]["weeks"]) == 8
    assert digest["chart"]["recap_compliance"][-1] == 0.0
    assert all(isinstance(r["text"], str) for r in digest["reasons"])


def test_digest_chart_writes_a_png_and_the_text_says_where(book: Path, tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    result = run("digest", "--team", "Atlas", "--chart", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"Chart, last 8 weeks: {target}" in result.stdout
    assert "Why it changed:" in result.stdout and "Needs attention:" in result.stdout
    refused = run("digest", "--send", "--chart", str(target))
    assert refused.exit_code != 0 and "--chart" in refused.output


def test_digest_defaults_to_the_last_completed_week_of_every_team(book: Path) -> None:
    result = run("digest", "--format", "json")
    assert result.exit_code == 0, result.output
    digests = json.loads(result.stdout)
    assert [(d["team"], d["week"]) for d in digests] == [
        ("Atlas", str(IsoWeek.last_completed(TODAY)))
    ]


def test_digest_with_a_bad_week_or_team_explains_and_exits_non_zero(book: Path) -> None:
    bad_week = run("digest", "--week", "2026-W60")
    assert bad_week.exit_code != 0
    assert "2026 has no week 60" in bad_week.output
    bad_team = run("digest", "--team", "Nowhere")
    assert bad_team.exit_code == 1
    assert "Nowhere" in bad_team.output
    assert "Traceback" not in bad_week.output + bad_team.output


def test_nudges_as_of_lists_the_missed_recap_and_records_nothing(book: Path) -> None:
    as_of = datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=9).isoformat()
    result = run("nudges", "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.output
    nudges = json.loads(result.stdout)
    recaps = [n for n in nudges if n["kind"] == "missed_recap"]
    assert [(n["user_email"], n["account"]) for n in recaps] == [("ann@example.com", "Acme Corp")]
    renewal = [n for n in nudges if n["kind"] == "renewal"]
    assert [(n["account"], n["window_days"]) for n in renewal] == [("Acme Corp", 60)]
    with sqlite3.connect(book) as connection:
        assert connection.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    again = run("nudges", "--as-of", as_of, "--format", "json")
    assert json.loads(again.stdout) == nudges


def test_nudges_refuses_a_time_without_an_offset(book: Path) -> None:
    result = run("nudges", "--as-of", "2026-03-01T09:00:00")
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_db_upgrade_migrates_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"accounts", "meetings", "outbox", "audit_log", "alembic_version"} <= tables


def test_every_command_has_help() -> None:
    for command in ("import", "status", "digest", "nudges", "demo", "serve", "db"):
        result = run(command, "--help")
        assert result.exit_code == 0, command
        assert "Usage" in result.output


def test_the_list_of_commands_reads_each_ones_help_as_one_paragraph() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "220"})
    assert result.exit_code == 0
    digest = next(line for line in result.output.splitlines() if " digest " in line)
    assert "ISO week against targets, the change from the week before and why" in digest
