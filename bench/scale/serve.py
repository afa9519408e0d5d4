"""``accountbot serve`` as deployed, under the chat load: its peak resident memory.

The server runs as a subprocess (``--no-scheduler``: the timed jobs are measured on their
own) with DATABASE_URL on the book and SLACK_API_URL on the fake Slack, its clock pinned to
the book's date (:mod:`bench.scale.pinned_serve`).
Every chat scenario is sent to it as in :mod:`bench.scale.chat`; then its peak RSS (VmHWM) is
read from /proc before it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.scale.books import Book
from bench.scale.chat import Plan, run_scenarios, scenarios
from bench.scale.season import NOW
from bench.scale.slack import BOT_TOKEN, SIGNING_SECRET, Asker, Slack

START_TIMEOUT_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(port: int) -> list[str]:
    pinned = [sys.executable, "-m", "bench.scale.pinned_serve", NOW.isoformat()]
    return [*pinned, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]


def _memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident) and VmRSS of a process, in MiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0]) / 1024
    return found


async def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"accountbot serve exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError("accountbot serve did not come up")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def measure_serve(book: Book, plan: Plan, workdir: Path) -> dict[str, Any]:
    slack = Slack()
    await slack.start()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": book.url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ACCOUNTBOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("SLACK_APP_TOKEN", None)
    log = workdir / f"serve-{book.backend}-{book.scale}.log"
    with log.open("wb") as output:
        proc = subprocess.Popen(
            _command(port), env=env, stdout=output, stderr=subprocess.STDOUT, cwd=workdir
        )
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_until_up(base, proc)
        idle = _memory_mb(proc.pid)
        async with aiohttp.ClientSession() as http:
            asker = Asker(f"{base}/slack/events", slack, http)
            results = await run_scenarios(asker, scenarios(book.actors), plan)
        memory = _memory_mb(proc.pid)
    finally:
        _stop(proc)
        await slack.stop()
    return {
        "peak_rss_mb": round(memory["VmHWM"], 1),
        "rss_after_mb": round(memory["VmRSS"], 1),
        "rss_idle_mb": round(idle["VmRSS"], 1),
        "requests": sum(r["n"] + 1 for r in results.values()),
        "apologies": sum(r["apologies"] for r in results.values()),
        "slowest_p99_ms": max(r["p99_ms"] for r in results.values()),
    }
