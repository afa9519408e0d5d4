"""The kinds of file an import takes: their columns in order, natural keys, unique columns
and the parser of their rows (`rows`). Pure: no database queries are run here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Select

from bot.services.imports.cells import Cells, ParsedRow
from bot.services.imports.header import Columns
from bot.services.imports.rows import (
    parse_account,
    parse_contract,
    parse_deliverable,
    parse_meeting,
    parse_signal,
    parse_step,
    parse_team,
    parse_upsell,
    parse_user,
)
from bot.services.step_rules import counts_for_current_stage
from storage.models import (
    Account,
    Contract,
    Deliverable,
    Meeting,
    SatisfactionSignal,
    StepCompletion,
    Team,
    Upsell,
    User,
)


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
    aliases: Mapping[str, str] = field(default_factory=dict)  # a CRM's header -> column

    @property
    def columns(self) -> Columns:
        return Columns(self.headers, self.required, self.aliases)

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The natural key as columns."""
        return tuple(column_of(attribute) for attribute in self.natural_key)


def _aliases(**columns: tuple[str, ...]) -> dict[str, str]:
    """{header: column} from column=(headers...): the names CRMs and spreadsheets give them."""
    return {header: column for column, headers in columns.items() for header in headers}


# Headers as Salesforce, HubSpot and hand-made sheets write them. People may be named by their
# e-mail or their name in every *_email column (`rows`: "Ann Lee" is whoever is named so).
_ACCOUNT = ("Account Name", "Company Name", "Company")
_ALIASES: dict[ImportKind, dict[str, str]] = {
    ImportKind.TEAMS: _aliases(name=("Team Name", "Team"), timezone=("Time Zone Name",)),
    ImportKind.USERS: _aliases(email=("Email Address", "Work Email"), name=("Full Name",)),
    ImportKind.ACCOUNTS: _aliases(
        name=("Account", *_ACCOUNT),
        owner_email=("Owner", "Account Owner", "Company Owner", "Account Manager", "AM"),
        exec_sponsor_email=("Exec Sponsor", "Executive Sponsor", "Sponsor"),
        mrr=("Monthly Recurring Revenue",),
        started_on=("Start Date", "Customer Since"),
        stage_entered_on=("Stage Entered", "Stage Since"),
        onboarding_completed_on=("Onboarding Completed", "Go Live Date", "Go-Live Date"),
        churned_on=("Churn Date", "Churned"),
    ),
    ImportKind.CONTRACTS: _aliases(
        account=_ACCOUNT,
        start_on=("Start Date", "Contract Start Date"),
        end_on=("End Date", "Contract End Date", "Renewal Date"),
        value=("Contract Value", "Amount"),
        auto_renew=("Auto Renewal", "Auto Renews"),
    ),
    ImportKind.MEETINGS: _aliases(
        account=_ACCOUNT,
        am_email=("AM", "Account Manager", "Owner", "Assigned To"),
        occurred_at=("Meeting Date", "Start Date Time", "Date"),
        kind=("Type", "Meeting Type", "Activity Type"),
        recap=("Notes", "Meeting Notes"),
        next_steps=("Next Step",),
    ),
    ImportKind.UPSELLS: _aliases(
        account=_ACCOUNT,
        service=("Product", "Opportunity Name"),
        pitched_on=("Created Date", "Pitched"),
        value=("Amount",),
        closed_on=("Close Date",),
    ),
    ImportKind.SATISFACTION: _aliases(
        account=_ACCOUNT, kind=("Type", "Survey Type"), score=("Rating",), recorded_on=("Date",)
    ),
    ImportKind.DELIVERABLES: _aliases(
        account=_ACCOUNT,
        title=("Deliverable", "Task"),
        due_on=("Due Date", "Due"),
        delivered_on=("Delivered", "Completed On", "Completed Date"),
    ),
    ImportKind.STEPS: _aliases(
        account=_ACCOUNT,
        done_on=("Completed On", "Completed Date", "Date"),
        done_by_email=("Done By", "Completed By"),
    ),
}

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
        Team,
        ("name", "slack_channel_id", "timezone"),
        ("name",),
        ("name_key",),
        parse_team,
        aliases=_ALIASES[ImportKind.TEAMS],
    ),
    ImportKind.USERS: KindSpec(
        User,
        (*_USER_HEADERS, "teams_aad_object_id", "timezone"),
        ("email", "name", "role", "team"),
        ("email",),
        parse_user,
        unique=("slack_user_id", "teams_aad_object_id"),
        aliases=_ALIASES[ImportKind.USERS],
    ),
    ImportKind.ACCOUNTS: KindSpec(
        Account,
        (*_ACCOUNT_HEADERS, "onboarding_completed_on", "churned_on", "churn_reason", "known_since"),
        ("name", "owner_email", "stage", "started_on"),
        ("name_key",),
        parse_account,
        stamp=("stage", "stage_entered_at"),
        stamp_note=stage_entry_note,
        aliases=_ALIASES[ImportKind.ACCOUNTS],
    ),
    ImportKind.CONTRACTS: KindSpec(
        Contract,
        ("account", "start_on", "end_on", "value", "auto_renew"),
        ("account", "start_on", "end_on"),
        ("account_id", "start_on"),
        parse_contract,
        aliases=_ALIASES[ImportKind.CONTRACTS],
    ),
    ImportKind.MEETINGS: KindSpec(
        Meeting,
        (*_MEETING_HEADERS, "recap", "next_steps", "upsell_spotted"),
        ("account", "am_email", "occurred_at"),
        ("account_id", "occurred_at"),
        parse_meeting,
        aliases=_ALIASES[ImportKind.MEETINGS],
    ),
    ImportKind.UPSELLS: KindSpec(
        Upsell,
        ("account", "pitched_on", "service", "value", "status", "closed_on"),
        ("account", "pitched_on", "service"),
        ("account_id", "service", "pitched_on"),
        parse_upsell,
        aliases=_ALIASES[ImportKind.UPSELLS],
    ),
    ImportKind.SATISFACTION: KindSpec(
        SatisfactionSignal,
        ("account", "kind", "score", "recorded_on"),
        ("account", "kind", "recorded_on"),
        ("account_id", "kind", "recorded_on"),
        parse_signal,
        aliases=_ALIASES[ImportKind.SATISFACTION],
    ),
    ImportKind.DELIVERABLES: KindSpec(
        Deliverable,
        ("account", "title", "due_on", "delivered_on"),
        ("account", "title", "due_on"),
        ("account_id", "title", "due_on"),
        parse_deliverable,
        aliases=_ALIASES[ImportKind.DELIVERABLES],
    ),
    ImportKind.STEPS: KindSpec(
        StepCompletion,
        ("account", "step", "done_on", "done_by_email"),
        ("account", "step", "done_on"),
        ("account_id", "step_id"),
        parse_step,
        scope=_counted_ticks,
        aliases=_ALIASES[ImportKind.STEPS],
    ),
}
