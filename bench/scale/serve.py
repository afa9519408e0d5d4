"""``accountbot serve`` as deployed, in a process of its own, for the chat figures.

The server runs ``--no-scheduler`` (the timed jobs are measured on their own) with DATABASE_URL
on the book and SLACK_API_URL on the fake Slack, its clock pinned to the book's date
(:mod:`bench.scale.pinned_serve`: the only change). Its peak resident memory (VmHWM) under the
chat load is read from /proc before it is stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bench.scale.books import Book
from bench.scale.processes import Running, free_port, python_module, server_process
from bench.scale.season import NOW
from bench.scale.slack import BOT_TOKEN, SIGNING_SECRET, Slack


@asynccontextmanager
async def accountbot_process(book: Book, slack: Slack, workdir: Path) -> AsyncIterator[Running]:
    port = free_port()
    argv = python_module("bench.scale.pinned_serve", NOW.isoformat(), "serve")
    argv += ["--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]
    env: dict[str, str | None] = {
        "DATABASE_URL": book.url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_APP_TOKEN": None,
        "ACCOUNTBOT_LOG_LEVEL": "WARNING",
    }
    log = workdir / f"serve-{book.backend}-{book.scale}-{port}.log"
    async with server_process(argv, port, env, log) as running:
        yield running


@asynccontextmanager
async def bare_process(slack: Slack, workdir: Path) -> AsyncIterator[Running]:
    """The bare Bolt app (`bench.scale.bare_serve`) beside it, the same way."""
    port = free_port()
    argv = python_module("bench.scale.bare_serve", str(port), slack.api_url)
    async with server_process(argv, port, {}, workdir / f"bare-{port}.log") as running:
        yield running
