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
def test_bundled_targets_cover_the_six_watched_kpis_for_everyone(seniority: str | None) -> None:
    targets = load_kpi_targets().as_dict(seniority)
    assert set(targets) == {
        "recap_compliance",
        "missed_deadlines",
        "avg_onboarding_days",
        "upsell_pitch_coverage_qtd",
        "nps_90d",
        "logo_churn_rate_qtd",
    }
    assert targets["recap_compliance"].keys() == {"min"}
    assert targets["missed_deadlines"] == {"max": 0}
    assert targets["avg_onboarding_days"] == {"max": 8}
    assert targets["upsell_pitch_coverage_qtd"] == {"min": 0.25}
    assert targets["nps_90d"].keys() == {"min"}
    assert targets["logo_churn_rate_qtd"].keys() == {"max"}


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
        ("team:\n  missed_deadlines: {below: 1}\n", "team.missed_deadlines.below", "min, max"),
        ("team:\n  recap_compliance: 0.9\n", "team.recap_compliance", "{min: 0.9}"),
        ("team:\n  nps_90d: {min: 50, max: 40}\n", "team.nps_90d", "above max"),
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
