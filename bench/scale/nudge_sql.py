"""The due nudges in ONE hand-written SQL statement: the baseline for the nudge scan.

The same rules as :mod:`bot.services.nudges` and :mod:`bot.services.step_rules`, written
independently:

* each account's day is ``as_of`` in its owner's zone (their own, else their team's, else UTC):
  a small VALUES table maps every zone name in use to today there (and to the dates and UTC
  instants the rules compare with), so the statement joins instead of converting per row;
* ``missed_recap:meeting:ID`` to the meeting's AM, for a meeting between ``as_of - lookback``
  and ``as_of - grace`` with no recap logged by ``as_of``, on an account active that day;
* ``overdue_step:account:ID:STAGE:STEP:ENTERED`` to the owner, for a required step of the
  account's stage due (stage entry day there + offset) before today, not before
  ``known_since``, and not ticked for this stage since it was entered;
* ``onboarding_overdue:account:ID`` to the owner, onboarding not completed ``target`` days or
  more after it started, unless the last day it could finish was before ``known_since``;
* ``renewal:contract:ID:WINDOW`` to the owner, a contract ending 0..max(windows) days from
  today, in the smallest window that holds it;
* less anything in ``nudge_items`` for that person and key that is done, or sent and not
  snoozed past ``as_of``, or snoozed past it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.scale.sql import Query, query_for, zone
from bot.playbooks import PlaybookLibrary
from bot.services.nudges import NudgeRules

Key = tuple[int, str]

# CROSS JOIN keeps SQLite from looping over the small VALUES tables outside the big ones (it
# joins in the order written); PostgreSQL plans it like any inner join.
OWNED = """
    JOIN users o ON o.id = a.owner_id
    LEFT JOIN teams ot ON ot.id = o.team_id
    CROSS JOIN zt
"""
ACTIVE = (
    "zt.zone_name = COALESCE(o.timezone, ot.timezone, 'UTC')"
    " AND a.started_on <= zt.today AND (a.churned_on IS NULL OR a.churned_on > zt.today)"
)


def _id(column: str) -> str:
    return f"CAST({column} AS VARCHAR)"


def build(
    q: Query,
    zone_names: list[str],
    as_of: datetime,
    rules: NudgeRules,
    playbooks: PlaybookLibrary,
) -> str:
    windows = sorted(set(rules.renewal_windows))
    steps = [
        (stage, step.id, step.due_offset_days)
        for stage, playbook in playbooks.playbooks.items()
        for step in playbook.required_steps
    ] or [("", "", 0)]
    offsets = sorted({offset for _, _, offset in steps})
    zones, thresholds = [], []
    for name in zone_names:
        tz = zone(name)
        today = as_of.astimezone(tz).date()
        target = today - timedelta(days=rules.onboarding_target_days)
        zones.append([name, tz.key, today, target, *(today + timedelta(days=w) for w in windows)])
        for offset in offsets:
            midnight = datetime.combine(today - timedelta(days=offset), time.min, tzinfo=tz)
            thresholds.append([name, offset, midnight.astimezone(UTC)])
    window_columns = [f"r{w}" for w in windows]
    which_window = " ".join(f"WHEN c.end_on <= zt.r{w} THEN {w}" for w in windows)
    ctes = ",\n".join(
        [
            q.values("zt", ["zone_name", "tz", "today", "onboarding_by", *window_columns], zones),
            q.values("zs", ["zone_name", "days_after", "entered_before"], thresholds),
            q.values("rs", ["stage", "step_id", "days_after"], steps),
        ]
    )
    todays = [as_of.astimezone(zone(name)).date() for name in zone_names]
    first_day = q.param(min(todays))  # renewals: a constant range the index can serve
    last_day = q.param(max(todays) + timedelta(days=windows[-1]))
    as_of_p = q.param(as_of)
    recap_from = q.param(as_of - timedelta(days=rules.recap_lookback_days))
    recap_to = q.param(as_of - timedelta(hours=rules.recap_grace_hours))
    onboarding_due_from = q.minus_days("a.known_since", str(rules.onboarding_target_days - 1))
    entered_on = q.local_date("a.stage_entered_at", "zt.tz")
    step_key = (
        f"'overdue_step:account:' || {_id('a.id')} || ':' || a.stage || ':' || rs.step_id"
        f" || ':' || {q.utc_day('a.stage_entered_at')}"
    )
    return f"""
WITH {ctes},
due(user_id, item_key) AS (
  SELECT m.am_id, 'missed_recap:meeting:' || {_id("m.id")}
  FROM meetings m JOIN accounts a ON a.id = m.account_id {OWNED}
  WHERE m.occurred_at >= {recap_from} AND m.occurred_at <= {recap_to}
    AND (m.recap_logged_at IS NULL OR m.recap_logged_at > {as_of_p}) AND {ACTIVE}
  UNION ALL
  SELECT a.owner_id, {step_key}
  FROM accounts a {OWNED}
  CROSS JOIN rs CROSS JOIN zs
  WHERE {ACTIVE} AND rs.stage = a.stage
    AND zs.zone_name = zt.zone_name AND zs.days_after = rs.days_after
    AND a.stage_entered_at < zs.entered_before
    AND (a.known_since IS NULL
         OR {entered_on} >= {q.minus_days("a.known_since", "rs.days_after")})
    AND NOT EXISTS (
      SELECT 1 FROM step_completions sc
      WHERE sc.account_id = a.id AND sc.playbook = a.stage AND sc.step_id = rs.step_id
        AND sc.completed_at >= a.stage_entered_at)
  UNION ALL
  SELECT a.owner_id, 'onboarding_overdue:account:' || {_id("a.id")}
  FROM accounts a {OWNED}
  WHERE {ACTIVE} AND a.onboarding_completed_on IS NULL AND a.started_on <= zt.onboarding_by
    AND (a.known_since IS NULL OR a.started_on >= {onboarding_due_from})
  UNION ALL
  SELECT a.owner_id,
         'renewal:contract:' || {_id("c.id")} || ':' || {_id(f"CASE {which_window} END")}
  FROM contracts c JOIN accounts a ON a.id = c.account_id {OWNED}
  WHERE c.end_on >= {first_day} AND c.end_on <= {last_day}
    AND {ACTIVE} AND c.end_on >= zt.today AND c.end_on <= zt.r{windows[-1]}
)
SELECT d.user_id, d.item_key FROM due d
WHERE NOT EXISTS (
  SELECT 1 FROM nudge_items ni
  WHERE ni.user_id = d.user_id AND ni.item_key = d.item_key
    AND (ni.done_at IS NOT NULL
         OR (ni.last_sent_at IS NOT NULL
             AND (ni.snoozed_until IS NULL OR ni.snoozed_until > {as_of_p}))
         OR ni.snoozed_until > {as_of_p}))
"""


async def due_nudge_keys(
    session: AsyncSession, *, as_of: datetime, rules: NudgeRules, playbooks: PlaybookLibrary
) -> set[Key]:
    """(user id, nudge key) of every nudge due as of ``as_of`` and not settled."""
    names_sql = (
        "SELECT DISTINCT COALESCE(u.timezone, t.timezone, 'UTC') FROM users u"
        " LEFT JOIN teams t ON t.id = u.team_id"
    )
    zone_names = sorted(str(name) for name in (await session.scalars(text(names_sql))).all())
    q = await query_for(session)
    sql = build(q, zone_names or ["UTC"], as_of.astimezone(UTC), rules, playbooks)
    rows = await session.execute(q.statement(sql))
    return {(int(user_id), str(key)) for user_id, key in rows}
