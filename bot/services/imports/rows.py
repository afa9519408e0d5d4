"""The kinds of file an import takes: their columns, natural keys and row parsers.

The `parse_*` functions turn one row's `Cells` (see `reader`) into a `ParsedRow` (problems
are kept on the `Cells`). Pure: no database. Line numbers are the file's: the header is line 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Select

from bot.services.imports.cells import (
    NAME_MAX,
    SCORE_LIMIT,
    TEAMLESS_ROLES,
    Cells,
    ParsedRow,
    Ref,
    RefKind,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_email,
    parse_money,
    parse_timezone,
)
from bot.services.imports.reader import Columns
from bot.services.step_rules import counts_for_current_stage
from storage.models import (
    MEETING_KIND_MAX,
    Account,
    Contract,
    Deliverable,
    Meeting,
    MeetingKind,
    Role,
    SatisfactionSignal,
    Seniority,
    SignalKind,
    Stage,
    StepCompletion,
    Team,
    Upsell,
    UpsellStatus,
    User,
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
            "timezone": c.value("timezone", parse_timezone) or "UTC",
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
        "timezone": c.value("timezone", parse_timezone),
    }
    return ParsedRow(c.line, values, {"team_id": team})


def parse_account(c: Cells) -> ParsedRow:
    name, key = c.name("name")
    started_on = c.value("started_on", parse_date, required=True)
    onboarded_on = c.value("onboarding_completed_on", parse_date)
    churned_on = c.value("churned_on", parse_date)
    c.not_before("onboarding_completed_on", onboarded_on, "started_on", started_on)
    c.not_before("churned_on", churned_on, "started_on", started_on)
    values = {
        "name": name,
        "name_key": key,
        "stage": c.enum("stage", Stage, required=True),
        # Days in the owner's time zone: `checks` makes stage_entered_on a stage_entered_at.
        "stage_entered_on": c.value("stage_entered_on", parse_date),
        "known_since": c.value("known_since", parse_date),
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
    start_on = c.value("start_on", parse_date, required=True)
    end_on = c.value("end_on", parse_date, required=True)
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
        "occurred_at": c.value("occurred_at", parse_datetime, required=True),
        "kind": MeetingKind.canonical(c.text("kind", max_length=MEETING_KIND_MAX) or "sync"),
        "recap_logged_at": c.value("recap_logged_at", parse_datetime),
        "recap": c.text("recap", max_length=NOTE_MAX),
        "next_steps": c.text("next_steps", max_length=NOTE_MAX),
        "upsell_spotted": c.text("upsell_spotted", max_length=NOTE_MAX),
    }
    refs = {**_account(c), "am_id": c.ref("am_email", RefKind.USER, required=True)}
    return ParsedRow(c.line, values, refs)


def parse_upsell(c: Cells) -> ParsedRow:
    pitched_on = c.value("pitched_on", parse_date, required=True)
    closed_on = c.value("closed_on", parse_date)
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
        "recorded_on": c.value("recorded_on", parse_date, required=True),
    }
    return ParsedRow(c.line, values, _account(c))


def parse_deliverable(c: Cells) -> ParsedRow:
    values = {
        "title": c.text("title", max_length=300, required=True),
        "due_on": c.value("due_on", parse_date, required=True),
        "delivered_on": c.value("delivered_on", parse_date),
    }
    return ParsedRow(c.line, values, _account(c))


def parse_step(c: Cells) -> ParsedRow:
    """The step is checked against the account's current playbook by `checks`."""
    step = c.text("step", max_length=STEP_ID_MAX, required=True)
    values = {
        "step_id": step.casefold() if step else None,
        "done_on": c.value("done_on", parse_date, required=True),
    }
    refs = {**_account(c), "completed_by_id": c.ref("done_by_email", RefKind.USER)}
    return ParsedRow(c.line, values, refs)


def _counted_ticks(stmt: Select[Any]) -> Select[Any]:
    """Only the ticks that count for each account's current stage entry."""
    joined = stmt.join(Account, Account.id == StepCompletion.account_id)
    return joined.where(counts_for_current_stage())


class ImportKind(StrEnum):
    TEAMS = "teams"
    USERS = "users"
    ACCOUNTS = "accounts"
    CONTRACTS = "contracts"
    MEETINGS = "meetings"
    UPSELLS = "upsells"
    SATISFACTION = "satisfaction"
    DELIVERABLES = "deliverables"
    STEPS = "steps"


