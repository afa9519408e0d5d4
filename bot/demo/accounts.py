"""Stage-consistent accounts for the demo book: start dates, stage entry, contracts, money.

Each stage gets dates a real book would have (all relative to "today" in the team's zone):

* onboarding — started 0–10 days ago, not completed (so some are past the 8-day target);
* adaptation — started 1–3 months ago, onboarding completed in 4–12 days;
* growth — started 3–18 months ago, current 12-month contract ending more than 90 days out;
* renewal — current contract ending within 90 days (some exactly 0, 7, 14, 30, 60, 90);
* churned — any later stage, churned 3–100 days ago with a reason.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.demo.names import CHURN_REASONS, CURATED_ACCOUNTS, company_names
from storage.keys import name_key
from storage.models import Stage

STAGE_WEIGHTS = {Stage.ONBOARDING: 10, Stage.ADAPTATION: 18, Stage.GROWTH: 50, Stage.RENEWAL: 17}
CHURN_SHARE = 0.07
RENEWAL_MARKS = (0, 7, 14, 30, 60, 90)
FORCED_RENEWAL_MARKS = (7, 14, 30)
RENEWAL_HORIZON = 90
MRR_RANGE = (1_500, 40_000)
ACCOUNTS_PER_AM = (8, 12)
# The first four accounts of each AM cover every stage (rotated between AMs).
ROTATION = (Stage.GROWTH, Stage.RENEWAL, Stage.ADAPTATION, Stage.ONBOARDING)
FORCED_EDGES = (Stage.ONBOARDING, Stage.RENEWAL)
HEAD_SPONSORS_FROM_MRR = 20_000


@dataclass(frozen=True, slots=True)
class Seat:
    """Where an account sits: its team (index), the team's zone and today there, its people."""

    team: int
    zone: ZoneInfo
    today: date
    owner_id: int
    lead_id: int


