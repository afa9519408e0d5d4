"""Chat answers for every role, against a bare Bolt app, over real HTTP on loopback.

Both servers run as deployed, each in a process of its own (`bench.scale.serve`): accountbot
``serve`` on the book, and the bare app. The load generator and the fake Slack stay here.
Each scenario (a role and what they ask) is sent ``Plan.requests`` times, ``Plan.concurrency``
at a time, after one untimed warm-up, and stops early once ``Plan.budget`` seconds have gone
by (after at least ``Plan.minimum`` requests). A request is timed from just before it is posted
to /slack/events until its answer reaches the fake Slack (response_url, or views.publish for
App Home). The bare app (a Bolt AsyncApp behind the same /slack/events endpoint that acks and
answers a constant through the same response_url client) is sampled before each role's
scenarios and after the last, and its pooled p99 is what each scenario's p99 is divided by.
``mixed`` times the AM's `status` while a head keeps opening App Home, one request at a time:
what one heavy request does to everyone else's on the single event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.scale.books import Actor, Book
from bench.scale.processes import Running
from bench.scale.serve import accountbot_process, bare_process
from bench.scale.slack import Asker, Slack
from bench.scale.timing import percentile

Ask = Callable[[], Awaitable[float]]
ROLES = ("am", "lead", "head", "ops")
AM_OWN_VIEWS = ("am.status", "am.list_mine", "am.home")
BARE_USER = "UBARE0001"


@dataclass(frozen=True, slots=True)
class Plan:
    requests: int = 200  # p99 the second slowest: of 60 it was the slowest, one hiccup
    concurrency: int = 4
    budget: float = 20.0
    minimum: int = 8


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    label: str
    user: str
    text: str | None  # None: App Home

    def ask(self, asker: Asker) -> Ask:
        if self.text is None:
            return lambda: asker.home(self.user)
        text = self.text
        return lambda: asker.command(text, self.user)


def typo(name: str) -> str:
    """The name with two letters of its longest word swapped (or one replaced)."""
    words = name.split(" ")
    i = max(range(len(words)), key=lambda n: len(words[n]))
    word = words[i]
    if len(word) < 3:
        return name + "x"
    mid = len(word) // 2
    a, b = word[mid - 1], word[mid]
    swapped = (
        word[: mid - 1] + b + a + word[mid + 1 :] if a != b else word[:mid] + "q" + word[mid + 1 :]
    )
    words[i] = swapped
    return " ".join(words)


ROLE_NAMES = {"am": "AM", "lead": "lead", "head": "head", "ops": "ops"}


def scenarios(actors: dict[str, Actor]) -> list[Scenario]:
    out = []
    for role in ROLES:
        actor = actors[role]
        team = f" {actor.team}" if role in ("head", "ops") else ""
        asks = {  # key: (label, command text; None for App Home)
            "status": ("status ‹account›", f"status {actor.account}"),
            "list_at_risk": ("list at-risk", "list at-risk"),
            "renewals": ("renewals", "renewals"),
            "kpi_team": ("kpi team", f"kpi team{team}"),
            "home": ("App Home", None),
            "misspelt_status": ("status ‹misspelt account›", f"status {typo(actor.account)}"),
        }
        if role == "am":
            asks["list_mine"] = ("list mine", "list mine")
        for what, (label, text) in asks.items():
            out.append(
                Scenario(f"{role}.{what}", f"{ROLE_NAMES[role]}: {label}", actor.slack_id, text)
            )
    return out


def stats(samples: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2) if ms else None,
    }


async def sample(ask: Ask, plan: Plan, *, warm_up: bool = True) -> list[float]:
    """Latencies of up to ``plan.requests`` asks, ``plan.concurrency`` in flight."""
    if warm_up:
        await ask()
    latencies: list[float] = []
    deadline = time.perf_counter() + plan.budget
    issued = 0

    async def worker() -> None:
        nonlocal issued
        while issued < plan.requests and (issued < plan.minimum or time.perf_counter() < deadline):
            issued += 1
            latencies.append(await ask())

    await asyncio.gather(*(worker() for _ in range(plan.concurrency)))
    return latencies


@asynccontextmanager
async def asking(server: Running, slack: Slack) -> AsyncIterator[Asker]:
    """An asker of a server in a process of its own."""
    async with aiohttp.ClientSession() as http:
        yield Asker(f"{server.base}/slack/events", slack, http)


async def run_scenarios(
    asker: Asker, server: Running, chosen: list[Scenario], plan: Plan
) -> dict[str, Any]:
    results = {}
    for scenario in chosen:
        apologies, fallbacks = asker.slack.apologies, asker.slack.fallback_dms
        ask = scenario.ask(asker)
        await ask()  # the untimed warm-up (the first name search of a run loads the names)
        cpu_before = server.cpu_ms()
        latencies = await sample(ask, plan, warm_up=False)
        results[scenario.key] = {
            "label": scenario.label,
            "text": scenario.text,
            **stats(latencies),
            # the server's CPU per timed answer: what the p99 is made of, without the waits a
            # busy machine adds
            "cpu_ms": round((server.cpu_ms() - cpu_before) / len(latencies), 2),
            "apologies": asker.slack.apologies - apologies,
            "fallback_dms": asker.slack.fallback_dms - fallbacks,
            "answer": asker.slack.last_answer,
        }
    return results


async def mixed(asker: Asker, light: Scenario, heavy: Scenario, plan: Plan) -> dict[str, Any]:
    """``light`` sampled (concurrency - 1 in flight) while ``heavy`` runs back to back."""
    stop = asyncio.Event()
    heavy_done = 0

    async def keep_asking() -> None:
        nonlocal heavy_done
        while not stop.is_set():
            await heavy.ask(asker)()
            heavy_done += 1

    background = asyncio.ensure_future(keep_asking())
    await asyncio.sleep(0)
    light_plan = Plan(plan.requests, max(1, plan.concurrency - 1), plan.budget, plan.minimum)
    try:
        latencies = await sample(light.ask(asker), light_plan, warm_up=False)
    finally:
        stop.set()
        await background
    label = f"{light.label}, while {heavy.label} is asked back to back"
    return {"label": label, **stats(latencies), "heavy_requests": heavy_done}


async def measure_chat(book: Book, plan: Plan, workdir: Path) -> dict[str, Any]:
    """Every scenario, with a pass of the bare app before each role's and after the last, so
    that the bare figures see the same moments of a busy machine as the scenarios do; and the
    server's memory under it all."""
    slack = Slack()
    await slack.start()
    bare: dict[str, list[float]] = {"command": [], "home": []}
    bare_cpu = {"command": 0.0, "home": 0.0}
    chosen = scenarios(book.actors)
    try:
        async with (
            bare_process(slack, workdir) as bare_server,
            accountbot_process(book, slack, workdir) as server,
            asking(bare_server, slack) as floor,
            asking(server, slack) as asker,
        ):
            idle = server.memory_mb()
            n = max(1, plan.requests // 2)
            bare_plan = Plan(n, plan.concurrency, plan.budget, n)

            async def bare_pass() -> None:
                asks = {
                    "command": lambda: floor.command("hi", BARE_USER),
                    "home": lambda: floor.home(BARE_USER),
                }
                for kind, ask in asks.items():
                    await ask()  # warm-up
                    cpu_before = bare_server.cpu_ms()
                    bare[kind] += await sample(ask, bare_plan, warm_up=False)
                    bare_cpu[kind] += bare_server.cpu_ms() - cpu_before

            results: dict[str, Any] = {}
            for role in ROLES:
                await bare_pass()
                mine = [s for s in chosen if s.key.startswith(f"{role}.")]
                results |= await run_scenarios(asker, server, mine, plan)
            by_key = {s.key: s for s in chosen}
            results["mixed.am_status_during_head_home"] = await mixed(
                asker, by_key["am.status"], by_key["head.home"], plan
            )
            await bare_pass()
            memory = server.memory_mb()
    finally:
        await slack.stop()
    floors = {
        kind: {**stats(samples), "cpu_ms": round(bare_cpu[kind] / len(samples), 2)}
        for kind, samples in bare.items()
    }
    for key, result in results.items():
        floor_p99 = floors["home" if key.endswith(".home") else "command"]["p99_ms"]
        result["ratio"] = round(result["p99_ms"] / floor_p99, 2)
        if "cpu_ms" in result:
            floor_cpu = floors["home" if key.endswith(".home") else "command"]["cpu_ms"]
            result["cpu_ratio"] = round(result["cpu_ms"] / max(floor_cpu, 1e-9), 2)
    serve = {
        "peak_rss_mb": round(memory["VmHWM"], 1),
        "rss_after_mb": round(memory["VmRSS"], 1),
        "rss_idle_mb": round(idle["VmRSS"], 1),
        "requests": sum(r["n"] + ("heavy_requests" not in r) for r in results.values()),
        "apologies": sum(r.get("apologies", 0) for r in results.values()),
    }
    return {"bare": floors, "scenarios": results, "serve": serve}
