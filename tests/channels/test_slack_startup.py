"""Start-up: Slack settings are checked before anything runs, naming what is missing; serving
keeps what start-up built out of the garbage collector's walks."""

from __future__ import annotations

import gc
import logging
import weakref
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import build_app
from bot.cli import app as cli
from bot.errors import ConfigError
from bot.server import database_problem, keep_startup_out_of_collections
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import ProcessedEvent
from tests.channels.conftest import BOT_TOKEN, SIGNING_SECRET, slack_settings


@pytest.mark.parametrize(
    ("overrides", "socket_mode", "named"),
    [
        ({"slack_signing_secret": None}, False, "SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": None}, False, "SLACK_BOT_TOKEN"),
        ({"slack_bot_token": "   "}, False, "SLACK_BOT_TOKEN"),
        ({"slack_bot_token": "xoxp-user-token"}, False, "SLACK_BOT_TOKEN"),
        ({"slack_app_token": None}, True, "SLACK_APP_TOKEN"),
    ],
)
def test_build_app_names_the_missing_slack_setting(
    overrides: dict[str, object], socket_mode: bool, named: str
) -> None:
    settings = slack_settings("sqlite:///unused.db", "http://127.0.0.1:9/api/", **overrides)
    with pytest.raises(ConfigError, match=named):
        build_app(settings, socket_mode=socket_mode)


def test_build_app_warns_of_nothing_when_the_token_is_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)  # as `serve` is configured
    settings = slack_settings("sqlite:///unused.db", "http://127.0.0.1:9/api/")
    with caplog.at_level(logging.DEBUG):
        build_app(settings)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_build_app_without_slack_needs_no_slack_settings() -> None:
    settings = slack_settings(
        "sqlite:///unused.db",
        "http://127.0.0.1:9/api/",
        slack_bot_token=None,
        slack_signing_secret=None,
    )
    built = build_app(settings, slack=False)
    assert built.slack is None
    assert [
        r.resource.canonical
        for r in built.web.router.routes()  # type: ignore[union-attr]
    ] == ["/healthz", "/healthz", "/charts/{name}", "/charts/{name}"]  # GET and its HEAD


def test_serve_without_signing_secret_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/accountbot.db")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "3999"])
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET" in result.output
    assert "Traceback" not in result.output
    assert SIGNING_SECRET not in result.output and BOT_TOKEN not in result.output


async def test_start_up_never_creates_a_missing_sqlite_database(tmp_path: Path) -> None:
    missing = tmp_path / "accountbot.db"
    problem = await database_problem(f"sqlite:///{missing}")
    assert problem is not None
    assert f"There is no database at {missing}" in problem
    assert "accountbot db upgrade" in problem
    assert not missing.exists()


async def test_start_up_migrates_an_existing_embedded_sqlite_database(sqlite_url: str) -> None:
    Path(sqlite_url.removeprefix("sqlite:///")).touch()  # e.g. restored from a backup, empty
    assert await database_problem(sqlite_url) is None
    database = Database(sqlite_url)
    try:
        async with database.read_only() as session:
            assert (await session.scalars(select(ProcessedEvent))).all() == []
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_start_up_asks_for_db_upgrade_when_postgresql_is_behind(postgres_url: str) -> None:
    problem = await database_problem(postgres_url)
    assert problem is not None and "run `accountbot db upgrade` first" in problem
    await upgrade_async(postgres_url)
    assert await database_problem(postgres_url) is None


async def test_start_up_reports_an_unreachable_database_without_its_password() -> None:
    problem = await database_problem("postgresql://bot:s3cret@127.0.0.1:1/accountbot")
    assert problem is not None and problem.startswith("Could not open the database")
    assert "s3cret" not in problem


def test_serving_keeps_start_up_out_of_collections_but_not_its_garbage() -> None:
    """What start-up built is frozen out of the collector's walks (a full collection stops
    every request), after garbage left over from start-up is collected, never kept."""

    class Cycle:
        other: object = None

    garbage = Cycle()
    garbage.other = Cycle()
    garbage.other.other = garbage  # type: ignore[attr-defined]
    gone = weakref.ref(garbage)
    kept = [object() for _ in range(10)]
    del garbage
    assert gone() is not None  # a cycle: refcounting alone does not free it
    try:
        keep_startup_out_of_collections()
        assert gone() is None
        assert gc.get_freeze_count() > len(kept)
        assert all(o is not kept for o in gc.get_objects())  # in no generation: frozen
    finally:
        gc.unfreeze()
