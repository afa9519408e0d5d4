"""Who may do what, as a table: every role × command × an account of their own team, of
another team, and one that does not exist. Refusals never reveal whether an account exists
elsewhere, and refused requests change nothing."""

from __future__ import annotations

import re
from typing import Any, Literal

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry
from tests.channels.helpers import seen
from tests.channels.slack_book import NOBODY
from tests.reliability.book import PEOPLE
from tests.reliability.conftest import Live
from tests.reliability.figures import record

Outcome = Literal["ok", "read-only", "not found", "forbidden", "unknown"]
OWN, OTHER, NOWHERE = "Acme Robotics", "Initech", "Zyxwvut Holdings"
EVERYONE = {**PEOPLE, "nobody (not in accountbot)": NOBODY}
# Who owns or may change what: Alice owns Acme Robotics (Atlas), Bob owns Initech (Borealis).
READS: dict[str, set[str]] = {
    OWN: {"alice", "eve", "lena", "hana", "otto"},
    OTHER: {"bob", "bora", "hana", "otto"},
    NOWHERE: set(),
}
CHANGES: dict[str, set[str]] = {
    OWN: {"alice", "lena", "hana", "otto"},
    OTHER: {"bob", "bora", "hana", "otto"},
    NOWHERE: set(),
}
COMMANDS = {
    "status {}": "read",
    "playbook {}": "read",
    "meeting {} 2026-03-03 {hour}:15": "change",
    "tick {} discovery": "change",
    "untick {} discovery": "change",
    "stage {} growth": "change",
    "recap {}": "change",
}
SIGNS: dict[Outcome, tuple[str, ...]] = {
    "read-only": ("You can change only your own accounts",),
    "not found": ("No account matches",),
    "forbidden": ("Only heads and ops can look", "The digest preview is for team leads"),
    "unknown": ("I don't know you yet",),
}
QUOTED = re.compile(r"“[^”]*”")


def expected(person: str, kind: str, account: str) -> Outcome:
    short = person.split()[0]
    if short == "nobody":
        return "unknown"
    if kind == "read":
        return "ok" if short in READS[account] else "not found"
    if short in CHANGES[account]:
        return "ok"
    return "read-only" if short in READS[account] else "not found"


def outcome_of(shown: str) -> Outcome:
    for outcome, signs in SIGNS.items():
        if any(sign in shown for sign in signs):
            return outcome
    return "ok"


def audit_count(live: Live) -> int:
    async def go(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    return live.in_db(go)


def ask(live: Live, text: str, user: str) -> str:
    """What the person sees: the message, or the title of the form that opened."""
    forms = len(live.slack.calls_to("views.open"))
    url, _ = live.command(text, user)
    live.run(
        live.slack.wait_for(
            lambda: live.slack.posted_to(url) or len(live.slack.calls_to("views.open")) > forms
        )
    )
    if live.slack.posted_to(url):
        return seen(live.answer(url))
    return "form: " + str(live.slack.view_arg(live.slack.calls_to("views.open")[-1])["title"])


@pytest.mark.parametrize("person", sorted(EVERYONE))
def test_each_role_may_do_exactly_what_the_readme_says(live: Live, person: str) -> None:
    user = EVERYONE[person]
    wrong: dict[str, tuple[Outcome, Outcome, str]] = {}
    for index, (pattern, kind) in enumerate(COMMANDS.items()):
        for account in (OWN, OTHER, NOWHERE):
            text = pattern.format(account, hour=f"{8 + index:02d}")
            before = audit_count(live)
            shown = ask(live, text, user)
            want = expected(person, kind, account)
            got = outcome_of(shown)
            if got != want:
                wrong[text] = (want, got, shown[:200])
            if got != "ok":
                assert audit_count(live) == before, f"refused {text!r} changed something"
                unquoted = QUOTED.sub("", shown)  # what they typed is echoed back, nothing more
                assert OTHER not in unquoted and NOWHERE not in unquoted, shown
    assert wrong == {}
    record("role × command × account cases checked", len(COMMANDS) * 3, "per backend")


TEAM_COMMANDS = ("kpi team Atlas", "kpi team Borealis", "digest Atlas", "digest Borealis")
TEAM_RULES: dict[str, dict[str, Outcome]] = {
    "alice": {"kpi team Atlas": "ok", "digest Atlas": "forbidden"},
    "eve": {"kpi team Atlas": "ok", "digest Atlas": "forbidden"},
    "lena": {"kpi team Atlas": "ok", "digest Atlas": "ok"},
    "bob": {"kpi team Borealis": "ok", "digest Borealis": "forbidden"},
    "bora": {"kpi team Borealis": "ok", "digest Borealis": "ok"},
    "hana": dict.fromkeys(TEAM_COMMANDS, "ok"),
    "otto": dict.fromkeys(TEAM_COMMANDS, "ok"),
}


@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_team_numbers_are_for_the_team_heads_and_ops_only(live: Live, person: str) -> None:
    rules = TEAM_RULES[person.split()[0]]
    got = {text: outcome_of(ask(live, text, PEOPLE[person])) for text in TEAM_COMMANDS}
    want = {text: rules.get(text, "forbidden") for text in TEAM_COMMANDS}
    assert got == want
    record("role × command × account cases checked", len(TEAM_COMMANDS), "per backend")
