"""Stage playbooks: what an account manager does in each lifecycle stage, plus talk tracks."""

from bot.playbooks.loader import (
    PlaybookError,
    PlaybookLibrary,
    bundled_playbooks_dir,
    load_playbooks,
)
from bot.playbooks.schema import (
    LIFECYCLE_STAGES,
    Playbook,
    PlaybookStep,
    Role,
    TalkTrack,
)

__all__ = [
    "LIFECYCLE_STAGES",
    "Playbook",
    "PlaybookError",
    "PlaybookLibrary",
    "PlaybookStep",
    "Role",
    "TalkTrack",
    "bundled_playbooks_dir",
    "load_playbooks",
]
