"""The accounts a list or a refresh works on, and statements over them built once.

Lists and App Home assess a page of accounts on every request, and the risk refresh a batch at
a time: `BY_IDS` is "these accounts", their ids a parameter (``ids``); `readable_live` is the
accounts a person may read that may be live (the at-risk list of an AM's or a lead's team), the
person and the day parameters. So the statements over them are built once (`scoped`) and each
run only binds its ids, person and moments. Any other scope is built for its request.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, and_, bindparam, or_

from bot.services.access import READABLE, reader_params, sees_everything
from storage.models import Account, User

BY_IDS: ColumnElement[bool] = Account.id.in_(bindparam("ids", expanding=True))


def live_on(day: ColumnElement[date]) -> ColumnElement[bool]:
    """The account has not churned by ``day``: it is live that day."""
    return or_(Account.churned_on.is_(None), Account.churned_on > day)


# Not churned by UTC's yesterday: a coarse test (a day of slack for time zones) of being live.
EVERY_LIVE: ColumnElement[bool] = live_on(bindparam("live_after", type_=Date))
READABLE_LIVE: ColumnElement[bool] = and_(READABLE, EVERY_LIVE)
_PARAMETERISED = (BY_IDS, EVERY_LIVE, READABLE_LIVE)

_Built = TypeVar("_Built")
_built: dict[tuple[Callable[..., Any], int], Any] = {}


def ids_params(ids: Collection[int]) -> dict[str, Any]:
    """The parameters that make `BY_IDS` these accounts."""
    return {"ids": list(ids)}


def readable_live(actor: User, now: datetime) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """The accounts ``actor`` may read that may be live ``now`` (exactly: those live on their
    owner's today, the assessment's own test), and the parameters that make it so."""
    params: dict[str, Any] = {"live_after": now.astimezone(UTC).date() - timedelta(days=1)}
    if sees_everything(actor):
        return EVERY_LIVE, params
    return READABLE_LIVE, {**params, **reader_params(actor)}


def scoped(build: Callable[[ColumnElement[bool]], _Built], scope: ColumnElement[bool]) -> _Built:
    """``build(scope)``: built once when ``scope`` is one of the scopes above whose ids,
    person and days are parameters (``build`` is a module-level function of the scope alone;
    moments are parameters too), else for this scope."""
    if not any(scope is known for known in _PARAMETERISED):
        return build(scope)
    found = _built.get((build, id(scope)))
    if found is None:
        found = _built[(build, id(scope))] = build(scope)
    return found
