"""``python -m bench.scale``: see bench/README.md ("What bench.scale measures").

Prints a table, writes bench/results/scale.json and, with --write-readme, the README's results
section. Exits 1 when a target is missed or a check fails (after writing everything).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.scale.chat import Plan
from bench.scale.figures import all_figures
from bench.scale.report import text_table, write_readme
from bench.scale.runner import PARTS, Options, measure

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "scale.json"
README = ROOT / "README.md"
QUICK = Options(
    plan=Plan(8, 4, 1.0, 4),
    repeat=1,
    delivery_ams=12,
    delivery_rate=40.0,
)


def _csv(kind: Callable[[str], Any], allowed: Sequence[str] = ()) -> Callable[[str], list[Any]]:
    def parse(text: str) -> list[Any]:
        items = [kind(part.strip()) for part in text.replace("_", "").split(",") if part.strip()]
        bad = [item for item in items if allowed and item not in allowed]
        if not items or bad:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {allowed}")
        return items

    return parse


def options_from(args: argparse.Namespace) -> Options:
    base = QUICK if args.quick else Options()
    plan = Plan(
        args.requests or base.plan.requests,
        args.concurrency or base.plan.concurrency,
        args.budget or base.plan.budget,
        min(base.plan.minimum, args.requests or base.plan.minimum),
    )
    return Options(
        sizes=args.sizes,
        backends=args.backends,
        plan=plan,
        repeat=args.repeat or base.repeat,
        parts=tuple(args.parts),
        book_dir=args.book_dir,
        delivery_ams=base.delivery_ams,
        delivery_rate=base.delivery_rate,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=_csv(int),
        default=[5000, 50000],
        help="book sizes in accounts (default 5000,50000)",
    )
    parser.add_argument(
        "--backends", type=_csv(str, ("sqlite", "postgresql")), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--parts", type=_csv(str, PARTS), default=list(PARTS))
    parser.add_argument("--quick", action="store_true", help="few requests and repeats (CI)")
    parser.add_argument("--requests", type=int, help="requests per chat scenario (200)")
    parser.add_argument("--concurrency", type=int, help="requests in flight (4)")
    parser.add_argument("--budget", type=float, help="seconds per chat scenario at most (20)")
    parser.add_argument("--repeat", type=int, help="timed runs of the scans, best counts (3)")
    parser.add_argument("--book-dir", type=Path, help="keep generated SQLite books here")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--from-json", type=Path, help="redraw from a scale.json, measure nothing")
    parser.add_argument(
        "--write-readme",
        nargs="?",
        type=Path,
        const=README,
        default=None,
        help="rewrite the README's results section (default README.md)",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        report = json.loads(args.from_json.read_text(encoding="utf-8"))
    else:
        report = asyncio.run(measure(options_from(args)))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nResults written to {args.output}")
    print()
    print(text_table(report))
    if args.write_readme:
        write_readme(report, args.write_readme)
        print(f"\nResults table written to {args.write_readme}")
    figures = all_figures(report)
    failed = [f.key for f in figures if f.check is False]
    missed = [f.key for f in figures if f.passed is False]
    if failed:
        print(f"Checks FAILED (the figures are void): {', '.join(failed)}", file=sys.stderr)
    if missed:
        print(f"Targets missed: {len(missed)} of {len(figures)} figures", file=sys.stderr)
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
