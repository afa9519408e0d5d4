"""`accountbot demo`: a generated book in a fresh SQLite file and a console scripted on stdin."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


def test_demo_seeds_a_book_and_answers_scripted_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACCOUNTBOT_LOG_LEVEL", "WARNING")
    database = tmp_path / "demo.db"
    script = "list at-risk\nstatus acme robotics\nkpi team\nnudges\nquit\nstatus never-run\n"
    result = CliRunner().invoke(app, ["demo", "--database", str(database)], input=script)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("accountbot demo: a generated book of ")
    assert "Accounts at risk (1–10 of " in out
    assert "Acme Robotics: " in out and "Owner " in out
    assert "week " in out and "Recaps within 24 h" in out
    assert "never-run" not in out.split("/account quit")[1]  # stops at quit
    assert "INFO" not in out and "Traceback" not in out
    with sqlite3.connect(database) as connection:
        (accounts,) = connection.execute("SELECT count(*) FROM accounts").fetchone()
        stages = {s for (s,) in connection.execute("SELECT DISTINCT stage FROM accounts")}
    assert accounts > 100
    assert stages == {"onboarding", "adaptation", "growth", "renewal"}


def test_demo_starts_from_a_fresh_book_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "demo.db"
    for _ in range(2):
        result = CliRunner().invoke(app, ["demo", "--database", str(database)], input="quit\n")
        assert result.exit_code == 0, result.output
    with sqlite3.connect(database) as connection:
        (names,) = connection.execute("SELECT count(DISTINCT name) FROM teams").fetchone()
        (teams,) = connection.execute("SELECT count(*) FROM teams").fetchone()
    assert names == teams == 3
