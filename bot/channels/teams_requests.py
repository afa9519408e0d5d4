"""Checks of a Teams request made before botbuilder sees it, from the request alone.

A request needs a bearer token that claims to come from the Bot Framework for this app and
this serviceUrl (botbuilder then verifies the signature, which takes a network call), and a
message Teams delivers twice is handled once. No botbuilder import.
"""

from __future__ import annotations

import time
from collections import OrderedDict

import jwt

BOT_FRAMEWORK_ISSUERS = frozenset({"https://api.botframework.com", "https://api.botframework.us"})
RECENT_ACTIVITIES = 5000


class RecentIds:
    """Activity ids seen lately, so a redelivered message is answered once."""

    def __init__(self, size: int = RECENT_ACTIVITIES) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, activity_id: str) -> bool:
        if activity_id in self._seen:
            return False
        self._seen[activity_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def token_problem(authorization: str, service_url: str, app_id: str) -> str | None:
    """Why a request cannot be from the Bot Framework for this app (before any network call)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return "no bearer token"
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return "a token that is not a JWT"
    if claims.get("iss") not in BOT_FRAMEWORK_ISSUERS:
        return "a token from another issuer"
    if claims.get("aud") != app_id:
        return "a token for another app"
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time() - 300:
        return "an expired token"
    if claims.get("serviceurl") != service_url:
        return "a token for another service URL"
    return None
