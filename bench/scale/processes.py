"""Servers the benchmark measures, each in a process of its own, as they would be deployed.

The load generator and the fake Slack stay in the benchmark's process; the server under test
(``accountbot serve``, or the bare Bolt app) gets its own interpreter and event loop, so its
answers are not slowed by the requests being sent to it, and its memory can be read from /proc.
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
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

START_TIMEOUT_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Running:
    base: str  # http://127.0.0.1:<port>
    pid: int

    def cpu_ms(self) -> float:
        """CPU time the process has used so far (user and system, every thread), in ms."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> dict[str, float]:
        """VmHWM (peak resident) and VmRSS of the process, in MiB."""
        found = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0]) / 1024
        return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


async def _wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{tail}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{proc.args!r} did not come up")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@asynccontextmanager
async def server_process(
    argv: list[str], port: int, env: Mapping[str, str | None], log: Path
) -> AsyncIterator[Running]:
    """``argv`` serving on ``port`` (up once /healthz answers 200), stopped on exit, with
    ``env`` over ours (None: unset); its output goes to ``log``."""
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    with log.open("wb") as output:
        proc = subprocess.Popen(
            argv, env=full_env, stdout=output, stderr=subprocess.STDOUT, cwd=log.parent
        )
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_until_up(base, proc, log)
        yield Running(base, proc.pid)
    finally:
        _stop(proc)
