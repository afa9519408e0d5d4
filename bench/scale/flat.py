"""An AM's own views on books of every size, alternating between them: flat or not.

One server per book (`accountbot serve` in a process of its own), all up at once, asked in
turns (``ROUNDS`` rounds of a few requests on each book, one at a time), so that a busy moment
of the machine falls on every book alike; the figure is the p50 on the largest book against
the smallest.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench.scale.books import Book
from bench.scale.chat import AM_OWN_VIEWS, Plan, asking, sample, scenarios, stats
from bench.scale.serve import accountbot_process
from bench.scale.slack import Slack

ROUNDS = 4


async def measure_flat(books: list[Book], plan: Plan, workdir: Path) -> dict[str, Any]:
    slack = Slack()
    await slack.start()
    samples: dict[str, list[list[float]]] = {key: [[] for _ in books] for key in AM_OWN_VIEWS}
    turn = Plan(max(1, plan.requests // ROUNDS), 1, plan.budget / ROUNDS, 1)
    try:
        async with AsyncExitStack() as stack:
            askers = []
            for book in books:
                server = await stack.enter_async_context(accountbot_process(book, slack, workdir))
                askers.append(await stack.enter_async_context(asking(server, slack)))
            for key in AM_OWN_VIEWS:
                asks = []
                for book, asker in zip(books, askers, strict=True):
                    scenario = next(s for s in scenarios(book.actors) if s.key == key)
                    asks.append(scenario.ask(asker))
                    await asks[-1]()  # warm-up
                for _ in range(ROUNDS):
                    for i, ask in enumerate(asks):
                        samples[key][i] += await sample(ask, turn, warm_up=False)
    finally:
        await slack.stop()
    return {
        key: [
            {"size": book.size, "accounts": book.counts.get("accounts"), **stats(per_book)}
            for book, per_book in zip(books, samples[key], strict=True)
        ]
        for key in AM_OWN_VIEWS
    }
