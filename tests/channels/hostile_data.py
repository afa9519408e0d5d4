"""Hostile, oversized template data for the Slack template tests, built from the real types.

Names with `<!channel>`, `<@U123>` and `&`, texts over 3000 characters, 60-item lists.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.charts import chart_alt_text
from bot.handlers.help import COMMAND_HELP
from bot.handlers.home import UrgentAccount
from bot.handlers.meetings import RecapFields
from bot.playbooks import TalkTrack, load_playbooks
from bot.services.daily import TeamAlert
from bot.services.kpis import AmKpis, IsoWeek, KpiSet, TeamKpiReport
from bot.services.kpis.attention import AttentionAccount
from bot.services.kpis.digest import HEADLINE, Digest, KpiChange, WeekPoint
from bot.services.kpis.people import AmStatus, FurthestOff
from bot.services.kpis.reasons import Reason
from bot.services.nudges import Nudge
from bot.services.objections.escalation import Escalation
from bot.services.objections.follow_ups import FollowUpState
from bot.services.objections.forms import step_inputs
from bot.services.objections.lists import ObjectionList
from bot.services.objections.views import (
    Fact,
    KindProposal,
    ObjectionSummary,
    WalkScreen,
)
from bot.services.playbook_progress import PlaybookProgress, StepState
from bot.services.portfolio import AccountList, AccountRow
from bot.services.preferences import KIND_NAMES, NUDGE_KINDS, Preferences
from bot.services.renewals import RenewalRow
from bot.services.stage_change import StageChange
from bot.services.status import AccountStatus, LastMeeting
from storage.models import Meeting, MeetingKind

# Slack markup and Teams markdown a name could try: mentions, links, emphasis, card functions.
MARKDOWN = "**Bold** _it_ [x](https://evil.example) `code` {{DATE(2017-02-14T06:08:39Z)}} #1"
EVIL = f"<!channel> Evil & <@U123|boss> Co {MARKDOWN}"
EVIL_ESCAPED = f"&lt;!channel&gt; Evil &amp; &lt;@U123|boss&gt; Co {MARKDOWN}"
LONG = ("<!here> & " * 400)[:3500]  # 3500 characters of markup
ZONE = EVIL.replace("/", "")  # an owner's zone as imported: named by what follows a "/"
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def kpis() -> KpiSet:
    return KpiSet(
        accounts_active=60,
        churned_accounts=2,
        logo_churn_rate_mtd=0.0333,
        logo_churn_rate_qtd=None,
        revenue_churn_rate_qtd=0.0125,
        upsells_won=3,
        upsell_value_won=Decimal("4500.50"),
        upsell_pitch_coverage_qtd=0.2,
        nps_90d=-12.5,
        avg_onboarding_days=9.25,
        missed_deadlines=4,
        meetings=41,
        recap_compliance=0.85,
        renewals_next_30=5,
        renewals_next_90=17,
    )


TARGETS = {
    "recap_compliance": {"min": 1.0},
    "missed_deadlines": {"max": 0.0},
    "nps_90d": {"min": 30.0, "max": 100.0},
    "avg_onboarding_days": {"below": 8.0},  # `< 8`: markup in Slack and Teams
    "upsell_pitch_coverage_qtd": {"above": 0.1, "max": 1.0},
}


def am(n: int) -> AmKpis:
    return AmKpis(
        f"am{n}@example.com",
        f"{EVIL} {LONG}",
        "senior",
        kpis(),
        TARGETS,
        [
            "recap_compliance",
            "missed_deadlines",
            "nps_90d",
            "avg_onboarding_days",
            "renewals_next_30",
        ],
    )


def report() -> TeamKpiReport:
    week = IsoWeek(2026, 10)
    return TeamKpiReport(
        EVIL + LONG,
        "UTC",
        week,
        week.first_day,
        TODAY,
        kpis(),
        [am(n) for n in range(60)],
        TARGETS,
        ["recap_compliance"],
    )


def digest(people: int = 60) -> Digest:
    """A digest of a large team with hostile names everywhere: 60 AMs, a reason for every
    headline KPI, five accounts needing attention."""
    now = report()
    before = report()
    people_rows = [
        AmStatus(
            am=am(n),
            furthest_off=FurthestOff("recap_compliance", 0.85, {"min": 1.0}, 0.15)
            if n % 3
            else None,
            late_recaps=n % 4,
            vacation_until=TODAY if n % 5 == 0 else None,
        )
        for n in range(people)
    ]
    changes = {
        key: KpiChange(getattr(now.kpis, key), getattr(before.kpis, key), -0.1 if n % 2 else 2.0)
        for n, key in enumerate(HEADLINE)
    }
    return Digest(
        report=now,
        previous=before,
        changes=changes,
        reasons=[Reason(key, f"{key} fell: {EVIL} {LONG}"[:400]) for key in HEADLINE],
        people=people_rows,
        attention=[
            AttentionAccount(n, f"{EVIL} {LONG}", EVIL, [LONG, EVIL], TODAY) for n in range(5)
        ],
        series=[WeekPoint(IsoWeek(2026, n), kpis()) for n in range(3, 11)],
    )


def digest_data(*, preview: bool, chart_url: str | None = None) -> dict[str, Any]:
    found = digest()
    chart = {"alt": chart_alt_text(found), "url": chart_url, "attached": False, "file": None}
    return {"digest": found, "preview": preview, "chart": chart}


def step(n: int, *, done: bool) -> StepState:
    return StepState(
        f"step-{n}",
        f"{EVIL} step {n}"[:70],
        LONG,
        "am",
        n % 3 != 0,
        TODAY - timedelta(days=n),
        done,
        EVIL if done else None,
        NOW if done else None,
        not done and n % 4 != 1,
        None,
        before_accountbot=not done and n % 4 == 1,
    )


def follow_up(n: int) -> FollowUpState:
    done = n % 3 == 0
    return FollowUpState(
        f"objection-{n}-{EVIL}"[:80],
        f"{EVIL} follow-up {n}"[:70],
        LONG,
        EVIL,
        f"objection: {EVIL} {LONG}",
        TODAY + timedelta(days=n - 2),
        done,
        EVIL if done else None,
        NOW if done else None,
        not done and n < 2,
    )


def progress(steps: int = 60, *, all_done: bool = False) -> PlaybookProgress:
    states = [step(n, done=all_done or n % 2 == 0) for n in range(steps)]
    required = [s for s in states if s.required]
    return PlaybookProgress(
        "onboarding",
        EVIL,
        [LONG, EVIL],
        states,
        sum(s.done for s in states),
        len(states),
        sum(s.done for s in required),
        len(required),
        all(s.done for s in required),
        "adaptation",
        [follow_up(n) for n in range(12)],
    )


def account_status() -> AccountStatus:
    return AccountStatus(
        name=EVIL + LONG,
        stage="growth",
        stage_entered_at=NOW - timedelta(days=45),
        days_in_stage=45,
        owner_name=EVIL,
        owner_email="o@example.com",
        exec_sponsor_name=LONG,
        exec_sponsor_email="s@example.com",
        mrr=Decimal("12000.5"),
        started_on=date(2025, 1, 6),
        renewal_on=TODAY + timedelta(days=1),
        days_to_renewal=1,
        auto_renew=True,
        last_meeting=LastMeeting(NOW - timedelta(days=3), "qbr", False),
        missed_recaps=2,
        open_objections=1,
        playbook=progress(),
        churned_on=TODAY,
        owner_zone=ZONE,
    )


def row(n: int) -> AccountRow:
    return AccountRow(
        f"{EVIL} {n} {LONG}",
        n,
        "renewal",
        EVIL,
        Decimal("999.99"),
        TODAY + timedelta(days=n),
        n,
        [LONG, EVIL, "1 missed recap", "x", "y"],
        ZONE,
    )


def meeting(text: str | None) -> Meeting:
    return Meeting(
        id=7,
        account_id=1,
        am_id=1,
        occurred_at=NOW - timedelta(days=1),
        kind=MeetingKind.QBR,
        recap_logged_at=NOW,
        recap=text,
        next_steps=text,
        upsell_spotted=text,
    )


def nudges(account_id: int) -> list[Nudge]:
    def nudge(kind: str, detail: dict[str, Any], due: date | None = None) -> Nudge:
        return Nudge(
            kind,
            f"{kind}:{account_id}:{len(detail)}",
            1,
            "a@example.com",
            account_id,
            EVIL,
            None,
            due,
            detail,
        )

    return [
        nudge(
            "missed_recap",
            {
                "meeting_id": 1,
                "occurred_at": NOW.isoformat(),
                "meeting_kind": "sync",
                "hours_since": 50,
            },
        ),
        *[
            nudge(
                "overdue_step",
                {
                    "stage": "growth",
                    "step_id": f"s{i}",
                    "step_title": LONG,
                    "stage_entered_at": NOW.isoformat(),
                    "days_overdue": i,
                },
            )
            for i in range(8)
        ],
        nudge(
            "onboarding_overdue",
            {"started_on": "2026-01-01", "days_since_start": 62, "target_days": 8},
        ),
        nudge(
            "renewal",
            {"contract_id": 1, "end_on": "2026-03-11", "days_left": 7},
            TODAY + timedelta(days=7),
        ),
        nudge("objection", {"objection_id": 4, "days_open": 5, "summary": EVIL + LONG}),
    ]


def urgent(n: int) -> UrgentAccount:
    return UrgentAccount(n, f"{EVIL} {LONG}", "growth", TODAY, 0, [LONG, EVIL], nudges(n))


WALK_LIBRARY = load_playbooks()


def objection(n: int, *, step: str = "ask", kind: str | None = "phantom") -> ObjectionSummary:
    walk = WALK_LIBRARY.walk
    done = step == "done"
    return ObjectionSummary(
        id=n,
        account_id=n,
        account=f"{EVIL} {LONG}",
        owner=EVIL,
        summary=f"{EVIL} {LONG}",
        kind=kind,
        kind_label=walk.kinds[kind].label if kind else None,  # type: ignore[index]
        status="resolved" if done else ("escalated" if step == "resolve" else "open"),
        step=step,
        step_title="Closed" if done else walk.step(step).title,
        step_number=7 if done else walk.number(step),
        steps_total=7,
        contact_name=EVIL,
        opened_at=NOW - timedelta(days=n),
        days_open=n,
        unsettled_phantom=not done and kind == "phantom",
        stale=not done and n > 3,
        outcome="escalated_further" if done else None,
        resolved_at=NOW if done else None,
    )


FACTS = [Fact(f"{EVIL} {n}", f"{LONG} {EVIL}") for n in range(15)]
ESCALATION = Escalation(
    recipient=EVIL, is_sponsor=True, reached=False, yourself=False, follow_ups=[], message={}
)


def screen(step: str, *, errors: bool = False) -> WalkScreen:
    library = WALK_LIBRARY
    walk = library.walk
    walk_step = walk.step(step)
    values = {f"answer_{n}": (EVIL + LONG)[:1000] for n in range(1, 4)}
    values.update({"contact_name": EVIL, "summary": EVIL, "restatement": LONG, "note": EVIL})
    values.update({"kind": "phantom", "decision_maker": "no", "outcome": "lost"})
    inputs = step_inputs(walk_step, "phantom", values)
    return WalkScreen(
        objection=objection(4, step=step),
        step=walk_step,
        inputs=inputs,
        facts=FACTS,
        talk_track=TalkTrack(id="evil", title=EVIL, body=LONG) if walk_step.talk_track else None,
        move_to_call=TalkTrack(id="evil", title=EVIL, body=LONG) if step == "kind" else None,
        proposal=KindProposal("phantom", "Phantom", [EVIL, LONG]) if step == "kind" else None,
        sponsor=EVIL if step == "escalate" else None,
        notice=EVIL,
        errors={i.id: f"{EVIL} fix this" for i in inputs} if errors else {},
    )


def template_of(case: str) -> str:
    """A case's template: `nudge_why:renewal` is the `nudge_why` template with other data."""
    return case.split(":", 1)[0]


