"""What a run prints and writes: the machine, a table per book, and the README's results
section (between ``<!-- bench:scale:start -->`` and ``<!-- bench:scale:end -->``)."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
from pathlib import Path
from typing import Any

from bench.scale.figures import Figure, all_figures

START = "<!-- bench:scale:start -->"
END = "<!-- bench:scale:end -->"
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MARKS = {"ok": "✓", "missed": "✗", "—": "", "CHECK FAILED": "CHECK FAILED"}


def machine(
    postgres: str | None, postgres_settings: dict[str, str] | None = None
) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "postgresql_settings": postgres_settings or {},
    }


def machine_line(report: dict[str, Any]) -> str:
    m = report["machine"]
    pg = f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else ""
    if pg and (conf := m.get("postgresql_settings")):
        pg += " (" + ", ".join(f"{name} {value}" for name, value in conf.items()) + ")"
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['system']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}{pg}; measured {report['measured_at'][:10]}"
    )


def _value(f: Figure) -> str:
    if f.unit == "ms":
        return f"{f.value:,.1f} ms" if f.value < 100 else f"{f.value:,.0f} ms"
    if f.unit == "s":
        return f"{f.value:,.2f} s"
    return f"{f.value:,.0f} {f.unit}"


def _book_name(report: dict[str, Any], backend: str | None, size: int | None) -> str:
    if backend is None:
        return "delivery (SQLite outbox)"
    for run in report["runs"]:
        if run["backend"] == backend and run["size"] == size:
            return f"{BACKEND_NAMES.get(backend, backend)}, {run['book']['accounts']:,} accounts"
    return f"{BACKEND_NAMES.get(backend, backend)}, ~{size:,} accounts"


def text_table(report: dict[str, Any]) -> str:
    """One block per book: figure, value, ratio, target, verdict."""
    figures = all_figures(report)
    lines = [machine_line(report)]
    width = max((len(f.label) for f in figures), default=20)
    for book in dict.fromkeys((f.backend, f.size) for f in figures):
        lines += ["", _book_name(report, *book), "-" * (width + 40)]
        for f in (f for f in figures if (f.backend, f.size) == book):
            ratio = f"{f.ratio:>7.2f}x" if f.ratio is not None else " " * 8
            lines.append(f"{f.label:<{width}} {_value(f):>11} {ratio}  {f.target:<10} {f.verdict}")
    return "\n".join(lines)


def _cell(f: Figure | None) -> str:
    if f is None:
        return ""
    ratio = f" · {f.ratio:g}×" if f.ratio is not None else ""
    mark = MARKS[f.verdict]
    return f"{_value(f)}{ratio} {mark}".strip()


def markdown(report: dict[str, Any]) -> str:
    """The README section: the machine and date, then figures × books."""
    figures = all_figures(report)
    books = list(dict.fromkeys((f.backend, f.size) for f in figures if f.backend is not None))
    headers = [_book_name(report, *book) for book in books]
    rows: dict[str, dict[tuple[str | None, int | None], Figure]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for f in figures:
        rows.setdefault(f.key, {})[(f.backend, f.size)] = f
        labels.setdefault(f.key, (f.label, f.target))
    out = [
        START,
        "<!-- written by `python -m bench.scale --write-readme` (make bench); do not edit -->",
        "",
        f"Scale benchmarks (`python -m bench.scale`), {machine_line(report)}. Ratios are "
        "measured in the same run; ✓ target met, ✗ missed. Sizes, what each figure times and "
        "how: bench/README.md.",
        "",
        "| figure | target | " + " | ".join(headers) + " |",
        "| --- | --- | " + " | ".join("---" for _ in headers) + " |",
    ]
    for key, cells in rows.items():
        label, target = labels[key]
        if key == "delivery":
            continue
        out.append(
            f"| {label} | {target} | " + " | ".join(_cell(cells.get(b)) for b in books) + " |"
        )
    delivery = rows.get("delivery", {}).get((None, None))
    if delivery is not None:
        out += ["", f"Delivery: {delivery.label}: {_cell(delivery)} (target {delivery.target})."]
    skipped = report.get("skipped") or []
    out += ["", *(f"Not run: {reason}." for reason in skipped)] if skipped else []
    return "\n".join([*out, "", END])


def write_readme(report: dict[str, Any], readme: Path) -> None:
    """Replace the marked section of ``readme``, or add it after the Benchmarks table."""
    content = readme.read_text(encoding="utf-8")
    section = markdown(report)
    if START in content and END in content:
        head, rest = content.split(START, 1)
        tail = rest.split(END, 1)[1]
        content = head + section + tail
    else:
        match = re.search(r"^#+ Benchmarks\n(?:.*\n)*?(?:\|.*\n)+", content, re.MULTILINE)
        at = match.end() if match else len(content)
        content = content[:at] + "\n" + section + "\n" + content[at:]
    readme.write_text(content, encoding="utf-8")
