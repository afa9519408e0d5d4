"""The digest's chart: eight weeks of recap compliance, missed deadlines and upsell pitch
coverage against their targets, as a small PNG (matplotlib's Agg canvas: no display, no
pyplot state), plus the same numbers in words for screen readers and for surfaces that show
no image.

Readable on light and dark chat themes alike: a transparent background, mid-tone colours, a
mid-grey grid and text, no black or white lines. The PNG carries its text alternative in its
``Description`` text chunk so the numbers travel with the picture.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from bot.formatting import truncate_text
from bot.kpi_display import kpi_label, kpi_target, kpi_value
from bot.services.kpis.digest import CHART_KPIS, Digest

WIDTH_INCHES, HEIGHT_INCHES, DPI = 9.0, 2.9, 100
INK = "#858585"  # text, axes and grid: mid-grey, legible on white and on Slack's dark grey
COLOURS = {
    "recap_compliance": "#4C9BE8",
    "missed_deadlines": "#E8893A",
    "upsell_pitch_coverage_qtd": "#3DB489",
}
TARGET_COLOUR = "#D65F8A"
RATES = frozenset({"recap_compliance", "upsell_pitch_coverage_qtd"})


def chart_alt_text(digest: Digest) -> str:
    """The chart in words: every week's value of each KPI, and its target."""
    weeks = [str(point.week) for point in digest.series]
    lines = [f"{digest.team}: the last {len(weeks)} weeks, {weeks[0]} to {weeks[-1]}."]
    for key in CHART_KPIS:
        values = ", ".join(kpi_value(point.value(key), key) for point in digest.series)
        target = kpi_target(digest.report.targets, key)
        lines.append(f"{kpi_label(key)}: {values}" + (f" (target {target})." if target else "."))
    return "\n".join(lines)


def _number(value: Any, key: str) -> float:
    if value is None:
        return math.nan
    return float(value) * (100 if key in RATES else 1)


def _bound(targets: Mapping[str, Mapping[str, float]], key: str) -> float | None:
    bounds = targets.get(key) or {}
    for name in ("min", "above", "max", "below"):
        if bounds.get(name) is not None:
            return float(bounds[name]) * (100 if key in RATES else 1)
    return None


SHORT_LABELS = {
    "recap_compliance": "Recaps within 24 h",
    "missed_deadlines": "Missed deadlines",
    "upsell_pitch_coverage_qtd": "Pitch coverage, QTD",
}
UNITS = {
    "recap_compliance": "% of meetings",
    "missed_deadlines": "deliverables",
    "upsell_pitch_coverage_qtd": "% of active accounts",
}


def _panel(
    axes: Any,
    key: str,
    labels: Sequence[str],
    values: Sequence[float],
    target: Any,
    target_text: str,
) -> None:
    colour = COLOURS[key]
    positions = range(len(labels))
    if key in RATES:
        axes.plot(positions, values, color=colour, linewidth=2.2, marker="o", markersize=4)
        axes.set_ylim(0, 105)
    else:
        axes.bar(positions, values, color=colour, width=0.6)
        top = max([v for v in values if not math.isnan(v)] + [target or 0, 1])
        axes.set_ylim(0, top * 1.2)
        axes.yaxis.get_major_locator().set_params(integer=True)
    if target is not None:
        axes.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.5)
    axes.set_title(SHORT_LABELS[key], color=INK, fontsize=9.5, loc="left")
    if target_text:
        axes.set_title(f"target {target_text}", color=TARGET_COLOUR, fontsize=8.5, loc="right")
    axes.set_ylabel(UNITS[key], color=INK, fontsize=8)
    axes.set_xticks(list(positions), labels)
    axes.set_xlabel("ISO week", color=INK, fontsize=8)
    axes.set_facecolor("none")
    axes.grid(axis="y", color=INK, alpha=0.35, linewidth=0.6)
    axes.tick_params(colors=INK, labelsize=7.5, length=2)
    for side, spine in axes.spines.items():
        spine.set_visible(side in ("left", "bottom"))
        spine.set_color(INK)


def chart_png(digest: Digest) -> bytes:
    """The chart as PNG bytes (900 × 290 pixels, 10 to 20 KB)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [f"W{point.week.week:02d}" for point in digest.series]
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_alpha(0)
    panels = figure.subplots(1, len(CHART_KPIS))
    for axes, key in zip(panels, CHART_KPIS, strict=True):
        values = [_number(point.value(key), key) for point in digest.series]
        target = _bound(digest.report.targets, key)
        _panel(axes, key, labels, values, target, kpi_target(digest.report.targets, key))
    title = f"{truncate_text(digest.team, 60)}: the last {len(labels)} weeks to {digest.week}"
    # A `$` would start mathtext: the team's name is shown as typed.
    figure.suptitle(title.replace("$", r"\$"), color=INK, fontsize=10.5, x=0.01, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", transparent=True)
    return _small_png(drawn.getvalue(), {"Title": title, "Description": chart_alt_text(digest)})


def _small_png(png: bytes, text: Mapping[str, str]) -> bytes:
    """The image in at most 256 colours (a third of the size, alike to the eye), with
    ``text`` as PNG text chunks."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)
    image = Image.open(io.BytesIO(png)).quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, pnginfo=info)
    return out.getvalue()