@dataclass(slots=True)
class AccountPlan:
    """An account before it is inserted (``id`` is set after the insert)."""

    name: str
    seat: Seat
    stage: Stage
    started_on: date
    stage_entered_at: datetime
    contracts: list[tuple[date, date]]
    mrr: Decimal
    onboarding_completed_on: date | None = None
    churned_on: date | None = None
    churn_reason: str | None = None
    exec_sponsor_id: int | None = None
    id: int = field(default=0)

    @property
    def active(self) -> bool:
        return self.churned_on is None

    def account_row(self, now: datetime) -> dict[str, Any]:
        created = local_at(self.started_on - timedelta(days=3), 16, 0, self.seat.zone)
        return {
            "name": self.name,
            "name_key": name_key(self.name),
            "owner_id": self.seat.owner_id,
            "exec_sponsor_id": self.exec_sponsor_id,
            "stage": self.stage,
            "stage_entered_at": self.stage_entered_at,
            "mrr": self.mrr,
            "started_on": self.started_on,
            "onboarding_completed_on": self.onboarding_completed_on,
            "churned_on": self.churned_on,
            "churn_reason": self.churn_reason,
            "created_at": min(created, now),
        }

    def contract_rows(self, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
        auto_renew = rng.random() < 0.3
        return [
            {
                "account_id": self.id,
                "start_on": start,
                "end_on": end,
                "value": self.mrr * 12,
                "auto_renew": auto_renew,
                "created_at": min(local_at(start - timedelta(days=5), 12, 0, self.seat.zone), now),
            }
            for start, end in self.contracts
        ]


def local_at(
    day: date, hour: int, minute: int, zone: ZoneInfo, now: datetime | None = None
) -> datetime:
    """``day`` at ``hour:minute`` in ``zone``, as UTC; if that is after ``now``, a moment
    between that day's local midnight and ``now`` instead (so nothing lies in the future)."""
    moment = datetime.combine(day, time(hour, minute), zone).astimezone(UTC)
    if now is not None and moment > now:
        midnight = datetime.combine(day, time.min, zone).astimezone(UTC)
        moment = midnight + (now - midnight) / 2
    return moment


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def contract_terms(started_on: date, through: date) -> list[tuple[date, date]]:
    """Back-to-back 12-month terms from ``started_on`` up to the one covering ``through``."""
    terms: list[tuple[date, date]] = []
    start = started_on
    while not terms or terms[-1][1] < through:
        end = add_years(start, 1) - timedelta(days=1)
        terms.append((start, end))
        start = end + timedelta(days=1)
    return terms


def pick_stage(rng: random.Random) -> Stage | None:
    """A stage by how books usually spread, or None for a churned account."""
    if rng.random() < CHURN_SHARE:
        return None
    stages = list(STAGE_WEIGHTS)
    return rng.choices(stages, weights=[STAGE_WEIGHTS[s] for s in stages])[0]


def random_mrr(rng: random.Random) -> Decimal:
    """Log-uniform between the bounds, to the nearest 50: many small clients, a few large."""
    low, high = MRR_RANGE
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return Decimal(min(high, max(low, round(value / 50) * 50)))


def plan_account(
    rng: random.Random, *, name: str, seat: Seat, stage: Stage | None, now: datetime, force: bool
) -> AccountPlan:
    """An account of ``stage`` (None: churned). ``force`` puts it on an edge the demo shows:
    onboarding 9–10 days without completion; a renewal due in exactly 7, 14 or 30 days."""
    if stage is None:
        return _churned(rng, name, seat, now)
    today, zone = seat.today, seat.zone
    mrr = random_mrr(rng)
    if stage is Stage.ONBOARDING:
        started = today - timedelta(days=rng.randint(9, 10) if force else rng.randint(0, 10))
        entered = local_at(started, 9, 30, zone, now)
        return AccountPlan(name, seat, stage, started, entered, contract_terms(started, today), mrr)
    if stage is Stage.ADAPTATION:
        started = today - timedelta(days=rng.randint(30, 90))
        done = started + timedelta(days=rng.randint(4, 12))
        entered = local_at(done, 17, 0, zone, now)
        terms = contract_terms(started, today)
        return AccountPlan(name, seat, stage, started, entered, terms, mrr, done)
    if stage is Stage.GROWTH:
        while True:
            started = today - timedelta(days=rng.randint(90, 540))
            terms = contract_terms(started, today)
            if (terms[-1][1] - today).days > RENEWAL_HORIZON:
                break
        done = started + timedelta(days=rng.randint(4, 11))
        entered = local_at(started + timedelta(days=rng.randint(60, 88)), 11, 0, zone, now)
        return AccountPlan(name, seat, stage, started, entered, terms, mrr, done)
    if force:
        days_left = rng.choice(FORCED_RENEWAL_MARKS)
    elif rng.random() < 0.35:
        days_left = rng.choice(RENEWAL_MARKS)
    else:
        days_left = rng.randint(0, RENEWAL_HORIZON)
    end = today + timedelta(days=days_left)
    started = add_years(end + timedelta(days=1), -rng.choice((1, 1, 2, 3)))
    done = started + timedelta(days=rng.randint(4, 10))
    entered_on = end - timedelta(days=rng.randint(RENEWAL_HORIZON, RENEWAL_HORIZON + 10))
    entered = local_at(entered_on, 10, 0, zone, now)
    return AccountPlan(name, seat, stage, started, entered, contract_terms(started, end), mrr, done)


def _churned(rng: random.Random, name: str, seat: Seat, now: datetime) -> AccountPlan:
    stage = rng.choice((Stage.ADAPTATION, Stage.GROWTH, Stage.RENEWAL))
    churned = seat.today - timedelta(days=rng.randint(3, 100))
    tenure = rng.randint(45, 90) if stage is Stage.ADAPTATION else rng.randint(120, 500)
    started = churned - timedelta(days=tenure)
    done = started + timedelta(days=rng.randint(5, 12))
    entered_on = {
        Stage.ADAPTATION: done,
        Stage.GROWTH: started + timedelta(days=70),
        Stage.RENEWAL: max(done, churned - timedelta(days=60)),
    }[stage]
    terms = contract_terms(started, churned - timedelta(days=1))
    terms[-1] = (terms[-1][0], min(terms[-1][1], churned))
    return AccountPlan(
        name,
        seat,
        stage,
        started,
        local_at(entered_on, 10, 0, seat.zone, now),
        terms,
        random_mrr(rng),
        onboarding_completed_on=done,
        churned_on=churned,
        churn_reason=rng.choice(CHURN_REASONS),
    )


def plan_book(
    rng: random.Random,
    now: datetime,
    *,
    zones: list[ZoneInfo],
    lead_ids: list[int],
    am_ids: list[list[int]],
    head_id: int,
) -> list[AccountPlan]:
    """8–12 accounts per AM (``am_ids[team]``), every stage in every team, one churned per team.

    The hand-picked names go, live, to the first AM of the first team. The first onboarding
    and renewal account of each team sit on the edges :func:`plan_account` ``force`` gives.
    The head sponsors the large accounts and a quarter of the rest, the lead another fifth.
    """
    counts = [[rng.randint(*ACCOUNTS_PER_AM) for _ in ams] for ams in am_ids]
    names = iter(company_names(rng, sum(map(sum, counts))))
    plans: list[AccountPlan] = []
    for team, ams in enumerate(am_ids):
        forced: set[Stage] = set()
        today = now.astimezone(zones[team]).date()
        for am, owner_id in enumerate(ams):
            seat = Seat(team, zones[team], today, owner_id, lead_ids[team])
            for index in range(counts[team][am]):
                stage: Stage | None
                if index < len(ROTATION):
                    stage = ROTATION[(index + am) % len(ROTATION)]
                elif am == 0 and index == counts[team][am] - 1:
                    stage = None
                else:
                    stage = pick_stage(rng)
                if stage is None and len(plans) < len(CURATED_ACCOUNTS):
                    stage = Stage.GROWTH
                force = stage in FORCED_EDGES and stage not in forced
                if force and stage is not None:
                    forced.add(stage)
                name = next(names)
                plan = plan_account(rng, name=name, seat=seat, stage=stage, now=now, force=force)
                roll = rng.random()
                if plan.mrr >= HEAD_SPONSORS_FROM_MRR or roll < 0.25:
                    plan.exec_sponsor_id = head_id
                elif roll < 0.45:
                    plan.exec_sponsor_id = seat.lead_id
                plans.append(plan)
    return plans
