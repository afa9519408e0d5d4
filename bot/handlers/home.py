"""`home`: the person's accounts, most urgent first, with the nudges pending for each.

Slack shows it on the App Home tab (and answers `/account home`); Teams and the console answer
`home` with the same data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from bot.handlers.base import CommandContext, Handler, Reply
from bot.services.access import sees_everything
from bot.services.nudges import KIND_ORDER, Nudge, pending_nudges
from bot.services.objections.lists import live_objections
from bot.services.portfolio import MAX_PAGE_SIZE, AccountRow, list_accounts
from storage.models import Role

MAX_URGENT = 30  # two blocks each; a Home view holds 100
TEAM_RISKS_SHOWN = 10
OBJECTIONS_SHOWN = 5


@dataclass
class UrgentAccount:
    id: int
    name: str
    stage: str
    renewal_on: date | None
    days_to_renewal: int | None
    flags: list[str]
    nudges: list[Nudge] = field(default_factory=list)

    @property
    def has_missed_recap(self) -> bool:
        return self.missed_recap_at is not None

    @property
    def missed_recap_at(self) -> str | None:
        """When the meeting of the most pressing missed recap was (ISO): its Log recap's."""
        missed = (n for n in self.nudges if n.kind == "missed_recap")
        return next((str(n.detail["occurred_at"]) for n in missed), None)

    def urgency(self) -> tuple[int, int, int, str]:
        """Missed recaps, then overdue steps, onboarding, renewals; then how many; then how soon."""
        worst = min((KIND_ORDER.index(n.kind) for n in self.nudges), default=len(KIND_ORDER))
        soon = self.days_to_renewal if self.days_to_renewal is not None else 10**6
        return (worst, -len(self.nudges) - len(self.flags), soon, self.name.casefold())


def _most_pressing_first(nudge: Nudge) -> tuple[int, int]:
    """By kind, then the longest overdue (days late, or hours since the meeting) first."""
    late = nudge.detail.get("days_overdue", nudge.detail.get("hours_since"))
    return (KIND_ORDER.index(nudge.kind), -late if isinstance(late, int) else 0)


def _urgent(row: AccountRow | None, nudges: list[Nudge]) -> UrgentAccount:
    if row is None:  # a nudge about an account not in the list (should not happen)
        first = nudges[0]
        return UrgentAccount(first.account_id, first.account, "", None, None, [], nudges)
    return UrgentAccount(
        row.id, row.name, row.stage, row.renewal_on, row.days_to_renewal, list(row.flags), nudges
    )


async def home(ctx: CommandContext, args: str) -> Reply:
    """Template data for `home`: urgent accounts (with nudges or risk flags), then the rest."""
    services, actor, now = ctx.services, ctx.actor, ctx.now
    rules = services.nudge_rules
    async with services.db.read_only() as session:
        nudges = await pending_nudges(
            session, as_of=now, rules=rules, playbooks=services.playbooks, user_id=actor.id
        )
        mine = await list_accounts(
            session,
            actor=actor,
            scope="mine",
            now=now,
            playbooks=services.playbooks,
            limit=MAX_PAGE_SIZE,
            recap_grace_hours=rules.recap_grace_hours,
            recap_lookback_days=rules.recap_lookback_days,
        )
        objections = await live_objections(
            session,
            actor=actor,
            walk=services.playbooks.walk,
            now=now,
            stale_days=services.settings.objection_stale_days,
            own_only=actor.role is Role.AM,  # a lead watches the team's
            limit=OBJECTIONS_SHOWN,
        )
        team_risks = None
        if actor.role is not Role.AM:  # leads, heads and ops watch their team's risks too
            team_risks = await list_accounts(
                session,
                actor=actor,
                scope="at-risk",
                now=now,
                playbooks=services.playbooks,
                limit=TEAM_RISKS_SHOWN,
                recap_grace_hours=rules.recap_grace_hours,
                recap_lookback_days=rules.recap_lookback_days,
            )
    by_account: dict[int, list[Nudge]] = defaultdict(list)
    for nudge in sorted(nudges, key=_most_pressing_first):
        by_account[nudge.account_id].append(nudge)
    rows = {row.id: row for row in mine.items}
    urgent = [_urgent(rows.get(account_id), found) for account_id, found in by_account.items()]
    urgent += [_urgent(row, []) for row in mine.items if row.id not in by_account and row.flags]
    urgent.sort(key=UrgentAccount.urgency)
    listed = {u.id for u in urgent}
    data = {
        "actor_name": actor.name,
        "now": now,
        "tz": actor.effective_timezone,
        "urgent": urgent[:MAX_URGENT],
        "urgent_total": len(urgent),
        "others": [row for row in mine.items if row.id not in listed],
        "total": mine.total,
        "nudge_count": len(nudges),
        "role": actor.role.value,
        "sees_everything": sees_everything(actor),
        "team_risks": team_risks,
        "objections": objections,
    }
    return Reply("home", data)


COMMANDS: dict[str, Handler] = {"home": home}
