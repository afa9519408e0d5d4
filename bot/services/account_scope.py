"""The accounts a list or a refresh works on, and statements over them built once.

Lists and App Home assess a page of accounts on every request, and the risk refresh a batch at
a time: `BY_IDS` is "these accounts", their ids a parameter (``ids``), so the statements over it
are built once (`scoped`) and each run only binds its ids and moments. Any other scope (a
person's readable accounts) is built for its request.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam

from storage.models import Account

BY_IDS: ColumnElement[bool] = Account.id.in_(bindparam("ids", expanding=True))

_Built = TypeVar("_Built")
_built: dict[Callable[..., Any], Any] = {}


def ids_params(ids: Collection[int]) -> dict[str, Any]:
    """The parameters that make `BY_IDS` these accounts."""
    return {"ids": list(ids)}


def scoped(build: Callable[[ColumnElement[bool]], _Built], scope: ColumnElement[bool]) -> _Built:
    """``build(scope)``: built once when ``scope`` is `BY_IDS` (``build`` is a module-level
    function of the scope alone; moments are parameters), else for this scope."""
    if scope is not BY_IDS:
        return build(scope)
    found = _built.get(build)
    if found is None:
        found = _built[build] = build(scope)
    return found
