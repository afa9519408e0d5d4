"""Every team's weekly KPIs from raw SQL aggregates: the baseline for the digests.

One grouped query per family of numbers covers ALL teams at once, grouped by person (the
account's owner; the meeting's AM), each person in their team's week and time zone (a VALUES
table of the reporting period per team time zone). A team's numbers are its people's summed.
The KPI formulas are the bench's own (`bench.scale.digest_formulas`), compared by name with
``KpiSet``: to compare a new KPI, add the tallies it needs to a query (``TALLY_QUERIES``) and
its formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.scale.digest_formulas import Tally, add, kpis, value
from bench.scale.sql import Query, query_for, zone
from bot.playbooks import PlaybookLibrary


@dataclass(frozen=True, slots=True)
class Period:
    """A team's reporting week: ``first``..``last`` (Monday..Sunday) in ``timezone``."""

    first: date
    last: date
    timezone: str


def _period_row(p: Period) -> list[object]:
    quarter = date(p.last.year, 3 * ((p.last.month - 1) // 3) + 1, 1)
    tz = zone(p.timezone)
    begins = datetime.combine(p.first, time.min, tzinfo=tz).astimezone(UTC)
    ends = datetime.combine(p.last + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return [
        p.timezone,
        p.first,
        p.last,
        p.last.replace(day=1),  # m0: the month of the last day
        quarter,  # q0
        date(p.last.year, 1, 1),  # y0
        p.last - timedelta(days=90),  # the trailing 90 days are after this one
        p.last + timedelta(days=30),
        p.last + timedelta(days=90),
        begins,
        ends,
    ]


PERIOD_COLUMNS = ["tz", "p0", "p1", "m0", "q0", "y0", "t0", "soon", "horizon", "u0", "u1"]
DIRECTORY = "SELECT u.id, u.email, t.name FROM users u JOIN teams t ON t.id = u.team_id"
# CROSS JOIN keeps SQLite from looping over the periods outside the big tables (it joins in
# the order written); PostgreSQL plans it like any inner join.
OWNER = "JOIN users u ON u.id = a.owner_id JOIN teams t ON t.id = u.team_id CROSS JOIN tp"
TEAM_PERIOD = "tp.tz = t.timezone"


@dataclass
class Span:
    """The earliest and latest value of a period column over all teams, as parameters: a
    constant range an index can serve before each row meets its own team's period."""

    q: Query
    rows: list[list[object]]
    playbooks: PlaybookLibrary

    def _pick(self, column: str, choose: Callable[..., Any]) -> str:
        return self.q.param(choose(row[PERIOD_COLUMNS.index(column)] for row in self.rows))

    def between(self, expression: str, first: str, last: str) -> str:
        return f"{expression} BETWEEN {self._pick(first, min)} AND {self._pick(last, max)}"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _active_at_end() -> str:
    return "a.started_on <= tp.p1 AND (a.churned_on IS NULL OR a.churned_on > tp.p1)"


def _active_at_start(day: str) -> str:
    return f"a.started_on <= {day} AND (a.churned_on IS NULL OR a.churned_on >= {day})"


def _accounts(q: Query, span: Span) -> str:
    q_churn = "a.churned_on BETWEEN tp.q0 AND tp.p1"
    m_churn = "a.churned_on BETWEEN tp.m0 AND tp.p1"
    return f"""SELECT a.owner_id,
      {_count(_active_at_end())} AS active_at_end,
      {_count("a.churned_on BETWEEN tp.p0 AND tp.p1")} AS churned_in_period,
      {_count("a.churned_on BETWEEN tp.m0 AND tp.p1")} AS churned_mtd,
      {_count(_active_at_start("tp.m0"))} AS active_at_month_start,
      {_count(q_churn)} AS churned_qtd,
      {_count(_active_at_start("tp.q0"))} AS active_at_quarter_start,
      SUM(CASE WHEN {q_churn} THEN a.mrr ELSE 0 END) AS churned_mrr_qtd,
      SUM(CASE WHEN {_active_at_start("tp.q0")} THEN a.mrr ELSE 0 END) AS mrr_at_quarter_start,
      {_count("a.churned_on BETWEEN tp.y0 AND tp.p1")} AS churned_ytd,
      {_count(_active_at_start("tp.y0"))} AS active_at_year_start,
      SUM(CASE WHEN {m_churn} THEN a.mrr ELSE 0 END) AS churned_mrr_mtd,
      SUM(CASE WHEN {_active_at_start("tp.m0")} THEN a.mrr ELSE 0 END) AS mrr_at_month_start
    FROM accounts a {OWNER} WHERE {TEAM_PERIOD} GROUP BY a.owner_id"""


def _upsells(q: Query, span: Span) -> str:
    won = "x.status = 'won' AND x.closed_on BETWEEN tp.p0 AND tp.p1"
    pitched = f"x.pitched_on BETWEEN tp.q0 AND tp.p1 AND {_active_at_end()}"
    coarse = (
        f"{span.between('x.closed_on', 'p0', 'p1')} OR {span.between('x.pitched_on', 'q0', 'p1')}"
    )
    return f"""SELECT a.owner_id, {_count(won)} AS upsells_won,
      SUM(CASE WHEN {won} THEN x.value ELSE 0 END) AS upsell_value_won,
      COUNT(DISTINCT CASE WHEN {pitched} THEN x.account_id END) AS pitched_active_accounts
    FROM upsells x JOIN accounts a ON a.id = x.account_id {OWNER}
    WHERE ({coarse}) AND {TEAM_PERIOD} AND (({won}) OR ({pitched})) GROUP BY a.owner_id"""


def _nps(q: Query, span: Span) -> str:
    return f"""SELECT a.owner_id, {_count("s.score >= 9")} AS nps_promoters,
      {_count("s.score <= 6")} AS nps_detractors, COUNT(*) AS nps_responses
    FROM satisfaction_signals s JOIN accounts a ON a.id = s.account_id {OWNER}
    WHERE {span.between("s.recorded_on", "t0", "p1")} AND {TEAM_PERIOD}
      AND s.kind = 'nps' AND s.score IS NOT NULL AND s.recorded_on > tp.t0
      AND s.recorded_on <= tp.p1
    GROUP BY a.owner_id"""


def _onboarding(q: Query, span: Span) -> str:
    days = q.days_between("a.onboarding_completed_on", "a.started_on")
    return f"""SELECT a.owner_id, SUM({days}) AS onboarding_days, COUNT(*) AS onboarded_accounts
    FROM accounts a {OWNER}
    WHERE {TEAM_PERIOD}
      AND a.onboarding_completed_on > tp.t0 AND a.onboarding_completed_on <= tp.p1
    GROUP BY a.owner_id"""


def _deliverables(q: Query, span: Span) -> str:
    return f"""SELECT a.owner_id, COUNT(*) AS missed_deadlines
    FROM deliverables d JOIN accounts a ON a.id = d.account_id {OWNER}
    WHERE {span.between("d.due_on", "p0", "p1")} AND {TEAM_PERIOD}
      AND d.due_on BETWEEN tp.p0 AND tp.p1
      AND (d.delivered_on IS NULL OR d.delivered_on > d.due_on)
    GROUP BY a.owner_id"""


def _meetings(q: Query, span: Span) -> str:
    in_time = "m.recap_logged_at IS NOT NULL AND m.recap_logged_at <= " + q.plus_hours(
        "m.occurred_at", 24
    )
    return f"""SELECT m.am_id, COUNT(*) AS meetings, {_count(in_time)} AS meetings_recapped_in_time
    FROM meetings m JOIN users u ON u.id = m.am_id JOIN teams t ON t.id = u.team_id
    CROSS JOIN tp
    WHERE {span.between("m.occurred_at", "u0", "u1")} AND {TEAM_PERIOD}
      AND m.occurred_at >= tp.u0 AND m.occurred_at < tp.u1
    GROUP BY m.am_id"""


def _renewals(q: Query, span: Span) -> str:
    return f"""SELECT a.owner_id, {_count("c.end_on <= tp.soon")} AS renewals_next_30,
      COUNT(*) AS renewals_next_90
    FROM contracts c JOIN accounts a ON a.id = c.account_id {OWNER}
    WHERE {span.between("c.end_on", "p1", "horizon")} AND {TEAM_PERIOD}
      AND {_active_at_end()} AND c.end_on > tp.p1 AND c.end_on <= tp.horizon
    GROUP BY a.owner_id"""


def _objections(q: Query, span: Span) -> str:
    still_open = """o.status <> 'draft' AND o.opened_at < tp.u1
      AND ((o.resolved_at IS NULL AND o.status <> 'resolved') OR o.resolved_at >= tp.u1)"""
    escalated = "(o.escalated_at < tp.u1 OR (o.escalated_at IS NULL AND o.status = 'escalated'))"
    return f"""SELECT a.owner_id, COUNT(*) AS open_objections,
      {_count(escalated)} AS escalated_objections
    FROM objections o JOIN accounts a ON a.id = o.account_id {OWNER}
    WHERE o.status IN ('open', 'escalated', 'resolved') AND {TEAM_PERIOD} AND {still_open}
    GROUP BY a.owner_id"""


def _steps_done_late(q: Query, span: Span) -> str:
    """Required steps of the current stage first ticked in the period (in the team's zone), on a
    day after their due day (stage entry day + offset, both in the owner's zone), unless due
    before accountbot knew the account."""
    offsets = " ".join(
        f"WHEN a.stage = {q.param(stage)} AND sc.step_id = {q.param(step.id)} "
        f"THEN {int(step.due_offset_days)}"
        for stage, playbook in span.playbooks.playbooks.items()
        for step in playbook.required_steps
    )
    owner_zone = "COALESCE(u.timezone, t.timezone, 'UTC')"
    due = q.plus_days(q.local_date("x.stage_entered_at", "x.zone"), "x.offset_days")
    return f"""SELECT x.owner_id, COUNT(*) AS steps_done_late FROM (
      SELECT a.owner_id, a.stage_entered_at, a.known_since, sc.completed_at,
        {owner_zone} AS zone, CASE {offsets} END AS offset_days
      FROM step_completions sc JOIN accounts a ON a.id = sc.account_id {OWNER}
      WHERE {span.between("sc.completed_at", "u0", "u1")} AND {TEAM_PERIOD}
        AND sc.completed_at >= tp.u0 AND sc.completed_at < tp.u1
        AND sc.playbook = a.stage AND sc.completed_at >= a.stage_entered_at
        AND NOT EXISTS (SELECT 1 FROM step_completions e
          WHERE e.account_id = sc.account_id AND e.playbook = sc.playbook
            AND e.step_id = sc.step_id AND e.completed_at >= a.stage_entered_at
            AND (e.completed_at < sc.completed_at
              OR (e.completed_at = sc.completed_at AND e.id < sc.id)))
    ) x
    WHERE x.offset_days IS NOT NULL
      AND {q.local_date("x.completed_at", "x.zone")} > {due}
      AND (x.known_since IS NULL OR {due} >= x.known_since)
    GROUP BY x.owner_id"""


TALLY_QUERIES: tuple[Callable[[Query, Span], str], ...] = (
    _accounts,
    _upsells,
    _nps,
    _onboarding,
    _deliverables,
    _meetings,
    _renewals,
    _objections,
    _steps_done_late,
)


@dataclass
class SqlKpis:
    """Per team name, and per person's email: KPI name -> value."""

    teams: dict[str, dict[str, Any]]
    people: dict[str, dict[str, Any]]


async def all_team_kpis(
    session: AsyncSession, periods: dict[str, Period], playbooks: PlaybookLibrary
) -> SqlKpis:
    """The KPIs of every team whose time zone has a period in ``periods`` (by time zone)."""
    rows = [_period_row(p) for p in periods.values()]
    people: dict[int, Tally] = defaultdict(dict)
    dialect = (await query_for(session)).dialect
    for tally_query in TALLY_QUERIES:
        q = Query(dialect)
        tp = q.values("tp", PERIOD_COLUMNS, rows)
        span = Span(q, rows, playbooks)
        body = tally_query(q, span)
        sql = f"WITH {tp} {body}"
        result = await session.execute(q.statement(sql))
        names = list(result.keys())[1:]
        for person, *values in result:
            add(people[person], {n: value(n, v) for n, v in zip(names, values, strict=True)})
    directory = await session.execute(text(DIRECTORY))
    teams: dict[str, Tally] = {}
    emails: dict[str, Tally] = {}
    for user_id, email, team in directory:
        tally = people.get(user_id, {})
        add(teams.setdefault(team, {}), tally)
        emails[email] = tally
    return SqlKpis(
        teams={name: kpis(tally) for name, tally in teams.items()},
        people={email: kpis(tally) for email, tally in emails.items()},
    )
