"""The daily nudge scan: ``pending_nudges`` for everyone against the hand-written SQL of
:mod:`bench.scale.nudge_sql`, which must return the same (person, key) pairs."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bench.scale.nudge_sql import Key, due_nudge_keys
from bench.scale.season import RULES
from bench.scale.timing import best_of, peak_memory_mb
from bot.playbooks import load_playbooks
from bot.services.nudges import pending_nudges
from storage.db import Database

MAX_SHOWN = 5


async def measure_nudges(db: Database, now: datetime, repeat: int) -> dict[str, Any]:
    playbooks = load_playbooks()

    async def code() -> set[Key]:
        async with db.read_only() as session:
            due = await pending_nudges(session, as_of=now, rules=RULES, playbooks=playbooks)
            return {(n.user_id, n.key) for n in due}

    async def sql() -> set[Key]:
        async with db.read_only() as session:
            return await due_nudge_keys(session, as_of=now, rules=RULES, playbooks=playbooks)

    code_keys, sql_keys = await code(), await sql()  # also the warm-up
    code_s, sql_s = await best_of(repeat, code, sql)
    return {
        "equal": code_keys == sql_keys,
        "due_items": len(code_keys),
        "due_by_kind": dict(sorted(Counter(k.split(":", 1)[0] for _, k in code_keys).items())),
        "only_in_code": [list(k) for k in sorted(code_keys - sql_keys)[:MAX_SHOWN]],
        "only_in_sql": [list(k) for k in sorted(sql_keys - code_keys)[:MAX_SHOWN]],
        "code_seconds": code_s,
        "sql_seconds": sql_s,
        "ratio": code_s / sql_s,
        "code_peak_mb": await peak_memory_mb(code),
        "sql_peak_mb": await peak_memory_mb(sql),
    }
