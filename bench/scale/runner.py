"""One run: every book (size × backend), every part, then the delivery benchmark."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench import delivery
from bench.scale.books import Book, postgres_book, postgres_version, sqlite_book
from bench.scale.chat import Plan, measure_chat
from bench.scale.digests import measure_digests
from bench.scale.figures import all_figures
from bench.scale.flat import measure_flat
from bench.scale.nudges import measure_nudges
from bench.scale.report import machine
from bench.scale.season import NOW
from storage.db import Database
from tests.support.postgres import PostgresServer, PostgresServerError

PARTS = ("chat", "nudges", "digests", "delivery")


@dataclass
class Options:
    sizes: list[int] = field(default_factory=lambda: [5000, 50000])
    backends: list[str] = field(default_factory=lambda: ["sqlite", "postgresql"])
    plan: Plan = field(default_factory=Plan)
    repeat: int = 3
    parts: tuple[str, ...] = PARTS
    book_dir: Path | None = None
    delivery_ams: int = 500
    delivery_rate: float = 50.0


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def measure_book(book: Book, options: Options, workdir: Path) -> dict[str, Any]:
    run: dict[str, Any] = {
        "backend": book.backend,
        "size": book.size,
        "book": {
            "scale": book.scale,
            **book.counts,
            "seconds_to_generate": book.seconds_to_generate,
        },
        "actors": {role: asdict(actor) for role, actor in book.actors.items()},
    }
    made = f"generated in {book.seconds_to_generate} s" if book.seconds_to_generate else "kept"
    say(f"{book.label} ({made})")
    if "chat" in options.parts:
        run["chat"] = await measure_chat(book, options.plan, workdir)
        run["serve"] = s = run["chat"].pop("serve")  # its memory under the chat load
        worst = max(run["chat"]["scenarios"].values(), key=lambda r: r["ratio"])
        say(f"  chat: worst p99 {worst['p99_ms']} ms ({worst['ratio']}x bare), {worst['label']}")
        say(f"  serve: peak RSS {s['peak_rss_mb']} MiB")
    db = Database(book.url)
    try:
        if "nudges" in options.parts:
            run["nudges"] = n = await measure_nudges(db, NOW, options.repeat)
            say(f"  nudges: {n['due_items']} due, {n['ratio']:.2f}x SQL, same: {n['equal']}")
        if "digests" in options.parts:
            run["digests"] = d = await measure_digests(db, NOW, options.repeat)
            say(f"  digests: {d['teams']} teams, {d['ratio']:.2f}x SQL, same: {d['equal']}")
    finally:
        await db.dispose()
    return run


Opener = Callable[[int], AbstractAsyncContextManager[Book]]


async def _backend_runs(
    backend: str, opener: Opener, options: Options, workdir: Path, report: dict[str, Any]
) -> None:
    """Every size on one backend; the books stay open for the flat comparison at the end."""
    async with AsyncExitStack() as stack:
        books = []
        for size in sorted(options.sizes):
            book = await stack.enter_async_context(opener(size))
            books.append(book)
            report["runs"].append(await measure_book(book, options, workdir))
        if "chat" in options.parts and len(books) > 1:
            report["flat"][backend] = await measure_flat(books, options.plan, workdir)
            say(f"  flat: the AM's own views on {len(books)} books, in turns")


def production_settings(memory_bytes: int | None = None) -> dict[str, str]:
    """postgresql.conf as a production server on this machine would have it (the usual rules
    for a dedicated server on SSDs): a quarter of the memory for shared buffers (up to 8 GB),
    the planner told that the OS caches three quarters, random reads priced as on SSDs.
    PostgreSQL's defaults (128 MB of shared buffers) would leave a 500,000-account book, about
    2.6 GB, to the OS cache; both sides of every ratio run on the same server. The test
    suite's servers keep the defaults."""
    memory = memory_bytes or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    mib = memory // 2**20
    return {
        "shared_buffers": f"{min(mib // 4, 8192)}MB",
        "effective_cache_size": f"{mib * 3 // 4}MB",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
    }


async def _postgres_runs(options: Options, workdir: Path, report: dict[str, Any]) -> None:
    settings = production_settings()
    server = PostgresServer.from_env(settings=settings)
    try:
        server.start()
    except PostgresServerError as exc:
        report["skipped"].append(f"PostgreSQL: {str(exc).splitlines()[0]}")
        say(f"PostgreSQL skipped: {exc}")
        return
    try:
        report["postgresql_version"] = await postgres_version(server)
        if not server.is_external:
            report["postgresql_settings"] = settings
        await _backend_runs(
            "postgresql", lambda size: postgres_book(size, server), options, workdir, report
        )
    finally:
        server.stop()


async def measure(options: Options) -> dict[str, Any]:
    report: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "book_now": NOW.isoformat(),
        "options": {
            "sizes": options.sizes,
            "backends": options.backends,
            "plan": asdict(options.plan),
            "repeat": options.repeat,
            "parts": list(options.parts),
        },
        "runs": [],
        "flat": {},
        "skipped": [],
    }
    with tempfile.TemporaryDirectory(prefix="accountbot-scale-") as tmp:
        workdir = Path(tmp)
        for backend in options.backends:
            if backend == "postgresql":
                await _postgres_runs(options, workdir, report)
            else:
                opener = partial(sqlite_book, workdir=workdir, cache=options.book_dir)
                await _backend_runs("sqlite", opener, options, workdir, report)
        if "delivery" in options.parts:
            report["delivery"] = await delivery.measure(
                workdir, options.delivery_ams, options.delivery_rate
            )
            say(f"delivery: {report['delivery']['ratio']}x the floor")
    report["machine"] = machine(report.get("postgresql_version"), report.get("postgresql_settings"))
    report["figures"] = [f.to_dict() for f in all_figures(report)]
    return report
