"""KPI targets per seniority, from ONE YAML file (bundled: bot/config/kpi_targets.yaml).

``team`` holds the team-level targets, which are also the defaults for any KPI a seniority
section leaves out. Each target is ``{min: x}`` (missed when below), ``{max: x}`` (missed when
above) or both; rates are fractions (0.9 = 90%). Any problem raises :class:`KpiTargetsError`
(a ConfigError) naming the file, the field and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from bot.errors import ConfigError
from bot.services.kpis.definitions import KpiSet
from bot.yaml_files import YamlProblem, read_yaml
from storage.models import Seniority

BUNDLED_TARGETS_FILE = Path(__file__).resolve().parents[2] / "config" / "kpi_targets.yaml"


class KpiTargetsError(ConfigError):
    """``str(e)`` is ``"{file}: {field}: {reason}"``."""

    def __init__(self, file: str | Path, field: str, reason: str) -> None:
        self.file = str(file)
        self.field = field
        self.reason = reason
        super().__init__(f"{self.file}: {field}: {reason}")


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _check(self) -> _Target:
        if self.min is None and self.max is None:
            raise ValueError("a target needs `min` (at least) or `max` (at most)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def missed_by(self, value: float | Decimal | None) -> bool:
        """No value (no data this period) misses nothing; reaching a bound meets it."""
        if value is None:
            return False
        number = float(value)
        too_low = self.min is not None and number < self.min
        too_high = self.max is not None and number > self.max
        return too_low or too_high

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}


class RateTarget(_Target):
    """For fractions: rates, shares and compliance (write 0.9 for 90%)."""

    min: Annotated[float, Field(ge=0, le=1)] | None = None
    max: Annotated[float, Field(ge=0, le=1)] | None = None


class CountTarget(_Target):
    """For counts, days and money."""

    min: Annotated[float, Field(ge=0)] | None = None
    max: Annotated[float, Field(ge=0)] | None = None


class NpsTarget(_Target):
    min: Annotated[float, Field(ge=-100, le=100)] | None = None
    max: Annotated[float, Field(ge=-100, le=100)] | None = None


class TargetSet(BaseModel):
    """Optional targets, one per KPI of :class:`KpiSet` (same names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accounts_active: CountTarget | None = None
    churned_accounts: CountTarget | None = None
    logo_churn_rate_mtd: RateTarget | None = None
    logo_churn_rate_qtd: RateTarget | None = None
    revenue_churn_rate_qtd: RateTarget | None = None
    upsells_won: CountTarget | None = None
    upsell_value_won: CountTarget | None = None
    upsell_pitch_coverage_qtd: RateTarget | None = None
    nps_90d: NpsTarget | None = None
    avg_onboarding_days: CountTarget | None = None
    missed_deadlines: CountTarget | None = None
    meetings: CountTarget | None = None
    recap_compliance: RateTarget | None = None
    renewals_next_30: CountTarget | None = None
    renewals_next_90: CountTarget | None = None
    logo_churn_rate_ytd: RateTarget | None = None
    open_objections: CountTarget | None = None
    escalated_objections: CountTarget | None = None
    steps_done_late: CountTarget | None = None

    def present(self) -> dict[str, _Target]:
        return {name: t for name in type(self).model_fields if (t := getattr(self, name))}


RATE_KPIS = frozenset(
    name for name, f in TargetSet.model_fields.items() if f.annotation == RateTarget | None
)


class SenioritySections(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    junior: TargetSet = TargetSet()
    middle: TargetSet = TargetSet()
    senior: TargetSet = TargetSet()


class KpiTargets(BaseModel):
    """Team-level targets plus overrides per seniority (junior, middle, senior)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: TargetSet = TargetSet()
    seniority: SenioritySections = SenioritySections()

    def for_seniority(self, seniority: Seniority | str | None) -> dict[str, _Target]:
        """The targets that apply, in KPI order: the team's, overridden by the seniority's.

        ``None`` (or a person without a seniority) gets the team-level targets.
        """
        chosen = dict(self.team.present())
        if seniority is not None:
            section: TargetSet = getattr(self.seniority, Seniority(seniority).value)
            chosen.update(section.present())
        return {name: chosen[name] for name in TargetSet.model_fields if name in chosen}

    def as_dict(self, seniority: Seniority | str | None) -> dict[str, dict[str, float]]:
        """JSON-safe: ``{"recap_compliance": {"min": 0.9}, ...}``."""
        return {name: t.as_dict() for name, t in self.for_seniority(seniority).items()}

    def misses(self, kpis: KpiSet, seniority: Seniority | str | None) -> list[str]:
        """The names of the KPIs (in KPI order) that miss the targets for ``seniority``."""
        return [
            name
            for name, target in self.for_seniority(seniority).items()
            if target.missed_by(getattr(kpis, name))
        ]


def _dotted(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(root)"


def load_kpi_targets(path: Path | None = None) -> KpiTargets:
    """The targets in ``path``, or the bundled ones when ``path`` is None."""
    path = path or BUNDLED_TARGETS_FILE
    try:
        data = read_yaml(path)
    except YamlProblem as problem:
        raise KpiTargetsError(path, problem.field, problem.reason) from problem
    if not isinstance(data, dict):
        found = "the file is empty" if data is None else f"found {type(data).__name__}"
        reason = f"expected a mapping with `team` and `seniority`; {found}"
        raise KpiTargetsError(path, "(root)", reason)
    try:
        return KpiTargets.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise KpiTargetsError(path, _dotted(loc), _reason(first, loc)) from exc


def _allowed_keys(parent: tuple[int | str, ...]) -> Iterable[str]:
    """The keys a mapping at ``parent`` may hold: sections, seniorities, KPIs, or min/max."""
    if not parent:
        return KpiTargets.model_fields
    if parent == ("seniority",):
        return SenioritySections.model_fields
    if parent == ("team",) or (len(parent) == 2 and parent[0] == "seniority"):
        return TargetSet.model_fields
    return ("min", "max")


def _reason(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    kind, message = error["type"], error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown key; expected one of: {', '.join(_allowed_keys(loc[:-1]))}"
    if kind == "model_type" and len(loc) >= 2:
        return "expected a target such as {min: 0.9} or {max: 0}"
    rate_bound = kind in ("less_than_equal", "greater_than_equal") and len(loc) >= 2
    if rate_bound and loc[-2] in RATE_KPIS:
        return f"{message} (a rate is a fraction: write 0.9 for 90%)"
    return message
