"""The figures of a run: each measurement, its ratio, its target and whether it was met.

Derived from the run's JSON (so a table can be redrawn from ``scale.json``). A figure's
``check`` is a correctness condition of the measurement itself (the SQL baseline returned the
same items; the app answered instead of apologising); a failed check voids the figure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CHAT_TARGET = 3.0  # p99 within 3x of the bare Bolt app
FLAT_TARGET = 1.5  # an AM's own views: p50 on the largest book within 1.5x of the smallest
SCAN_TARGET = 2.0  # nudge scan and digests within 2x of hand-written SQL
SERVE_MAX_MB = 300.0
DELIVERY_TARGET = 1.2
_AM_VIEWS = {"am.status": "AM: status", "am.list_mine": "AM: list mine", "am.home": "AM: App Home"}


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    backend: str | None
    size: int | None
    value: float
    unit: str
    ratio: float | None = None
    target: str = ""  # e.g. "≤ 3", "< 300 MiB"; empty: reported, no target
    passed: bool | None = None
    check: bool | None = None  # None: nothing to check

    @property
    def verdict(self) -> str:
        if self.check is False:
            return "CHECK FAILED"
        if self.passed is None:
            return "—"
        return "ok" if self.passed else "missed"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _ratio_figure(
    key: str,
    label: str,
    run: dict[str, Any],
    value: float,
    unit: str,
    ratio: float,
    target: float,
    check: bool | None = None,
) -> Figure:
    return Figure(
        key,
        label,
        run["backend"],
        run["size"],
        value,
        unit,
        round(ratio, 2),
        f"≤ {target:g}",
        ratio <= target,
        check,
    )


def run_figures(run: dict[str, Any]) -> list[Figure]:
    out: list[Figure] = []
    chat = run.get("chat")
    if chat:
        for kind, floor in chat["bare"].items():
            label = f"bare Bolt app, {'App Home' if kind == 'home' else 'constant answer'}: p99"
            out.append(
                Figure(
                    f"chat.bare.{kind}", label, run["backend"], run["size"], floor["p99_ms"], "ms"
                )
            )
        for key, result in chat["scenarios"].items():
            clean = result.get("apologies", 0) == 0 and result.get("fallback_dms", 0) == 0
            label = f"{result['label']}: p99 vs bare"
            out.append(
                _ratio_figure(
                    f"chat.{key}",
                    label,
                    run,
                    result["p99_ms"],
                    "ms",
                    result["ratio"],
                    CHAT_TARGET,
                    clean,
                )
            )
        out += _cpu_figures(run, chat)
    nudges = run.get("nudges")
    if nudges:
        label = "daily nudge scan: pending_nudges vs hand-written SQL"
        out.append(
            _ratio_figure(
                "nudges.time",
                label,
                run,
                nudges["code_seconds"],
                "s",
                nudges["ratio"],
                SCAN_TARGET,
                nudges["equal"],
            )
        )
        out.append(
            Figure(
                "nudges.memory",
                "nudge scan peak memory (tracemalloc), vs the SQL's",
                run["backend"],
                run["size"],
                round(nudges["code_peak_mb"], 1),
                "MiB",
                round(nudges["code_peak_mb"] / max(nudges["sql_peak_mb"], 1e-9), 2),
            )
        )
    digests = run.get("digests")
    if digests:
        label = "all weekly digests: every team's week in numbers (grouped) vs raw SQL aggregates"
        out.append(
            _ratio_figure(
                "digests.time",
                label,
                run,
                digests["code_seconds"],
                "s",
                digests["ratio"],
                SCAN_TARGET,
                digests["equal"],
            )
        )
        if "whole_digests_seconds" in digests:
            label = "all weekly digests whole (week before, 8-week chart, reasons, people)"
            out.append(
                Figure(
                    "digests.whole",
                    label,
                    run["backend"],
                    run["size"],
                    round(digests["whole_digests_seconds"], 3),
                    "s",
                    round(digests["whole_digests_seconds"] / digests["sql_seconds"], 2),
                )
            )
    serve = run.get("serve")
    if serve:
        peak = serve["peak_rss_mb"]
        out.append(
            Figure(
                "serve.rss",
                "accountbot serve peak RSS under the chat load",
                run["backend"],
                run["size"],
                peak,
                "MiB",
                None,
                f"< {SERVE_MAX_MB:g} MiB",
                peak < SERVE_MAX_MB,
                serve["apologies"] == 0,
            )
        )
    return out


def _cpu_figures(run: dict[str, Any], chat: dict[str, Any]) -> list[Figure]:
    """The server's CPU per answer against the bare app's (runs before this figure had none):
    what the p99s are made of, steadier than they are on a busy machine."""
    timed = [r for r in chat["scenarios"].values() if "cpu_ratio" in r]
    if not timed:
        return []
    heaviest = max(timed, key=lambda r: r["cpu_ms"])
    rows = [
        (
            "chat.cpu.mean",
            "server CPU per answer: mean of the chat scenarios, vs bare",
            sum(r["cpu_ms"] for r in timed) / len(timed),
            sum(r["cpu_ratio"] for r in timed) / len(timed),
        ),
        (
            "chat.cpu.max",
            "server CPU per answer: the heaviest chat scenario, vs bare",
            heaviest["cpu_ms"],
            heaviest["cpu_ratio"],
        ),
    ]
    return [
        Figure(key, label, run["backend"], run["size"], round(ms, 1), "ms", round(ratio, 2))
        for key, label, ms, ratio in rows
    ]


def flat_figures(report: dict[str, Any]) -> list[Figure]:
    """An AM's own views on each larger book against the smallest, per backend (p50): one row
    per view, in each larger book's column."""
    out = []
    for backend, views in report.get("flat", {}).items():
        for key, books in views.items():
            small = books[0]
            label = f"{_AM_VIEWS[key]}: p50 vs the {small['size']:,}-account book"
            for large in books[1:]:
                run = {"backend": backend, "size": large["size"]}
                ratio = large["p50_ms"] / small["p50_ms"]
                out.append(
                    _ratio_figure(
                        f"flat.{key}", label, run, large["p50_ms"], "ms", ratio, FLAT_TARGET
                    )
                )
    return out


def delivery_figure(delivery: dict[str, Any]) -> Figure:
    label = f"{delivery['ams']} morning DMs through Slack's rate limits vs the floor"
    clean = delivery["lost"] == 0 and delivery["duplicated"] == 0
    ratio = delivery["ratio"]
    return Figure(
        "delivery",
        label,
        None,
        None,
        delivery["wall_seconds"],
        "s",
        ratio,
        f"≤ {DELIVERY_TARGET:g}",
        ratio <= DELIVERY_TARGET,
        clean,
    )


def all_figures(report: dict[str, Any]) -> list[Figure]:
    runs = report.get("runs", [])
    out = [f for run in runs for f in run_figures(run)] + flat_figures(report)
    if report.get("delivery"):
        out.append(delivery_figure(report["delivery"]))
    return out
