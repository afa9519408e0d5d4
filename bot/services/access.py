"""Who may see and change which accounts, who a chat user is, and the audit trail.

* An AM reads every account of their team and changes the accounts they own.
* A lead reads and changes every account of their team.
* Head and ops read and change everything.

An account belongs to its owner's team. Everyone can always read the accounts they own (so an
AM without a team still sees their own book); otherwise someone without a team sees nothing.
Lookups are scoped to what the actor can read, so an account of another team is reported
exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, inspect, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.errors import Forbidden, NotFound
from storage.models import Account, AuditEntry, Role, User

EVERYTHING_ROLES = frozenset({Role.HEAD, Role.OPS})
FORCING_ROLES = frozenset({Role.LEAD, Role.HEAD, Role.OPS})
# Built once: aliasing a mapped class is costly, and every request's lookups need it.
_Teammate = aliased(User, name="teammate")


def sees_everything(actor: User) -> bool:
    return actor.role in EVERYTHING_ROLES


def can_read(actor: User, account: Account) -> bool:
    """Whether ``actor`` may see ``account`` (its ``owner`` must be loaded, as lookups do)."""
    if sees_everything(actor) or account.owner_id == actor.id:
        return True
    return actor.team_id is not None and account.owner.team_id == actor.team_id


def can_change(actor: User, account: Account) -> bool:
    """Whether ``actor`` may tick steps, log meetings and change the stage of ``account``."""
    if sees_everything(actor):
        return True
    if actor.role is Role.LEAD:
        return can_read(actor, account)
    return account.owner_id == actor.id


def require_change(actor: User, account: Account) -> None:
    """Raise unless ``actor`` may change ``account``; never reveals an unreadable account."""
    if can_change(actor, account):
        return
    if not can_read(actor, account):
        raise NotFound(f"#{account.id}")
    raise Forbidden(
        "You can change only your own accounts; ask your team lead.",
        hint=f"{account.name} is owned by {account.owner.name}.",
    )


def may_force(actor: User, account: Account) -> bool:
    """Leads (within their team), head and ops may override the playbook's stage rules."""
    return actor.role in FORCING_ROLES and can_change(actor, account)


def readable_accounts(actor: User) -> ColumnElement[bool]:
    """A WHERE clause over ``Account`` selecting what ``actor`` may read."""
    if sees_everything(actor):
        return true()
    return _readable_by(actor.id, actor.team_id)


@lru_cache(maxsize=1024)
def _readable_by(user_id: int, team_id: int | None) -> ColumnElement[bool]:
    """Built once per reader (clauses are immutable, so statements can share them)."""
    if team_id is None:
        return Account.owner_id == user_id
    # One IN over the reader and their teammates (not "own OR IN teammates": PostgreSQL cannot
    # serve that OR from the owner index and reads every account). Never correlated: the same
    # subquery works whether or not the outer query joins users.
    people = select(_Teammate.id).where(or_(_Teammate.team_id == team_id, _Teammate.id == user_id))
    return Account.owner_id.in_(people.correlate(None))


# The same rule with the reader as parameters (`reader_params`), for statements built once and
# run for anyone (account_scope, renewals): one IN over the reader and their teammates.
READABLE: ColumnElement[bool] = Account.owner_id.in_(
    select(_Teammate.id)
    .where(
        or_(
            _Teammate.team_id == bindparam("reader_team", type_=Integer),
            _Teammate.id == bindparam("reader", type_=Integer),
        )
    )
    .correlate(None)
)


def reader_params(actor: User) -> dict[str, Any]:
    """The parameters that make `READABLE` what ``actor`` may read (a reader without a team:
    ``team_id = NULL`` matches no teammate, so only their own accounts)."""
    return {"reader": actor.id, "reader_team": actor.team_id}


async def load_owner(session: AsyncSession, account: Account) -> User:
    """The account's owner with their team loaded (lookups load both already)."""
    if "owner" in inspect(account).unloaded:
        await session.refresh(account, attribute_names=["owner"])
    owner = account.owner
    if "team" in inspect(owner).unloaded:
        await session.refresh(owner, attribute_names=["team"])
    return owner


def add_audit_entry(
    session: AsyncSession,
    *,
    actor: User,
    action: str,
    account: Account,
    details: dict[str, Any],
    at: datetime,
) -> AuditEntry:
    """Record a change made through chat (flushed with the rest of the unit of work)."""
    entry = AuditEntry(
        actor_id=actor.id,
        action=action,
        subject_type="account",
        subject_id=account.id,
        details=details,
        source="chat",
        at=at,
    )
    session.add(entry)
    return entry


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """By e-mail, ignoring case and surrounding spaces (e-mails are stored lowercased)."""
    cleaned = email.strip().lower()
    if not cleaned:
        return None
    return (await session.scalars(select(User).where(User.email == cleaned))).one_or_none()
