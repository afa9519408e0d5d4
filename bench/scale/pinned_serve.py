"""``accountbot serve`` with its clock pinned to the book's date (the generated books are
dated, so a server on today's clock would find every meeting and renewal long past).

``python -m bench.scale.pinned_serve 2026-03-11T14:30:00+00:00 serve --port …``: the real
command line (bot.cli), with ``bot.app.build_app`` given ``clock=`` that moment; nothing else
changes.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import bot.app


def main() -> None:
    now = datetime.fromisoformat(sys.argv[1])
    build = bot.app.build_app

    def pinned(settings: Any, **options: Any) -> bot.app.AccountBotApp:
        options.setdefault("clock", lambda: now)
        return build(settings, **options)

    bot.app.build_app = pinned
    from bot.cli import main as cli

    sys.argv = ["accountbot", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
