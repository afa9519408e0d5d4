"""KPI targets: the bundled file, seniority overrides, misses, and errors naming file and field."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.services.kpis import KPI_NAMES, KpiSet
from bot.services.kpis.targets import (
    BUNDLED_TARGETS_FILE,
    KpiTargets,
    KpiTargetsError,
    TargetSet,
    load_kpi_targets,
    onboarding_rule_problem,
)

ON_TARGET = KpiSet(
    accounts_active=20,
    churned_accounts=0,
    logo_churn_rate_mtd=0.0,
    logo_churn_rate_qtd=0.0,
    revenue_churn_rate_qtd=0.0,
    upsells_won=1,
    upsell_value_won=Decimal("500.00"),
    upsell_pitch_coverage_qtd=0.5,
    nps_90d=60.0,
    avg_onboarding_days=5.0,
    missed_deadlines=0,
    meetings=10,
    recap_compliance=1.0,
    renewals_next_30=1,
    renewals_next_90=2,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> KpiTargetsError:
    with pytest.raises(KpiTargetsError) as caught:
        load_kpi_targets(path)
    return caught.value


# --- the bundled file --------------------------------------------------------------------------


def test_bundled_file_lives_in_bot_config_and_loads_when_no_path_is_given() -> None:
    assert BUNDLED_TARGETS_FILE.parts[-3:] == ("bot", "config", "kpi_targets.yaml")
    assert load_kpi_targets(None) == load_kpi_targets(BUNDLED_TARGETS_FILE)


@pytest.mark.parametrize("seniority", [None, "junior", "middle", "senior"])
def test_bundled_targets_are_the_practices_and_the_same_for_every_seniority(
    seniority: str | None,
) -> None:
    """building-an-account-management-team: a recap after every call, zero missed deadlines,
    onboarding under 8 days, 25% pitched, at least 90% of clients kept a year."""
    targets = load_kpi_targets().as_dict(seniority)
    assert targets == {
        "logo_churn_rate_mtd": {"max": 0.008},
        "logo_churn_rate_qtd": {"max": 0.025},
        "upsell_pitch_coverage_qtd": {"min": 0.25},
        "nps_90d": {"min": 30},
        "avg_onboarding_days": {"below": 8},
        "missed_deadlines": {"max": 0},
        "recap_compliance": {"min": 1.0},
        "logo_churn_rate_ytd": {"max": 0.10},
    }
    assert list(targets) == [name for name in KPI_NAMES if name in targets]  # KPI order


def test_bundled_onboarding_target_agrees_with_the_onboarding_nudge() -> None:
    """The nudge calls day 8 overdue; an average of 8 days misses the target, 7.9 meets it."""
    targets = load_kpi_targets()
    assert targets.misses(replace(ON_TARGET, avg_onboarding_days=8.0), "junior") == [
        "avg_onboarding_days"
    ]
    assert targets.misses(replace(ON_TARGET, avg_onboarding_days=7.9), "junior") == []


def test_bundled_churn_targets_keep_nine_clients_in_ten_a_year() -> None:
    targets = load_kpi_targets()
    year = replace(ON_TARGET, logo_churn_rate_ytd=0.11)
    assert targets.misses(year, None) == ["logo_churn_rate_ytd"]
    assert targets.misses(replace(year, logo_churn_rate_ytd=0.10), None) == []
    assert targets.misses(replace(ON_TARGET, logo_churn_rate_qtd=0.03), None) == [
        "logo_churn_rate_qtd"
    ]


def test_target_names_are_exactly_the_kpi_names() -> None:
    assert tuple(TargetSet.model_fields) == KPI_NAMES


def test_a_set_on_target_misses_nothing_under_the_bundled_targets() -> None:
    targets = load_kpi_targets()
    for seniority in (None, "junior", "middle", "senior"):
        assert targets.misses(ON_TARGET, seniority) == []


# --- evaluation --------------------------------------------------------------------------------

TARGETS = KpiTargets.model_validate(
    {
        "team": {
            "recap_compliance": {"min": 0.9},
            "missed_deadlines": {"max": 0},
            "avg_onboarding_days": {"max": 8},
            "nps_90d": {"min": 30, "max": 90},
        },
        "seniority": {"junior": {"recap_compliance": {"min": 0.7}}},
    }
)


def test_seniority_overrides_its_kpis_and_inherits_the_rest_from_the_team() -> None:
    assert TARGETS.as_dict("junior") == {
        "nps_90d": {"min": 30, "max": 90},
        "avg_onboarding_days": {"max": 8},
        "missed_deadlines": {"max": 0},
        "recap_compliance": {"min": 0.7},
    }
    assert TARGETS.as_dict("senior") == TARGETS.as_dict(None)


def test_misses_lists_kpis_below_min_or_above_max_in_kpi_order() -> None:
    kpis = replace(ON_TARGET, recap_compliance=0.8, missed_deadlines=1, nps_90d=95.0)
    assert TARGETS.misses(kpis, None) == ["nps_90d", "missed_deadlines", "recap_compliance"]
    assert TARGETS.misses(kpis, "junior") == ["nps_90d", "missed_deadlines"]


def test_reaching_a_bound_exactly_meets_the_target() -> None:
    kpis = replace(ON_TARGET, recap_compliance=0.9, avg_onboarding_days=8.0, nps_90d=30.0)
    assert TARGETS.misses(kpis, None) == []


def test_below_and_above_are_strict_bounds_min_and_max_are_not() -> None:
    strict = KpiTargets.model_validate(
        {"team": {"avg_onboarding_days": {"below": 8}, "nps_90d": {"above": 0, "max": 90}}}
    )
    assert strict.as_dict(None) == {
        "nps_90d": {"above": 0, "max": 90},
        "avg_onboarding_days": {"below": 8},
    }
    kpis = replace(ON_TARGET, avg_onboarding_days=8.0, nps_90d=0.0)
    assert strict.misses(kpis, None) == ["nps_90d", "avg_onboarding_days"]
    kpis = replace(ON_TARGET, avg_onboarding_days=7.99, nps_90d=0.5)
    assert strict.misses(kpis, None) == []


def test_a_kpi_without_data_misses_nothing() -> None:
    kpis = replace(ON_TARGET, recap_compliance=None, avg_onboarding_days=None, nps_90d=None)
    assert TARGETS.misses(kpis, None) == []


def test_an_unknown_seniority_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        TARGETS.misses(ON_TARGET, "principal")


# --- bad files ----------------------------------------------------------------------------------


def test_error_is_a_config_error_naming_file_field_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "seniority:\n  junior:\n    recap_compliance: {min: 90}\n")
    error = load_error(path)
    assert isinstance(error, ConfigError)
    assert error.file == str(path)
    assert error.field == "seniority.junior.recap_compliance.min"
    assert "less than or equal to 1" in error.reason
    assert "write 0.9 for 90%" in error.reason
    assert str(error) == f"{path}: seniority.junior.recap_compliance.min: {error.reason}"


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("team:\n  recap_complaince: {min: 0.9}\n", "team.recap_complaince", "recap_compliance"),
        ("seniority:\n  principal: {}\n", "seniority.principal", "junior, middle, senior"),
        ("teams: {}\n", "teams", "expected one of: team, seniority"),
        ("team:\n  missed_deadlines: {}\n", "team.missed_deadlines", "`min`"),
        (
            "team:\n  missed_deadlines: {under: 1}\n",
            "team.missed_deadlines.under",
            "min, max, below, above",
        ),
        ("team:\n  missed_deadlines: {max: 1, below: 2}\n", "team.missed_deadlines", "not both"),
        ("team:\n  nps_90d: {min: 1, above: 0}\n", "team.nps_90d", "not both"),
        ("team:\n  nps_90d: {above: 40, below: 40}\n", "team.nps_90d", "both bounds"),
        ("team:\n  recap_compliance: 0.9\n", "team.recap_compliance", "{min: 0.9}"),
        ("team:\n  nps_90d: {min: 50, max: 40}\n", "team.nps_90d", "both bounds (50.0 and 40.0)"),
        ("team:\n  recap_compliance: {below: 90}\n", "team.recap_compliance.below", "0.9"),
        ("team:\n  nps_90d: {min: 150}\n", "team.nps_90d.min", "less than or equal to 100"),
        ("team:\n  missed_deadlines: {max: -1}\n", "team.missed_deadlines.max", "greater than"),
        ("team:\n  meetings: {min: lots}\n", "team.meetings.min", "valid number"),
        ("team:\n  meetings: {min: 1}\n  meetings: {min: 2}\n", "(yaml)", "duplicate key"),
        ("team: [\n", "(yaml)", "line"),
        ("", "(root)", "empty"),
        ("- team\n", "(root)", "mapping"),
    ],
)
def test_bad_file_is_refused_with_the_field_and_the_reason(
    tmp_path: Path, text: str, field: str, reason: str
) -> None:
    error = load_error(write(tmp_path, text))
    assert error.field == field
    assert reason in error.reason


def test_missing_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nope.yaml")
    assert (error.file, error.field) == (str(tmp_path / "nope.yaml"), "(file)")
    assert "cannot be read" in error.reason


def test_a_file_may_leave_out_sections_and_then_has_no_targets_there(tmp_path: Path) -> None:
    targets = load_kpi_targets(write(tmp_path, "team:\n  meetings: {min: 3}\n"))
    assert targets.as_dict("senior") == {"meetings": {"min": 3}}
    assert targets.misses(replace(ON_TARGET, meetings=2), "senior") == ["meetings"]


def test_an_onboarding_target_other_than_the_nudges_day_is_pointed_out() -> None:
    bundled = load_kpi_targets()
    assert onboarding_rule_problem(bundled, 8) is None
    assert "ONBOARDING_TARGET_DAYS=10" in (onboarding_rule_problem(bundled, 10) or "")
    loose = KpiTargets.model_validate({"team": {"avg_onboarding_days": {"max": 8}}})
    assert "{below: 8}" in (onboarding_rule_problem(loose, 8) or "")
    assert onboarding_rule_problem(KpiTargets(), 8) is None
