"""The `accountbot` command line."""

from __future__ import annotations

import typer

from bot.cli import db, delivery, demo, reports, teams

app = typer.Typer(
    name="accountbot",
    help="accountbot: an assistant for account managers, in Slack, Teams and here.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # wrapped lines of a docstring join, as in a paragraph
)

for module in (db, reports, delivery, demo, teams):
    module.register(app)


def _register_optional() -> None:
    """Command groups that land in their own modules."""
    from bot.cli import export, imports, serve

    imports.register(app)
    export.register(app)
    serve.register(app)


_register_optional()


def main() -> None:
    app()
