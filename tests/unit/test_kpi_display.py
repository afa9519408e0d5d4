"""How the digest writes a KPI's change from the week before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.kpi_display import kpi_change


@pytest.mark.parametrize(
    ("change", "key", "shown"),
    [
        (0.05, "recap_compliance", "↑ 5 pts"),
        (-0.01, "recap_compliance", "↓ 1 pt"),
        (0.004, "recap_compliance", "→"),  # under half a point: no move worth an arrow
        (0.001, "logo_churn_rate_mtd", "↑ 0.1 pts"),
        (-3, "missed_deadlines", "↓ 3"),
        (Decimal("-13500"), "upsell_value_won", "↓ $13,500"),
        (0, "meetings", "→"),
        (None, "meetings", ""),
    ],
)
def test_changes_read_as_a_lead_would_say_them(change: object, key: str, shown: str) -> None:
    assert kpi_change(change, key) == shown
