"""The benchmarks still run (at a tiny size; their figures are for `make bench`)."""

from __future__ import annotations

from pathlib import Path

from bench.delivery import measure


async def test_the_delivery_benchmark_delivers_every_dm_once(tmp_path: Path) -> None:
    result = await measure(tmp_path, ams=12, workspace_rate=40)
    assert (result["lost"], result["duplicated"], result["parked"]) == (0, 0, 0)
    assert result["floor_seconds"] == 0.3 and result["wall_seconds"] > 0
