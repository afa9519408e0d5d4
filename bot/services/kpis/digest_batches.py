"""The digests of many teams (a whole book's Monday run, `accountbot digest --all`), a batch
at a time, so that the memory of the run stays bounded whatever the size of the book.

Two sizes of batch (see :mod:`bot.services.kpis.teams`): each person's numbers are counted
for :data:`~bot.services.kpis.teams.TEAMS_PER_PEOPLE_PASS` teams at once (a row per person and
week), each account's and the digests themselves for
:data:`~bot.services.kpis.teams.TEAMS_PER_BATCH` at a time (a row per account). Each batch
of the people statements reads the accounts of the whole book, so the larger their batches,
the fewer times it is read. A team's digest is the same whichever batches it was in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from bot.playbooks import PlaybookLibrary
from bot.services.kpis.digest import Digest, PeopleTallies, count_people, team_digests
from bot.services.kpis.targets import KpiTargets
from bot.services.kpis.teams import TEAMS_PER_BATCH, TEAMS_PER_PEOPLE_PASS, in_batches
from bot.services.kpis.weeks import IsoWeek
from bot.settings import Settings
from storage.db import Database
from storage.models import Team

Chosen = Sequence[tuple[Team, IsoWeek]]  # each team and the week of its digest


def _of_week(chosen: Chosen, week: IsoWeek) -> list[Team]:
    return [team for team, each in chosen if each == week]


async def digests_in_batches(
    db: Database,
    chosen: Chosen,
    *,
    targets: KpiTargets,
    playbooks: PlaybookLibrary,
    settings: Settings,
    people_pass: int = TEAMS_PER_PEOPLE_PASS,
    batch_size: int = TEAMS_PER_BATCH,
) -> AsyncIterator[list[Digest]]:
    """The digest of each of the ``chosen`` teams for its week, in order, ``batch_size``
    teams at a time (each batch read in a session of its own), their people's numbers counted
    ``people_pass`` teams at a time."""
    for part in in_batches(chosen, people_pass):
        weeks = sorted({week for _, week in part})
        people: dict[IsoWeek, PeopleTallies] = {}
        async with db.read_only() as session:
            for week in weeks:
                teams = _of_week(part, week)
                people[week] = await count_people(
                    session, teams=teams, week=week, playbooks=playbooks
                )
        for batch in in_batches(part, batch_size):
            found: dict[tuple[int, IsoWeek], Digest] = {}
            async with db.read_only() as session:
                for week in weeks:
                    if not (teams := _of_week(batch, week)):
                        continue
                    digests = await team_digests(
                        session,
                        teams=teams,
                        week=week,
                        targets=targets,
                        playbooks=playbooks,
                        settings=settings,
                        people=people[week],
                    )
                    found.update(((team_id, week), digest) for team_id, digest in digests.items())
            yield [found[team.id, week] for team, week in batch]
