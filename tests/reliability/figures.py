"""Figures the reliability suite reports (printed at the end of the run by tests/conftest.py).

Each test records what it measured (`record("forged requests", 74, "0 outbound calls")`); the
lines are appended to a file per process so the parallel workers' figures add up.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FIGURES_DIR = Path(__file__).resolve().parents[2] / ".pytest_cache" / "reliability"


def _file() -> Path:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return FIGURES_DIR / f"figures-{worker}.jsonl"


def record(name: str, value: float | int | str, detail: str = "") -> None:
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    with _file().open("a", encoding="utf-8") as out:
        out.write(json.dumps({"name": name, "value": value, "detail": detail}) + "\n")


def clear() -> None:
    if FIGURES_DIR.is_dir():
        for path in FIGURES_DIR.glob("figures-*.jsonl"):
            path.unlink()


def collected() -> list[dict[str, object]]:
    if not FIGURES_DIR.is_dir():
        return []
    lines: list[dict[str, object]] = []
    for path in sorted(FIGURES_DIR.glob("figures-*.jsonl")):
        lines.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return lines


def summed(lines: list[dict[str, object]]) -> list[tuple[str, object, str]]:
    """One line per figure name: numbers recorded under one name add up; the rest keep the
    worst (largest) value, as for "slowest answer"."""
    merged: dict[str, tuple[object, str]] = {}
    for line in lines:
        name, value, detail = str(line["name"]), line["value"], str(line["detail"])
        if name not in merged:
            merged[name] = (value, detail)
            continue
        before, _ = merged[name]
        if isinstance(value, int) and isinstance(before, int) and not name.startswith("max"):
            merged[name] = (before + value, detail)
        elif isinstance(value, int | float) and isinstance(before, int | float):
            merged[name] = (max(before, value), detail)
    return [(name, value, detail) for name, (value, detail) in sorted(merged.items())]
