"""Who is asking: a chat platform's user id mapped to an accountbot user, on any platform.

By the id the platform gives (Slack user id, Teams Entra object id) first; when that is
unknown, by the email the platform has for the person, which is then remembered so the next
request makes no platform call. Someone with neither gets no data (the surface shows how to
be added).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value

from bot.services.access import find_user_by_email
from storage.db import Database
from storage.models import User

log = logging.getLogger(__name__)

Platform = Literal["slack", "teams"]
ID_COLUMNS: dict[Platform, InstrumentedAttribute[str | None]] = {
    "slack": User.slack_user_id,
    "teams": User.teams_aad_object_id,
}
ID_ATTRIBUTES: dict[Platform, str] = {"slack": "slack_user_id", "teams": "teams_aad_object_id"}
# Built once: every request starts with one of these.
_BY_CHAT_ID = {
    platform: select(User).where(column == bindparam("chat_id"))
    for platform, column in ID_COLUMNS.items()
}


async def find_user_by_chat_id(
    session: AsyncSession, platform: Platform, chat_id: str
) -> User | None:
    """The user this platform id belongs to (ids are compared as given, trimmed)."""
    cleaned = chat_id.strip()
    if not cleaned:
        return None
    found = await session.scalars(_BY_CHAT_ID[platform], {"chat_id": cleaned})
    return found.one_or_none()


async def remember_chat_id(
    session: AsyncSession, *, user: User, platform: Platform, chat_id: str
) -> None:
    """Link a platform id to ``user``, taking it from anyone it was linked to before."""
    column = ID_COLUMNS[platform]
    attribute = ID_ATTRIBUTES[platform]
    await session.execute(
        update(User)
        .where(column == chat_id, User.id != user.id)
        .values({attribute: None})
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values({attribute: chat_id})
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, attribute, chat_id)


async def person_for(
    db: Database,
    platform: Platform,
    chat_id: str,
    email_of: Callable[[], Awaitable[str | None]],
) -> User | None:
    """The accountbot user behind a platform id, or None when the bot does not know them.

    ``email_of`` asks the platform for the person's email; it is called only for an id the
    bot has not seen before.
    """
    async with db.read_only() as session:
        user = await find_user_by_chat_id(session, platform, chat_id)
    if user is not None or not chat_id.strip():
        return user
    email = await email_of()
    if email is None:
        return None
    async with db.unit_of_work() as session:
        user = await find_user_by_email(session, email)
        if user is None:
            return None
        await remember_chat_id(session, user=user, platform=platform, chat_id=chat_id.strip())
    log.info("mapped a %s user to user %s by email", platform, user.id)
    return user
