"""`python -m bench.import_speed` keeps working: a small run imports every row it writes."""

from __future__ import annotations

import json
from pathlib import Path

from bench import import_speed


def test_a_small_run_imports_every_row_and_reports_it(tmp_path: Path) -> None:
    output = tmp_path / "speed.json"
    assert import_speed.main(["--rows", "700", "--output", str(output)]) == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    assert (report["rows"], report["created"], report["accounts"]) == (700, 700, 156)
    assert 0 < report["seconds"] < 60
    assert import_speed.main(["--rows", "50", "--limit", "0", "--output", str(output)]) == 1
