"""Seed a database with a generated book: ``python -m bench.generate --scale N --database-url URL``.

The database is migrated first, so an empty SQLite file or PostgreSQL database will do. It must
not already hold a book (names and e-mails are unique). Also callable: :func:`generate`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.demo.book import DemoBook, seed_demo_book
from storage.db import Database
from storage.migrate import upgrade_async


async def generate(
    database_url: str, *, scale: int, seed: int = 7, now: datetime | None = None
) -> DemoBook:
    """Migrate ``database_url`` and seed a book of ``scale`` (3 × scale teams) as of ``now``."""
    await upgrade_async(database_url)
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return await seed_demo_book(
                session, now=now or datetime.now(UTC), seed=seed, scale=scale
            )
    finally:
        await database.dispose()


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no timezone; add Z or +00:00")
    return moment


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="3 × scale teams (default 1)")
    parser.add_argument("--database-url", required=True, help="sqlite:///file.db or postgresql://…")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", type=_aware, help="ISO time the book is dated from (default: now)")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be 1 or more")
    started = time.perf_counter()
    book = asyncio.run(generate(args.database_url, scale=args.scale, seed=args.seed, now=args.now))
    took = time.perf_counter() - started
    print(
        f"Seeded {book.teams} teams, {book.users} people, {book.accounts} accounts, "
        f"{book.meetings} meetings in {took:.1f}s (seed {book.seed}, scale {book.scale})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
