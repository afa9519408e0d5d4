"""`accountbot db upgrade`."""

from __future__ import annotations

import typer

from bot.cli.common import fail, load_settings
from storage.migrate import upgrade_database


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
        """Migrate the database in DATABASE_URL to the latest schema."""
        settings = load_settings()
        try:
            upgrade_database(settings.database_url, revision)
        except Exception as exc:  # connection refused, bad URL, …: say it plainly
            fail(f"Could not migrate the database: {type(exc).__name__}: {exc}", code=1)
        typer.echo(f"Database is at revision {revision}.")

    app.add_typer(db_app, name="db")
