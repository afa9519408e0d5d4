"""`accountbot export DIR` on real SQLite files: the files, the refusal to overwrite, and the
round trip through `accountbot import` into an empty database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "csv"
KINDS = ["teams", "users", "accounts", "contracts", "meetings", "upsells", "satisfaction"]
KINDS += ["deliverables", "steps"]


@pytest.fixture(autouse=True)
def quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file
    monkeypatch.setenv("ACCOUNTBOT_LOG_LEVEL", "WARNING")


def run(database: Path, *args: str | Path) -> Result:
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    return CliRunner().invoke(app, [str(arg) for arg in args], env=env)


def test_export_then_import_into_an_empty_database_then_export_gives_identical_files(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    for kind in KINDS[:-1]:
        assert run(first, "import", kind, FIXTURES / f"{kind}.csv").exit_code == 0
    exported = run(first, "export", tmp_path / "out")
    assert (exported.exit_code, exported.stderr) == (0, "")
    assert exported.stdout == (
        f"Exported to {tmp_path / 'out'}: 3 teams, 4 users, 3 accounts, 3 contracts, "
        "3 meetings, 3 upsells, 3 satisfaction, 2 deliverables, 0 steps.\n"
    )
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert files == sorted(f"{kind}.csv" for kind in KINDS)
    for kind in KINDS:
        imported = run(second, "import", kind, tmp_path / "out" / f"{kind}.csv")
        new_book = f"Started a new book at {second}.\n" if kind == KINDS[0] else ""
        assert (imported.exit_code, imported.stderr) == (0, new_book), kind
    assert run(second, "export", tmp_path / "again").exit_code == 0
    for name in files:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()
    raw = (tmp_path / "out" / "accounts.csv").read_bytes()
    assert raw.startswith(b"name,owner_email,") and b"\r" not in raw  # no BOM, \n line ends


def test_export_refuses_to_overwrite_files_unless_forced(tmp_path: Path) -> None:
    database = tmp_path / "book.db"
    assert run(database, "import", "teams", FIXTURES / "teams.csv").exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    (out / "teams.csv").write_text("mine\n", encoding="utf-8")
    (out / "notes.txt").write_text("keep\n", encoding="utf-8")
    refused = run(database, "export", out)
    assert refused.exit_code == 2
    assert refused.stderr == f"{out} already has teams.csv; use --force to overwrite them.\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "teams.csv"]
    forced = run(database, "export", out, "--force")
    assert forced.exit_code == 0
    assert (out / "teams.csv").read_text(encoding="utf-8").startswith("name,slack_channel_id,")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep\n"
    assert (out / "steps.csv").read_text(encoding="utf-8") == "account,step,done_on,done_by_email\n"
