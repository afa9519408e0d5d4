"""Everything a handler needs, built once by `build_services` and passed explicitly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.playbooks import PlaybookLibrary, load_playbooks
from bot.services.kpis.targets import KpiTargets, load_kpi_targets, onboarding_rule_problem
from bot.services.name_index import NameIndex
from bot.services.notices import Notifier, Unreachable
from bot.services.nudges import NudgeRules
from bot.settings import Settings
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    playbooks: PlaybookLibrary
    kpi_targets: KpiTargets
    nudge_rules: NudgeRules
    clock: Callable[[], datetime] = field(default=utcnow)
    # Called after a request queued a message (an escalation DM): send it now, not at the
    # next poll. Set by the process that runs an outbox sender.
    outbox_kick: Callable[[], None] = field(default=lambda: None)
    # Queues DMs a person's action sends (an escalation); set with the outbox sender.
    notifier: Notifier = field(default_factory=Unreachable)
    # Every account's name in memory, for partial and misspelt names (`services.lookup`).
    names: NameIndex = field(default_factory=NameIndex)


def build_services(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> Services:
    """Load playbooks and targets (failing fast on a bad file) and open the database lazily."""
    targets = load_kpi_targets(settings.kpi_targets_file)
    if problem := onboarding_rule_problem(targets, settings.onboarding_target_days):
        log.warning("KPI targets: %s", problem)
    return Services(
        settings=settings,
        db=Database(settings.database_url),
        playbooks=load_playbooks(settings.playbooks_dir),
        kpi_targets=targets,
        nudge_rules=NudgeRules.from_settings(settings),
        clock=clock,
    )