MESSAGES: dict[str, dict[str, Any]] = {
    "help": {
        "commands": [{"usage": u, "summary": s} for u, s in COMMAND_HELP],
        "unknown": LONG,
        "actor_name": EVIL,
    },
    "error": {
        "message": LONG,
        "hint": LONG,
        "suggestions": [EVIL + LONG] * 60,
        "command": "status",
    },
    "choose_account": {
        "message": LONG,
        "command": "playbook",
        "candidates": [f"{EVIL} {n} {LONG}" for n in range(60)],
    },
    "apology": {"database_down": True},
    "unknown_user": {},
    "status": {
        "status": account_status(),
        "account_id": 12,
        "tz": "Europe/Berlin",
        "objections": [objection(n) for n in range(20)],
    },
    "objection_list": {
        "objections": [objection(n, kind=None if n % 5 == 0 else "phantom") for n in range(30)],
        "total": 45,
        "account": EVIL,
        "account_id": 3,
        "tz": "Asia/Tokyo",
    },
    "objection_list:empty": {
        "objections": [],
        "total": 0,
        "account": None,
        "account_id": None,
        "tz": "UTC",
    },
    "objection_summary": {
        "objection": objection(3, step="done"),
        "facts": FACTS,
        "tz": "UTC",
        "escalation": None,
        "notice": EVIL,
    },
    "objection_summary:open": {
        "objection": objection(5, step="clarify"),
        "facts": FACTS,
        "tz": "UTC",
        "escalation": ESCALATION,
        "notice": None,
    },
    "objection_escalated": {
        "objection": objection(6, step="resolve", kind="legitimate"),
        "facts": FACTS,
        "escalated_by": EVIL,
        "recipient": EVIL,
        "is_sponsor": False,
        "follow_ups": [{"title": f"{EVIL} {n}", "due_on": TODAY} for n in range(10)],
    },
    "account_list": {
        "result": AccountList("at-risk", 600, [row(n) for n in range(60)], 0, 60),
        "everyone": False,
        "page": 1,
        "more_command": "list at-risk page 2",
    },
    "renewals": {
        "days": 90,
        "rows": [
            RenewalRow(f"{EVIL} {LONG}", n, TODAY, n, Decimal(1), n % 2 == 0, EVIL, n, ZONE)
            for n in range(60)
        ],
        "total": 600,
        "offset": 0,
        "more_command": "renewals 90 page 2",
    },
    "playbook": {
        "account_id": 12,
        "account": EVIL + LONG,
        "progress": progress(),
        "note": LONG,
        "editable": True,
    },
    "stage_changed": {
        "change": StageChange(EVIL, "onboarding", "adaptation", True, [LONG] * 60),
        "account_id": 12,
        "account": EVIL + LONG,
        "progress": progress(all_done=True),
        "editable": True,
    },
    "meeting_logged": {
        "account": EVIL + LONG,
        "account_id": 12,
        "occurred_at": NOW,
        "tz": "America/New_York",
        "recap_when": "2026-03-02 10:00",
    },
    "recap_logged": {
        "account": EVIL + LONG,
        "account_id": 12,
        "meeting": meeting(LONG),
        "tz": "UTC",
    },
    "nudge_dm": {
        "name": EVIL,
        "date": TODAY,
        "items": nudges(3)[:6] + nudges(3)[-2:],
        "total": 15,
        "part": 1,
        "parts": 2,
        "more": 7,
        "quiet": {"overdue_step": 3, "renewal_later": 2},
        "team_alerts": [TeamAlert(f"{EVIL} {LONG}", "x@example.com", 3)] * 12,
    },
    "settings": {
        "prefs": Preferences("08:30", ("mon", "tue"), frozenset({EVIL, "renewal"}), TODAY, True),
        "changed": "mute",
        "tz": ZONE,
        "zone_from": "team",
        "kinds": [(kind, KIND_NAMES[kind]) for kind in NUDGE_KINDS],
        "on_vacation": True,
    },
    "nudge_snoozed": {"account": EVIL + LONG, "until": NOW, "tz": "Asia/Tokyo"},
    "nudge_done": {"account": EVIL + LONG, "kind": "renewal"},
    **{
        f"nudge_why{'' if kind == 'missed_recap' else ':' + kind}": {
            "kind": kind,
            "account": EVIL + LONG,
            "facts": {
                "occurred_at": NOW,
                "meeting_kind": EVIL,
                "end_on": TODAY,
                "window": "30",
                "stage": EVIL,
                "step_id": LONG,
            },
            "grace_hours": 24,
            "windows": [90, 60, 30],
            "onboarding_days": 8,
            "tz": "UTC",
            "sent_at": NOW,
        }
        for kind in (
            "missed_recap",
            "renewal",
            "onboarding_overdue",
            "overdue_step",
            "objection",
            EVIL,
        )
    },
    "team_linked": {"team": EVIL + LONG, "platform": "slack", "actor_name": EVIL},
    "recap_unsaved": {
        "reason": LONG,
        "fields": RecapFields(summary=(EVIL + LONG)[:3000], next_steps=LONG, upsell_spotted=LONG),
    },
    "kpi_me": {"week": "2026-W10", "through": TODAY, "am": am(1), "nothing_to_measure": False},
    "kpi_me:idle": {"week": "2026-W10", "through": TODAY, "am": am(1), "nothing_to_measure": True},
    "kpi_team": {"report": report(), "week_to_date": True},
    "digest": digest_data(preview=True),
    "digest:posted": {
        **digest_data(preview=False, chart_url="https://bot.example/charts/1-2026-W10-x.png"),
    },
    "talk_tracks": {
        "tracks": [TalkTrack(id=f"track-{n}", title=EVIL + LONG, body=LONG) for n in range(60)]
    },
    "talk_track": {"track": TalkTrack(id="evil", title=EVIL + LONG, body=LONG + EVIL)},
}
VIEWS: dict[str, dict[str, Any]] = {
    **{
        f"objection_form{'' if step == 'classify' else ':' + step}": {
            "screen": screen(step, errors=step in ("classify", "ask")),
            "tz": "UTC",
            "escalation": ESCALATION if step == "resolve" else None,
            "notice": EVIL,
        }
        for step in ("classify", "kind", "validate", "clarify", "ask", "escalate", "resolve")
    },
    "recap_form": {
        "account": EVIL + LONG,
        "account_id": 12,
        "meeting": None,
        "meeting_id": None,
        "tz": "UTC",
        "summary_max": 3000,
        "private_metadata": json.dumps({"account_id": 12}),
    },
    "home": {
        "actor_name": EVIL,
        "now": NOW,
        "tz": "Asia/Tokyo",
        "urgent": [urgent(n) for n in range(30)],
        "urgent_total": 60,
        "others": [row(n) for n in range(100)],
        "total": 600,
        "nudge_count": 660,
        "role": "lead",
        "sees_everything": False,
        "team_risks": AccountList("at-risk", 600, [row(n) for n in range(10)], 0, 10),
        "objections": ObjectionList([objection(n) for n in range(5)], 25),
    },
}
