"""`accountbot teams-package`: the zip a person uploads to add accountbot to Teams."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import fail


def register(app: typer.Typer) -> None:
    @app.command("teams-package")
    def teams_package(
        app_id: str = typer.Option(
            ..., "--app-id", help="The Azure Bot's Microsoft App ID (MicrosoftAppId), a GUID."
        ),
        host: str | None = typer.Option(
            None,
            "--host",
            help="Public host name serving https://HOST/api/messages, without https:// or path.",
        ),
        out: Path = typer.Option(Path("accountbot-teams.zip"), "--out", help="Zip to write."),
    ) -> None:
        """Write the Teams app package: manifest.json, color.png and outline.png in a zip."""
        from bot.channels.teams_package import PackageError, package

        try:
            data = package(app_id, host)
        except PackageError as exc:
            fail(str(exc))
        try:
            out.write_bytes(data)
        except OSError as exc:
            fail(f"Could not write {out}: {exc.strerror or exc}.", code=1)
        typer.echo(
            f"Wrote {out}. In Teams: Apps → Manage your apps → Upload an app → "
            "Upload a custom app, and pick this file."
        )
