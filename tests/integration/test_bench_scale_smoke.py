"""The scale benchmark still runs, end to end, on two tiny SQLite books (its figures are for
`make bench`): every figure is produced, the SQL baselines return what the code returns, and
every chat request is answered. Targets are not asserted here."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.scale.books import Actor
from bench.scale.chat import Plan, scenarios
from bench.scale.figures import all_figures
from bench.scale.report import END, START, text_table, write_readme
from bench.scale.runner import Options, measure

README = Path(__file__).resolve().parents[2] / "README.md"
SIZES = [150, 151]  # both scale 1: two books, so the flat-from-small-to-large figures exist


async def test_the_scale_benchmark_produces_every_figure_with_its_checks(tmp_path: Path) -> None:
    options = Options(
        sizes=SIZES,
        backends=["sqlite"],
        plan=Plan(requests=2, concurrency=2, budget=0.1, minimum=1),
        repeat=1,
        delivery_ams=6,
        delivery_rate=40.0,
    )
    report = await measure(options)

    runs = report["runs"]
    assert [(r["backend"], r["size"]) for r in runs] == [("sqlite", s) for s in SIZES]
    for run in runs:
        assert run["nudges"]["equal"], (run["nudges"]["only_in_code"], run["nudges"]["only_in_sql"])
        assert run["nudges"]["due_items"] > 0
        assert set(run["nudges"]["due_by_kind"]) == {
            "missed_recap",
            "overdue_step",
            "onboarding_overdue",
            "renewal",
        }
        assert run["digests"]["equal"], run["digests"]["mismatch_examples"]
        assert run["digests"]["kpis_compared"] and run["digests"]["people"] > 0
        assert run["digests"]["kpis_not_compared"] == []  # every KPI the digest shows
        for key, result in run["chat"]["scenarios"].items():
            assert result["n"] >= 1 and result.get("apologies", 0) == 0, key
            if not key.startswith("mixed."):  # the server's CPU per answer is measured too
                assert result["cpu_ms"] >= 0 and result["cpu_ratio"] >= 0, key
    for run in runs:  # accountbot serve's own memory, under the chat load
        assert run["serve"]["apologies"] == 0 and run["serve"]["peak_rss_mb"] > 0
    assert report["delivery"]["lost"] == 0 and report["delivery"]["duplicated"] == 0

    figures = all_figures(report)
    produced = {(f.key, f.size) for f in figures}
    actors = {role: Actor(**actor) for role, actor in runs[0]["actors"].items()}
    chat_keys = [f"chat.{s.key}" for s in scenarios(actors)]
    per_book = [
        *chat_keys,
        "chat.mixed.am_status_during_head_home",
        "chat.bare.command",
        "chat.bare.home",
        "nudges.time",
        "nudges.memory",
        "digests.time",
        "digests.whole",
        "serve.rss",
    ]
    expected: set[tuple[str, int | None]] = {(key, size) for key in per_book for size in SIZES}
    expected |= {("delivery", None)}
    views = ("status", "list_mine", "home")
    expected |= {(f"flat.am.{view}", size) for view in views for size in SIZES[1:]}
    assert expected <= produced, sorted(expected - produced)
    assert not [f.key for f in figures if f.check is False]
    assert all(f.value >= 0 for f in figures)

    readme = tmp_path / "README.md"
    shutil.copyfile(README, readme)
    write_readme(report, readme)
    write_readme(report, readme)  # the second run replaces the section, never duplicates it
    written = readme.read_text(encoding="utf-8")
    assert written.count(START) == 1 and written.count(END) == 1
    assert "daily nudge scan" in written and "Python" in written
    assert "daily nudge scan" in text_table(report)
