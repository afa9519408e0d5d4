"""KPI targets per seniority, from ONE YAML file (bundled: bot/config/kpi_targets.yaml).

``team`` holds the team-level targets, which are also the defaults for any KPI a seniority
section leaves out. A target bounds a KPI from below, above or both: ``{min: x}`` (at least x;
missed when below), ``{max: x}`` (at most x; missed when above), ``{below: x}`` (under x;
missed at x or more) and ``{above: x}`` (over x; missed at x or less). Rates are fractions
(0.9 = 90%). Any problem raises :class:`KpiTargetsError` (a ConfigError) naming the file, the
field and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cached_property
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
    below: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _check(self) -> _Target:
        if self.min is None and self.max is None and self.below is None and self.above is None:
            raise ValueError(
                "a target needs `min` (at least), `max` (at most), `below` (under) "
                "or `above` (over)"
            )
        if self.min is not None and self.above is not None:
            raise ValueError("give `min` (at least) or `above` (over), not both")
        if self.max is not None and self.below is not None:
            raise ValueError("give `max` (at most) or `below` (under), not both")
        low, high = self.lower, self.upper
        if low is not None and high is not None:
            strict = self.above is not None or self.below is not None
            if low > high or (strict and low == high):
                raise ValueError(f"no value can meet both bounds ({low} and {high})")
        return self

    @property
    def lower(self) -> float | None:
        return self.min if self.min is not None else self.above

    @property
    def upper(self) -> float | None:
        return self.max if self.max is not None else self.below

    def missed_by(self, value: float | Decimal | None) -> bool:
        """No value (no data this period) misses nothing; reaching a `min` or `max` meets it,
        reaching a `below` or `above` misses it."""
        if value is None:
            return False
        number = float(value)
        return (
            (self.min is not None and number < self.min)
            or (self.max is not None and number > self.max)
            or (self.below is not None and number >= self.below)
            or (self.above is not None and number <= self.above)
        )

    def as_dict(self) -> dict[str, float]:
        bounds = (
            ("min", self.min),
            ("above", self.above),
            ("max", self.max),
            ("below", self.below),
        )
        return {k: v for k, v in bounds if v is not None}


Rate = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[float, Field(ge=0)]
Nps = Annotated[float, Field(ge=-100, le=100)]


class RateTarget(_Target):
    """For fractions: rates, shares and compliance (write 0.9 for 90%)."""

    min: Rate | None = None
    max: Rate | None = None
    below: Rate | None = None
    above: Rate | None = None


class CountTarget(_Target):
    """For counts, days and money."""

    min: Count | None = None
    max: Count | None = None
    below: Count | None = None
    above: Count | None = None


class NpsTarget(_Target):
    min: Nps | None = None
    max: Nps | None = None
    below: Nps | None = None
    above: Nps | None = None


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
    revenue_churn_rate_mtd: RateTarget | None = None

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


def _seniority(value: Seniority | str | None) -> Seniority | None:
    """``value`` as a Seniority (a digest asks once per person: no conversion when it is one)."""
    return value if value is None or isinstance(value, Seniority) else Seniority(value)


class KpiTargets(BaseModel):
    """Team-level targets plus overrides per seniority (junior, middle, senior)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: TargetSet = TargetSet()
    seniority: SenioritySections = SenioritySections()

    @cached_property
    def _resolved(self) -> dict[Seniority | None, dict[str, _Target]]:
        """The targets that apply to each seniority (and to None), worked out once."""
        found = {}
        for seniority in (None, *Seniority):
            chosen = dict(self.team.present())
            if seniority is not None:
                section: TargetSet = getattr(self.seniority, seniority.value)
                chosen.update(section.present())
            found[seniority] = {
                name: chosen[name] for name in TargetSet.model_fields if name in chosen
            }
        return found

    @cached_property
    def _as_dicts(self) -> dict[Seniority | None, dict[str, dict[str, float]]]:
        return {
            seniority: {name: t.as_dict() for name, t in chosen.items()}
            for seniority, chosen in self._resolved.items()
        }

    def as_dict(self, seniority: Seniority | str | None) -> dict[str, dict[str, float]]:
        """JSON-safe: ``{"recap_compliance": {"min": 0.9}, "nps_90d": {"above": 0}}`` (shared:
        read it, do not change it)."""
        return self._as_dicts[_seniority(seniority)]

    def misses(self, kpis: KpiSet, seniority: Seniority | str | None) -> list[str]:
        """The names of the KPIs (in KPI order) that miss the targets for ``seniority``."""
        chosen = self._resolved[_seniority(seniority)]
        return [name for name, target in chosen.items() if target.missed_by(getattr(kpis, name))]


def onboarding_rule_problem(targets: KpiTargets, target_days: int) -> str | None:
    """Why the team's onboarding target disagrees with ONBOARDING_TARGET_DAYS (the nudge's
    rule: day ``target_days`` is overdue, so the target is ``{below: target_days}``), or None."""
    target = targets.team.avg_onboarding_days
    if target is None or target.as_dict() == {"below": float(target_days)}:
        return None
    return (
        f"the KPI target avg_onboarding_days {target.as_dict()} differs from "
        f"ONBOARDING_TARGET_DAYS={target_days} (onboarding is overdue from day {target_days}); "
        f"use {{below: {target_days}}} so the digest and the nudges agree"
    )


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
    return tuple(_Target.model_fields)


def _reason(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    kind, message = error["type"], error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"unknown key; expected one of: {', '.join(_allowed_keys(loc[:-1]))}"
    if kind == "model_type" and len(loc) >= 2:
        return "expected a target such as {min: 0.9}, {max: 0} or {below: 8}"
    rate_bound = kind in ("less_than_equal", "greater_than_equal") and len(loc) >= 2
    if rate_bound and loc[-2] in RATE_KPIS:
        return f"{message} (a rate is a fraction: write 0.9 for 90%)"
    return message
