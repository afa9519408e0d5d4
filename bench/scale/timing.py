"""Timing helpers: best-of runs alternating between contenders, percentiles, peak memory."""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence

Run = Callable[[], Awaitable[object]]


async def best_of(repeat: int, *runs: Run) -> list[float]:
    """Seconds of the best of ``repeat`` runs of each, alternating between them (so a busy
    moment or a warming cache hits all alike)."""
    best = [math.inf] * len(runs)
    for _ in range(repeat):
        for i, run in enumerate(runs):
            started = time.perf_counter()
            await run()
            best[i] = min(best[i], time.perf_counter() - started)
    return best


async def peak_memory_mb(run: Run) -> float:
    """The peak of Python allocations (tracemalloc) while ``run`` runs, in MiB."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1): p99 of fewer than 100 samples is the max."""
    ordered = sorted(samples)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
