"""Moving an account between lifecycle stages: the next stage once every required step of the
current one is done, or any stage when a lead (own team), head or ops forces it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.command_syntax import cmd
from bot.errors import Forbidden, InvalidInput, UserError
from bot.playbooks import LIFECYCLE_STAGES, PlaybookLibrary
from bot.services.access import add_audit_entry, load_owner, may_force, require_change
from bot.services.playbook_progress import StepState, playbook_progress
from bot.services.when import local_today
from storage.models import Account, Stage, User


@dataclass(frozen=True, slots=True)
class StageChange:
    account: str
    from_stage: str
    to_stage: str
    forced: bool
    skipped_steps: list[str]


def _refusal(
    account: Account, current: str, target: str, expected: str | None, missing: list[StepState]
) -> str:
    reasons = []
    if target != expected:
        after = f"the next stage is {expected}" if expected else "there is no next stage"
        reasons.append(f"it is in {current} and {after}")
    if missing:
        plural = "step is" if len(missing) == 1 else "steps are"
        titles = [
            s.title + (" (before accountbot)" if s.before_accountbot else "") for s in missing
        ]
        reasons.append(f"{len(missing)} required {plural} not done: {', '.join(titles)}")
    earlier = ""
    if any(s.before_accountbot for s in missing):
        earlier = (
            " Steps before accountbot fell due before accountbot knew the account: tick the"
            " ones already done."
        )
    return f"{account.name} can't move to {target}: {'; '.join(reasons)}.{earlier}"


async def change_stage(
    session: AsyncSession,
    *,
    account: Account,
    target: str,
    actor: User,
    now: datetime,
    playbooks: PlaybookLibrary,
    force: bool = False,
) -> StageChange:
    """Move the account to ``target``: the next stage once every required step is done, or
    anything else when a lead (own team), head or ops forces it."""
    owner = await load_owner(session, account)
    require_change(actor, account)
    wanted = target.strip().casefold()
    if wanted not in LIFECYCLE_STAGES:
        raise InvalidInput(
            f"“{target.strip()}” is not a stage. Stages: {', '.join(LIFECYCLE_STAGES)}."
        )
    current = Stage(account.stage).value
    if wanted == current:
        raise InvalidInput(f"{account.name} is already in {current}.")
    progress = await playbook_progress(session, account=account, playbooks=playbooks, now=now)
    missing = [s.title for s in progress.missing_required]
    expected = progress.next_stage if current in playbooks.playbooks else None
    needs_force = wanted != expected or bool(missing)
    if needs_force:
        refusal = _refusal(account, current, wanted, expected, progress.missing_required)
        command = cmd(f"stage {account.name} {wanted} force")
        if not may_force(actor, account):
            if force:
                raise Forbidden(
                    f"Only a team lead, head or ops can force a stage change. {refusal}"
                )
            raise UserError(refusal, hint=f"A team lead can force it with {command}.")
        if not force:
            raise UserError(refusal, hint=f"You can force it with {command}.")

    account.stage = Stage(wanted)
    account.stage_entered_at = now
    if current == Stage.ONBOARDING.value and account.onboarding_completed_on is None:
        account.onboarding_completed_on = local_today(now, owner.effective_timezone)
    skipped = missing if needs_force else []
    details = {"from": current, "to": wanted, "forced": needs_force, "skipped_steps": skipped}
    add_audit_entry(
        session, actor=actor, action="stage.change", account=account, details=details, at=now
    )
    await session.flush()
    return StageChange(account.name, current, wanted, needs_force, skipped)
