"""The morning DMs of many AMs through a Slack that enforces its rate limits: how close to the
fastest those limits allow, with nothing lost and nothing sent twice.

``python -m bench.delivery [--ams 500] [--workspace-rate 50]``

A fake Slack on loopback answers chat.postMessage with 429 (Retry-After: 1) beyond one message
per second per channel and beyond ``--workspace-rate`` messages per second for the workspace.
Every AM has one DM queued in the outbox (SQLite), and the outbox sender drains them, paced at
SLACK_MESSAGES_PER_SECOND = the workspace rate. The floor is the time the limits allow:
ams / workspace rate. Target: wall time within 1.2x of the floor, zero lost, zero duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.channels.slack_delivery import SlackDelivery
from bot.channels.slack_replies import web_client
from bot.delivery.outbox import Queued, enqueue
from bot.delivery.sender import OutboxSender
from storage.db import Database
from storage.migrate import upgrade_async
from tests.channels.slack_fakes import FakeSlack

TARGET_RATIO = 1.2
RESULTS = Path(__file__).resolve().parent / "results" / "delivery.json"


async def measure(directory: Path, ams: int, workspace_rate: float) -> dict[str, Any]:
    url = f"sqlite:///{directory / 'outbox.db'}"
    await upgrade_async(url)
    db = Database(url)
    slack = FakeSlack(per_channel_per_second=1.0, workspace_per_second=workspace_rate)
    await slack.start()
    try:
        now = datetime.now(UTC)
        ids: set[int] = set()
        async with db.unit_of_work() as session:
            for n in range(ams):
                payload = {"text": f"Good morning AM {n}", "blocks": []}
                queued = Queued(f"bench:{n}", "nudge", "slack", f"UAM{n:05d}", payload)
                row_id = await enqueue(session, queued, now=now)
                assert row_id is not None
                ids.add(row_id)
        client = web_client("xoxb-bench", slack.api_url, 10)
        sender = OutboxSender(
            db, [SlackDelivery(client, workspace_rate)], clock=lambda: datetime.now(UTC)
        )
        started = time.perf_counter()
        report = await sender.drain(ids=ids, timeout=600)
        wall = time.perf_counter() - started
    finally:
        await slack.stop()
        await db.dispose()
    delivered = Counter(call.body["channel"] for call in slack.calls_to("chat.postMessage"))
    floor = ams / workspace_rate
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ams": ams,
        "workspace_rate": workspace_rate,
        "wall_seconds": round(wall, 2),
        "floor_seconds": round(floor, 2),
        "ratio": round(wall / floor, 3),
        "target_ratio": TARGET_RATIO,
        "lost": ams - len(delivered),
        "duplicated": sum(count - 1 for count in delivered.values()),
        "rate_limited": sum(1 for _, status in slack.failed_attempts if status == 429),
        "parked": len(report.parked),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__)
    parser.add_argument("--ams", type=int, default=500)
    parser.add_argument("--workspace-rate", type=float, default=50.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="accountbot-bench-") as directory:
        result = asyncio.run(measure(Path(directory), args.ams, args.workspace_rate))
    print(
        f"{result['ams']} morning DMs in {result['wall_seconds']} s; floor "
        f"{result['floor_seconds']} s; ratio {result['ratio']} (target <= {TARGET_RATIO}); "
        f"lost {result['lost']}, duplicated {result['duplicated']}, "
        f"429s {result['rate_limited']}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = result["ratio"] <= TARGET_RATIO and not result["lost"] and not result["duplicated"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
