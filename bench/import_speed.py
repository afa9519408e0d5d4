"""How fast a large meetings file imports on SQLite: ``python -m bench.import_speed``.

In a temporary directory it seeds the generated book (``bench.generate``, scale 1), exports its
teams, people and accounts with ``accountbot export``'s code and imports them into a fresh
database, as a team moving in would. Then it writes a meetings CSV of ``--rows`` rows (default
100,000) over the book's accounts, each met by its owner every few days back over the years,
with the team's own kinds, recaps and some times without an offset, and imports it the way
``accountbot import meetings FILE`` does: read, check every row, write, commit. It prints the
time and writes it to bench/results/import_speed.json (git-ignored); it exits 1 when the import
takes ``--limit`` seconds (default 60) or more.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.generate import generate
from bot.playbooks import load_playbooks
from bot.services.imports import SPECS, ImportKind, ImportResult, import_table, read_file
from bot.services.imports.export import export_book
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import Account, User

RESULTS = Path(__file__).resolve().parent / "results" / "import_speed.json"
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
KINDS = ("call", "QBR", "demo", "sync", "Renewal talk", "escalation")


async def _import(url: str, kind: ImportKind, path: Path) -> ImportResult:
    table = read_file(path, kind=kind.value, known=SPECS[kind].headers)
    database = Database(url)
    try:
        async with database.unit_of_work() as session:
            return await import_table(session, kind=kind.value, table=table, now=NOW)
    finally:
        await database.dispose()


async def move_in(directory: Path) -> tuple[str, list[tuple[str, str]]]:
    """A fresh database holding the book's teams, people and accounts; (account, owner) pairs."""
    book_url = f"sqlite:///{directory / 'book.db'}"
    await generate(book_url, scale=1, now=NOW)
    book = Database(book_url)
    try:
        async with book.read_only() as session:
            files = await export_book(session, playbooks=load_playbooks())
            stmt = select(Account.name, User.email).join(User, User.id == Account.owner_id)
            pairs = [(name, email) for name, email in await session.execute(stmt)]
    finally:
        await book.dispose()
    url = f"sqlite:///{directory / 'moved-in.db'}"
    await upgrade_async(url)
    for file in files[:3]:  # teams, users, accounts
        path = directory / file.name
        path.write_text(file.text, encoding="utf-8", newline="")
        await _import(url, file.kind, path)
    return url, sorted(pairs)


def write_meetings(path: Path, pairs: list[tuple[str, str]], rows: int) -> None:
    """``rows`` meetings, round-robin over the accounts, one per account every few days back
    from 2026-03-01: unique per account, like a CRM's activity log."""
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Account", "AM Email", "Occurred At", "Kind", "Recap Logged At", "Notes"])
        for n in range(rows):
            account, owner = pairs[n % len(pairs)]
            at = start - timedelta(days=3 * (n // len(pairs)), minutes=n % 480)
            # One in five as a spreadsheet writes them: the AM's wall clock, no offset.
            local = n % 5 == 0
            shown, recap = (
                moment.strftime("%Y-%m-%d %H:%M") if local else moment.isoformat()
                for moment in (at, at + timedelta(hours=2))
            )
            kind = KINDS[n % len(KINDS)]
            writer.writerow([account, owner, shown, kind, "" if n % 7 == 0 else recap, f"#{n}"])


async def measure(directory: Path, rows: int) -> dict[str, Any]:
    url, pairs = await move_in(directory)
    path = directory / "meetings.csv"
    write_meetings(path, pairs, rows)
    started = time.perf_counter()
    result = await _import(url, ImportKind.MEETINGS, path)
    seconds = time.perf_counter() - started
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.machine(),
        "rows": rows,
        "accounts": len(pairs),
        "file_bytes": path.stat().st_size,
        "created": result.created,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=100_000, help="meetings in the file")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds the import may take")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be 1 or more")
    with tempfile.TemporaryDirectory(prefix="accountbot-import-") as directory:
        report = asyncio.run(measure(Path(directory), args.rows))
    print(
        f"Imported {report['rows']:,} meetings ({report['file_bytes'] / 1e6:.1f} MB, "
        f"{report['accounts']} accounts) on SQLite in {report['seconds']:.1f} s "
        f"({report['rows_per_second']:,} rows/s)."
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if report["created"] != args.rows or report["seconds"] >= args.limit:
        print(f"Missed: {args.rows:,} rows created in under {args.limit:g} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
