"""Helpers for the account-facing service tests, on top of ``tests.integration.builders``.

* ``LIBRARY``: a small hand-written playbook library, so expectations do not move when the
  bundled playbooks are edited.
* ``fetch_account`` / ``fetch_user``: reload rows in the session under test, the way chat
  handlers get them (owner and team loaded), instead of reusing objects from a setup session.
* ``audit_rows``: the audit log, oldest first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.playbooks import Playbook, PlaybookLibrary, PlaybookStep
from storage.models import Account, AuditEntry, User


def step(
    step_id: str, offset: int, *, required: bool = True, track: str | None = None
) -> PlaybookStep:
    return PlaybookStep(
        id=step_id,
        title=f"Do {step_id}",
        why=f"Because {step_id} matters.",
        owner_role="am",
        due_offset_days=offset,
        required=required,
        talk_track=track,
    )


def _playbook(stage: str, next_stage: str | None, steps: list[PlaybookStep]) -> Playbook:
    return Playbook(
        stage=stage,
        name=stage.title(),
        summary=f"The {stage} stage.",
        objectives=[f"Finish {stage}."],
        next_stage=next_stage,
        steps=steps,
    )


# onboarding: kickoff (day 0), goals (day 2), optional intro (day 1); then adaptation.
LIBRARY = PlaybookLibrary(
    playbooks={
        "onboarding": _playbook(
            "onboarding",
            "adaptation",
            [
                step("kickoff", 0, track="kickoff-talk"),
                step("intro", 1, required=False),
                step("goals", 2),
            ],
        ),
        "adaptation": _playbook("adaptation", "growth", [step("first-review", 5)]),
        "growth": _playbook(
            "growth", "renewal", [step("qbr", 10), step("survey", 3, required=False)]
        ),
        "renewal": _playbook("renewal", "growth", [step("proposal", 7)]),
    },
    talk_tracks={},
)


async def fetch_account(session: AsyncSession, account_id: int) -> Account:
    return (await session.scalars(select(Account).where(Account.id == account_id))).one()


async def fetch_user(session: AsyncSession, user_id: int) -> User:
    return (await session.scalars(select(User).where(User.id == user_id))).one()


async def audit_rows(session: AsyncSession, action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list(await session.scalars(stmt))