def stage_entry_note(count: int) -> str:
    """What to do when new accounts came without the day they entered their stage."""
    many = count != 1
    return (
        f"{count} new account{'s' if many else ''} got the import day as the day "
        f"{'they' if many else 'it'} entered {'their' if many else 'its'} stage, so days in "
        "stage and playbook steps count from today. If they were already mid-stage, add a "
        "stage_entered_on column (YYYY-MM-DD, the day each entered its current stage) and "
        "import the file again."
    )


# Model attributes filled from a column of another name.
_COLUMN_OF = {
    "name_key": "name",
    "account_id": "account",
    "owner_id": "owner_email",
    "exec_sponsor_id": "exec_sponsor_email",
    "team_id": "team",
    "am_id": "am_email",
    "stage_entered_at": "stage_entered_on",
    "step_id": "step",
    "completed_at": "done_on",
    "completed_by_id": "done_by_email",
}


def column_of(attribute: str) -> str:
    """The column a model attribute is read from."""
    return _COLUMN_OF.get(attribute, attribute)


@dataclass(frozen=True, slots=True)
class KindSpec:
    """How one kind of file maps onto its table. `headers` are every column, in the order an
    export writes them; a file may leave out those not in `required`."""

    model: type[Any]
    headers: tuple[str, ...]
    required: tuple[str, ...]
    natural_key: tuple[str, ...]  # model attributes
    parse: Callable[[Cells], ParsedRow]
    unique: tuple[str, ...] = ()  # other unique attributes (same name in the file)
    # (attribute, attribute set to `now` when it changes and the file does not set it)
    stamp: tuple[str, str] | None = None
    stamp_note: Callable[[int], str] | None = None  # the warning when N new rows got `now`
    # Narrows the stored rows a file's natural keys are matched against.
    scope: Callable[[Select[Any]], Select[Any]] | None = None

    @property
    def columns(self) -> Columns:
        return Columns(self.headers, self.required)

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The natural key as columns."""
        return tuple(column_of(attribute) for attribute in self.natural_key)


_ACCOUNT_HEADERS = (
    "name",
    "owner_email",
    "exec_sponsor_email",
    "stage",
    "stage_entered_on",
    "mrr",
    "started_on",
)
_USER_HEADERS = ("email", "name", "role", "team", "seniority", "slack_user_id")
_MEETING_HEADERS = ("account", "am_email", "occurred_at", "kind", "recap_logged_at")

SPECS: dict[ImportKind, KindSpec] = {
    ImportKind.TEAMS: KindSpec(
        Team, ("name", "slack_channel_id", "timezone"), ("name",), ("name_key",), parse_team
    ),
    ImportKind.USERS: KindSpec(
        User,
        (*_USER_HEADERS, "teams_aad_object_id", "timezone"),
        ("email", "name", "role", "team"),
        ("email",),
        parse_user,
        unique=("slack_user_id", "teams_aad_object_id"),
    ),
    ImportKind.ACCOUNTS: KindSpec(
        Account,
        (*_ACCOUNT_HEADERS, "onboarding_completed_on", "churned_on", "churn_reason", "known_since"),
        ("name", "owner_email", "stage", "started_on"),
        ("name_key",),
        parse_account,
        stamp=("stage", "stage_entered_at"),
        stamp_note=stage_entry_note,
    ),
    ImportKind.CONTRACTS: KindSpec(
        Contract,
        ("account", "start_on", "end_on", "value", "auto_renew"),
        ("account", "start_on", "end_on"),
        ("account_id", "start_on"),
        parse_contract,
    ),
    ImportKind.MEETINGS: KindSpec(
        Meeting,
        (*_MEETING_HEADERS, "recap", "next_steps", "upsell_spotted"),
        ("account", "am_email", "occurred_at"),
        ("account_id", "occurred_at"),
        parse_meeting,
    ),
    ImportKind.UPSELLS: KindSpec(
        Upsell,
        ("account", "pitched_on", "service", "value", "status", "closed_on"),
        ("account", "pitched_on", "service"),
        ("account_id", "service", "pitched_on"),
        parse_upsell,
    ),
    ImportKind.SATISFACTION: KindSpec(
        SatisfactionSignal,
        ("account", "kind", "score", "recorded_on"),
        ("account", "kind", "recorded_on"),
        ("account_id", "kind", "recorded_on"),
        parse_signal,
    ),
    ImportKind.DELIVERABLES: KindSpec(
        Deliverable,
        ("account", "title", "due_on", "delivered_on"),
        ("account", "title", "due_on"),
        ("account_id", "title", "due_on"),
        parse_deliverable,
    ),
    ImportKind.STEPS: KindSpec(
        StepCompletion,
        ("account", "step", "done_on", "done_by_email"),
        ("account", "step", "done_on"),
        ("account_id", "step_id"),
        parse_step,
        scope=_counted_ticks,
    ),
}
