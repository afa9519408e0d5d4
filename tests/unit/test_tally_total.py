"""A team's tally is the sum of its people's, field by field, whatever their number."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.services.kpis.tally import Tally, total

counts = st.integers(min_value=0, max_value=10_000)
money = st.decimals(min_value=0, max_value=1_000_000, places=2)
tallies = st.builds(
    Tally,
    meetings=counts,
    meetings_recapped_in_time=counts,
    active_at_end=counts,
    upsell_value_won=money,
    churned_mrr_qtd=money,
)


@given(st.lists(tallies, max_size=8))
def test_total_is_the_field_by_field_sum(people: list[Tally]) -> None:
    added = sum(people, Tally())
    assert total(people) == added
    assert isinstance(total(people).upsell_value_won, Decimal)


def test_total_of_nobody_is_an_empty_tally() -> None:
    assert total([]) == Tally()
    assert total(iter([Tally(meetings=2), Tally(meetings=3)])).meetings == 5
