"""One row of each kind of import file, parsed (the kinds themselves: `kinds`).

The `parse_*` functions turn one row's `Cells` (see `reader`) into a `ParsedRow` (problems
are kept on the `Cells`). Pure: no database. Line numbers are the file's: the header is line 1.
"""

from __future__ import annotations

from decimal import Decimal

from bot.services.imports.cells import (
    NAME_MAX,
    SCORE_LIMIT,
    TEAMLESS_ROLES,
    Cells,
    ParsedRow,
    Ref,
    RefKind,
    parse_bool,
    parse_email,
)
from bot.services.imports.numbers import parse_decimal, parse_money
from bot.zone_names import read_zone
from storage.models import (
    MEETING_KIND_MAX,
    MeetingKind,
    Role,
    Seniority,
    SignalKind,
    Stage,
    UpsellStatus,
)

STEP_ID_MAX = 80  # StepCompletion.step_id
NOTE_MAX = 10_000  # a recap and its notes; chat allows 3,000


def parse_team(c: Cells) -> ParsedRow:
    name, key = c.name("name")
    return ParsedRow(
        c.line,
        {
            "name": name,
            "name_key": key,
            "slack_channel_id": c.text("slack_channel_id", max_length=40),
            "timezone": c.value("timezone", read_zone) or "UTC",
        },
    )


def parse_user(c: Cells) -> ParsedRow:
    role = c.enum("role", Role, required=True)
    team = c.ref("team", RefKind.TEAM)
    if team is None and role is not None and role not in TEAMLESS_ROLES:
        c.problem("team", f"required for role {role.value} (only head and ops may have no team)")
    values = {
        "email": c.value("email", parse_email, required=True),
        "name": c.text("name", max_length=NAME_MAX, required=True),
        "role": role,
        "seniority": c.enum("seniority", Seniority),
        "slack_user_id": c.text("slack_user_id", max_length=40),
        "teams_aad_object_id": c.text("teams_aad_object_id", max_length=64),
        "timezone": c.value("timezone", read_zone),
    }
    return ParsedRow(c.line, values, {"team_id": team})


def parse_account(c: Cells) -> ParsedRow:
    name, key = c.name("name")
    started_on = c.day("started_on", required=True)
    onboarded_on = c.day("onboarding_completed_on")
    churned_on = c.day("churned_on")
    c.not_before("onboarding_completed_on", onboarded_on, "started_on", started_on)
    c.not_before("churned_on", churned_on, "started_on", started_on)
    values = {
        "name": name,
        "name_key": key,
        "stage": c.enum("stage", Stage, required=True),
        # Days in the owner's time zone: `checks` makes stage_entered_on a stage_entered_at.
        "stage_entered_on": c.day("stage_entered_on"),
        "known_since": c.day("known_since"),
        "mrr": c.value("mrr", parse_money) or Decimal(0),
        "started_on": started_on,
        "onboarding_completed_on": onboarded_on,
        "churned_on": churned_on,
        "churn_reason": c.text("churn_reason", max_length=NOTE_MAX),
    }
    refs = {
        "owner_id": c.ref("owner_email", RefKind.USER, required=True),
        "exec_sponsor_id": c.ref("exec_sponsor_email", RefKind.USER),
    }
    return ParsedRow(c.line, values, refs)


def _account(c: Cells) -> dict[str, Ref | None]:
    return {"account_id": c.ref("account", RefKind.ACCOUNT, required=True)}


def parse_contract(c: Cells) -> ParsedRow:
    start_on = c.day("start_on", required=True)
    end_on = c.day("end_on", required=True)
    c.not_before("end_on", end_on, "start_on", start_on)
    values = {
        "start_on": start_on,
        "end_on": end_on,
        "value": c.value("value", parse_money) or Decimal(0),
        "auto_renew": bool(c.value("auto_renew", parse_bool)),
    }
    return ParsedRow(c.line, values, _account(c))


def parse_meeting(c: Cells) -> ParsedRow:
    """Times without an offset stay naive: `checks` places them in the AM's time zone."""
    values = {
        "occurred_at": c.moment("occurred_at", required=True),
        "kind": MeetingKind.canonical(c.text("kind", max_length=MEETING_KIND_MAX) or "sync"),
        "recap_logged_at": c.moment("recap_logged_at"),
        "recap": c.text("recap", max_length=NOTE_MAX),
        "next_steps": c.text("next_steps", max_length=NOTE_MAX),
        "upsell_spotted": c.text("upsell_spotted", max_length=NOTE_MAX),
    }
    refs = {**_account(c), "am_id": c.ref("am_email", RefKind.USER, required=True)}
    return ParsedRow(c.line, values, refs)


def parse_upsell(c: Cells) -> ParsedRow:
    pitched_on = c.day("pitched_on", required=True)
    closed_on = c.day("closed_on")
    status = c.enum("status", UpsellStatus) or UpsellStatus.OPEN
    c.not_before("closed_on", closed_on, "pitched_on", pitched_on)
    if status is UpsellStatus.OPEN and closed_on is not None:
        c.problem("closed_on", "must be empty while status is open")
    if status is not UpsellStatus.OPEN and closed_on is None and not c.cells["closed_on"]:
        c.problem("closed_on", f"required when status is {status.value}")
    values = {
        "pitched_on": pitched_on,
        "service": c.text("service", max_length=NAME_MAX, required=True),
        "value": c.value("value", parse_money) or Decimal(0),
        "status": status,
        "closed_on": closed_on,
    }
    return ParsedRow(c.line, values, _account(c))


def parse_signal(c: Cells) -> ParsedRow:
    kind = c.enum("kind", SignalKind, required=True)
    score = c.value("score", lambda text: parse_decimal(text, limit=SCORE_LIMIT))
    if kind is SignalKind.NPS and score is not None and not 0 <= score <= 10:
        c.problem("score", f"an nps score is from 0 to 10, not {score}")
    values = {
        "kind": kind,
        "score": score,
        "recorded_on": c.day("recorded_on", required=True),
    }
    return ParsedRow(c.line, values, _account(c))


def parse_deliverable(c: Cells) -> ParsedRow:
    values = {
        "title": c.text("title", max_length=300, required=True),
        "due_on": c.day("due_on", required=True),
        "delivered_on": c.day("delivered_on"),
    }
    return ParsedRow(c.line, values, _account(c))


def parse_step(c: Cells) -> ParsedRow:
    """The step is checked against the account's current playbook by `checks`."""
    step = c.text("step", max_length=STEP_ID_MAX, required=True)
    values = {
        "step_id": step.casefold() if step else None,
        "done_on": c.day("done_on", required=True),
    }
    refs = {**_account(c), "completed_by_id": c.ref("done_by_email", RefKind.USER)}
    return ParsedRow(c.line, values, refs)
