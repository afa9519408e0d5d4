"""Many teams' digests and KPI reports at once (bot.services.kpis.teams), on SQLite and
PostgreSQL: the same numbers as each team's alone, in every time zone and whichever batches
the teams were counted in, from a number of queries that does not grow with the number of
teams."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event

from bot.playbooks import load_playbooks
from bot.services.kpis import IsoWeek, load_kpi_targets, team_kpi_report
from bot.services.kpis.digest import SERIES_WEEKS, team_digest, team_digests, weeks_ending
from bot.services.kpis.digest_batches import digests_in_batches
from bot.services.kpis.queries import tally_by_period
from bot.services.kpis.report import team_kpi_reports
from bot.services.kpis.tally import Scope
from bot.services.kpis.teams import tally_teams, team_batch
from bot.settings import Settings
from storage.db import Database
from storage.models import Team
from tests.integration.teams_book import seed_teams

W07 = IsoWeek(2026, 7)
PLAYBOOKS = load_playbooks()
TARGETS = load_kpi_targets()
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
FIRST = "New_York 0"  # the first team seeded


@contextmanager
def selects(db: Database) -> Iterator[list[str]]:
    """The SELECT statements sent to the database inside the block."""
    sent: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def _digests(db: Database, teams: list[Team], week: IsoWeek = W07) -> dict[int, Any]:
    async with db.read_only() as session:
        return await team_digests(
            session, teams=teams, week=week, targets=TARGETS, playbooks=PLAYBOOKS, settings=SETTINGS
        )


async def test_many_teams_digests_equal_each_teams_own(db: Database) -> None:
    teams = await seed_teams(db, per_zone=2)
    together = await _digests(db, teams)
    assert list(together) == [team.id for team in teams]
    for team in teams:
        async with db.read_only() as session:
            alone = await team_digest(
                session,
                team=team,
                week=W07,
                targets=TARGETS,
                playbooks=PLAYBOOKS,
                settings=SETTINGS,
            )
        mine = together[team.id]
        assert mine.report == alone.report, team.name
        assert mine.previous == alone.previous, team.name
        assert mine.changes == alone.changes, team.name
        assert mine.reasons == alone.reasons, team.name
        assert mine.people == alone.people, team.name
        assert mine.attention == alone.attention, team.name
        assert mine.series == alone.series, team.name
        assert mine.to_dict() == alone.to_dict(), team.name

    # The same story on every wall clock: the same numbers in every zone (but for the first
    # team, whose Sam met no neighbour's account).
    kpis = {team.name: together[team.id].report.kpis for team in teams}
    others = [k for name, k in kpis.items() if name != FIRST]
    assert all(k == others[0] for k in others)
    # Mon 00:15 (late), Wed (no recap), Thu (24 h: in time), Sun 23:30 local (the Sunday
    # 23:30 before is W06's); the neighbour's meeting (late).
    assert (others[0].meetings, others[0].recap_compliance) == (5, 0.4)
    assert kpis[FIRST].meetings == 4
    assert (others[0].open_objections, others[0].escalated_objections) == (3, 1)
    assert (others[0].steps_done_late, others[0].churned_accounts) == (1, 1)
    digest = together[teams[0].id]
    assert digest.reasons and digest.attention and digest.previous is not None
    assert [p.vacation_until for p in digest.people if p.vacation_until] == [date(2026, 2, 20)]


async def test_a_digest_is_the_same_whichever_batches_its_team_was_counted_in(
    db: Database,
) -> None:
    teams = await seed_teams(db, per_zone=2)
    together = await _digests(db, teams)
    # two weeks among them, as when teams ahead of UTC are a week on
    chosen = [(team, W07) for team in teams] + [(team, IsoWeek(2026, 6)) for team in teams[:3]]

    async def in_batches(people_pass: int, batch_size: int) -> tuple[list[Any], int]:
        with selects(db) as sent:
            batches = digests_in_batches(
                db,
                chosen,
                targets=TARGETS,
                playbooks=PLAYBOOKS,
                settings=SETTINGS,
                people_pass=people_pass,
                batch_size=batch_size,
            )
            found = [batch async for batch in batches]
        assert [len(batch) for batch in found] == [batch_size] * (len(chosen) // batch_size) + (
            [len(chosen) % batch_size] if len(chosen) % batch_size else []
        )
        return [digest for batch in found for digest in batch], len(sent)

    one_pass, one_pass_selects = await in_batches(people_pass=len(chosen), batch_size=2)
    many_passes, many_passes_selects = await in_batches(people_pass=2, batch_size=2)
    assert [d.to_dict() for d in one_pass] == [d.to_dict() for d in many_passes]
    assert [d.team for d in one_pass] == [team.name for team, _ in chosen]
    assert [d.week for d in one_pass] == [week for _, week in chosen]
    for team, digest in zip(teams, one_pass, strict=False):
        assert digest == together[team.id], team.name
    earlier = await _digests(db, teams[:3], week=IsoWeek(2026, 6))
    assert one_pass[len(teams) :] == [earlier[team.id] for team in teams[:3]]
    # the people's numbers counted once for all the teams: fewer queries than once a batch
    assert one_pass_selects < many_passes_selects, (one_pass_selects, many_passes_selects)


async def test_many_teams_tallies_equal_each_teams_scoped_queries(db: Database) -> None:
    teams = await seed_teams(db, per_zone=2)
    async with db.read_only() as session:
        batch = await team_batch(session, teams)
        days = [period for _, period in weeks_ending(W07, SERIES_WEEKS, "UTC")]
        by_person = await tally_teams(session, batch, days, playbooks=PLAYBOOKS)
        by_account = await tally_teams(session, batch, days[-2:], by="account", playbooks=PLAYBOOKS)
        for team in teams:
            periods = [period for _, period in weeks_ending(W07, SERIES_WEEKS, team.timezone)]
            scope = Scope(team_id=team.id)
            alone = await tally_by_period(
                session, periods=periods, scope=scope, playbooks=PLAYBOOKS
            )
            assert by_person[team.id] == alone, team.name
            alone = await tally_by_period(
                session, periods=periods[-2:], scope=scope, by="account", playbooks=PLAYBOOKS
            )
            assert by_account[team.id] == alone, team.name
    shared = [t for t in by_account.values() if any(len(week) > 6 for week in t)]
    assert shared, "some team counts a meeting on another team's account"


async def test_many_teams_kpi_reports_equal_each_teams_own(db: Database) -> None:
    teams = await seed_teams(db, per_zone=2)
    for through in (None, date(2026, 2, 11)):
        async with db.read_only() as session:
            together = await team_kpi_reports(
                session, teams=teams, week=W07, through=through, targets=TARGETS
            )
            for team in teams:
                alone = await team_kpi_report(
                    session, team=team, week=W07, through=through, targets=TARGETS
                )
                assert together[team.id] == alone, (team.name, through)


async def test_the_queries_of_many_teams_do_not_grow_with_the_number_of_teams(
    db: Database,
) -> None:
    teams = await seed_teams(db, per_zone=3)
    one_per_zone = teams[::3]
    assert len({team.timezone for team in one_per_zone}) == 3
    with selects(db) as one:
        await _digests(db, teams[:1])
    with selects(db) as few:
        await _digests(db, one_per_zone)
    with selects(db) as many:
        await _digests(db, teams)
    # more zones cost a few more queries (meetings are counted per zone), more teams none
    assert len(one) < len(few) == len(many) <= 40, (len(one), len(few), len(many))

    async def reports(chosen: list[Team]) -> None:
        async with db.read_only() as session:
            await team_kpi_reports(session, teams=chosen, week=W07, targets=TARGETS)

    with selects(db) as few:
        await reports(one_per_zone)
    with selects(db) as many:
        await reports(teams)
    assert len(few) == len(many) <= 20, (len(few), len(many))
