"""KPI statements built once per shape, run with each request's days and people.

A KPI statement depends on its shape (how many periods it counts, in how many time zones,
whether its scope is one person or the people of some teams, what it groups by), never on the
days or the ids themselves. So each is built once per shape against named parameters, and each
run binds its own values: building the statements (and their cache keys) used to cost a team's
`kpi team` more than running them.

While a statement is built, :class:`Bound` hands out the parameters it uses, each with how its
value is worked out from a :class:`Run` (the periods, the scope, the zones of a request);
:meth:`Bound.values` then works out every one of them for a run. :class:`Days` and
:class:`ScopeShape` stand where a `Period` and a `Scope` stood when statements were built for
each request, so the builders read the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import BindParameter, ColumnElement, Date, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeEngine

from bot.services.kpis.tally import Period, Scope
from storage.models import User
from storage.types import UTCDateTime

ScopeKind = Literal["person", "teams"]
_UTC = UTCDateTime()


@dataclass(frozen=True, slots=True)
class Run:
    """What one run of a statement counts: its periods, its scope, and (for the counts of
    moments) each zone's part of the scope and the periods' bounds there, in UTC."""

    periods: Sequence[Period]
    scope: Scope
    zones: Sequence[tuple[Scope, Sequence[tuple[datetime, datetime]]]] = ()


def scope_kind(scope: Scope) -> ScopeKind:
    return "person" if scope.user_id is not None else "teams"


def _team_ids(scope: Scope) -> list[int]:
    if scope.team_ids is not None:
        return list(scope.team_ids)
    return [] if scope.team_id is None else [scope.team_id]


class Bound:
    """The named parameters of one statement, and how each one's value is worked out."""

    def __init__(self) -> None:
        self._params: dict[str, BindParameter[Any]] = {}
        self._value_of: dict[str, Callable[[Run], Any]] = {}

    def param(
        self,
        name: str,
        value_of: Callable[[Run], Any],
        type_: TypeEngine[Any] | type[TypeEngine[Any]] | None = None,
        *,
        expanding: bool = False,
    ) -> BindParameter[Any]:
        found = self._params.get(name)
        if found is None:
            found = self._params[name] = bindparam(name, type_=type_, expanding=expanding)
            self._value_of[name] = value_of
        return found

    def values(self, run: Run) -> dict[str, Any]:
        return {name: value_of(run) for name, value_of in self._value_of.items()}

    def days(self, index: int) -> Days:
        return Days(self, index)

    def earliest(self, what: str, plus_days: int = 0) -> BindParameter[Any]:
        """The earliest of the periods' ``what`` (a `Period` attribute), plus some days."""
        return self.param(
            f"earliest_{what}_{plus_days}",
            lambda run: min(getattr(p, what) for p in run.periods) + timedelta(days=plus_days),
            Date,
        )

    def latest(self, what: str, plus_days: int = 0) -> BindParameter[Any]:
        return self.param(
            f"latest_{what}_{plus_days}",
            lambda run: max(getattr(p, what) for p in run.periods) + timedelta(days=plus_days),
            Date,
        )

    def bound(self, zone: int, index: int, side: int) -> BindParameter[Any]:
        """The start (``side`` 0) or end (1) of period ``index`` in the run's zone ``zone``."""
        return self.param(
            f"z{zone}_p{index}_{'after' if side else 'first'}",
            lambda run: run.zones[zone][1][index][side],
            _UTC,
        )

    def moment(self, which: Literal["earliest", "latest"]) -> BindParameter[Any]:
        """The first start (or the last end) of any period in any of the run's zones."""
        pick = min if which == "earliest" else max
        side = 0 if which == "earliest" else 1
        return self.param(
            f"{which}_moment",
            lambda run: pick(b[side] for _, bounds in run.zones for b in bounds),
            _UTC,
        )

    def scope(self, kind: ScopeKind) -> ScopeShape:
        return ScopeShape(self, kind, lambda run: run.scope, "scope")

    def zone_scope(self, kind: ScopeKind, zone: int) -> ScopeShape:
        """The part of the scope in the run's zone ``zone``."""
        return ScopeShape(self, kind, lambda run: run.zones[zone][0], f"z{zone}")


class Days:
    """Period ``index`` of a run, its days as parameters (the `Period` attributes the KPI
    statements use)."""

    def __init__(self, bound: Bound, index: int) -> None:
        self._bound = bound
        self._index = index

    def _day(self, what: str, plus_days: int = 0) -> BindParameter[Any]:
        index = self._index

        def value_of(run: Run) -> date:
            day: date = getattr(run.periods[index], what)
            return day + timedelta(days=plus_days)

        suffix = f"_plus_{plus_days}" if plus_days else ""
        return self._bound.param(f"p{index}_{what}{suffix}", value_of, Date)

    @property
    def start(self) -> BindParameter[Any]:
        return self._day("start")

    @property
    def end(self) -> BindParameter[Any]:
        return self._day("end")

    @property
    def month_start(self) -> BindParameter[Any]:
        return self._day("month_start")

    @property
    def quarter_start(self) -> BindParameter[Any]:
        return self._day("quarter_start")

    @property
    def year_start(self) -> BindParameter[Any]:
        return self._day("year_start")

    @property
    def trailing_after(self) -> BindParameter[Any]:
        return self._day("trailing_after")

    def end_plus(self, days: int) -> BindParameter[Any]:
        return self._day("end", days)


@dataclass(frozen=True)
class ScopeShape:
    """A scope of ``kind``, whose person or team ids are a parameter (`Scope.people`)."""

    bound: Bound
    kind: ScopeKind
    of_run: Callable[[Run], Scope]
    prefix: str

    def people(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        of_run = self.of_run
        if self.kind == "person":
            user = self.bound.param(f"{self.prefix}_user", lambda run: of_run(run).user_id)
            return column == user
        teams = self.bound.param(
            f"{self.prefix}_teams", lambda run: _team_ids(of_run(run)), expanding=True
        )
        return column.in_(select(User.id).where(User.team_id.in_(teams)))

    def teams(self) -> BindParameter[Any]:
        """The ids of the teams of the scope (for a CASE over zones by team)."""
        of_run = self.of_run
        return self.bound.param(
            f"{self.prefix}_team_ids", lambda run: _team_ids(of_run(run)), expanding=True
        )


def zones_of(
    periods: Sequence[Period], zones: Mapping[str, Scope]
) -> list[tuple[Scope, list[tuple[datetime, datetime]]]]:
    """Each zone's part of the scope, and the periods' bounds there (in UTC), in order."""
    return [
        (part, [Period(p.start, p.end, zone).utc_bounds() for p in periods])
        for zone, part in zones.items()
    ]
