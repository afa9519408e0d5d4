"""The accountbot schema. Import models from here."""

from storage.models.accounts import (
    MEETING_KIND_MAX,
    Account,
    AccountRisk,
    Contract,
    Deliverable,
    Meeting,
    SatisfactionSignal,
    Upsell,
)
from storage.models.base import (
    LIVE_OBJECTION_SQL,
    LIVE_OBJECTION_STATUSES,
    Base,
    MeetingKind,
    ObjectionStatus,
    ObjectionStepKind,
    OutboxStatus,
    Role,
    Seniority,
    SignalKind,
    Stage,
    UpsellStatus,
    utcnow,
)
from storage.models.conversations import ConversationRef
from storage.models.messaging import AuditEntry, OutboxMessage, ProcessedEvent
from storage.models.org import CatalogState, Team, User
from storage.models.preferences import NudgeItem, UserSettings
from storage.models.workflow import AccountTask, Objection, ObjectionStep, StepCompletion

__all__ = [
    "LIVE_OBJECTION_SQL",
    "LIVE_OBJECTION_STATUSES",
    "MEETING_KIND_MAX",
    "Account",
    "AccountRisk",
    "AccountTask",
    "AuditEntry",
    "Base",
    "CatalogState",
    "Contract",
    "ConversationRef",
    "Deliverable",
    "Meeting",
    "MeetingKind",
    "NudgeItem",
    "Objection",
    "ObjectionStatus",
    "ObjectionStep",
    "ObjectionStepKind",
    "OutboxMessage",
    "OutboxStatus",
    "ProcessedEvent",
    "Role",
    "SatisfactionSignal",
    "Seniority",
    "SignalKind",
    "Stage",
    "StepCompletion",
    "Team",
    "Upsell",
    "UpsellStatus",
    "User",
    "UserSettings",
    "utcnow",
]
