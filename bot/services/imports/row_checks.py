"""A file's rows checked against each other and against the stored book, before any write.

References (a team by name, a user by e-mail or name, an account by name) resolved with one
query per kind of reference; natural keys given twice in the file; unique ids (a Slack user id, ...)
given twice in the file or held by another row. Each returns the problems it finds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.imports.cells import ParsedRow, Ref, RefKind, RowProblem
from bot.services.imports.kinds import KindSpec
from bot.services.imports.queries import select_in
from storage.keys import name_key
from storage.models import Account, Team, User

# The key and id columns a reference is looked up by (people by name: `_people_named`).
_LOOKUP: dict[RefKind, tuple[Any, Any]] = {
    RefKind.TEAM: (Team.name_key, Team.id),
    RefKind.USER: (User.email, User.id),
    RefKind.ACCOUNT: (Account.name_key, Account.id),
}
_NOT_FOUND: dict[RefKind, str] = {
    RefKind.TEAM: 'no team named "{}" (import teams first)',
    RefKind.USER: 'no user with email "{}" (import users first)',
    RefKind.PERSON: 'no user named "{}" (import users first, or write their email)',
    RefKind.ACCOUNT: 'no account named "{}" (import accounts first)',
}


async def resolve_references(session: AsyncSession, parsed: list[ParsedRow]) -> list[RowProblem]:
    """Replace every `Ref` by the id it names, one query per kind of reference."""
    wanted: dict[RefKind, set[str]] = defaultdict(set)
    for row in parsed:
        for ref in row.refs.values():
            if ref is not None:
                wanted[ref.kind].add(ref.key)
    ids: dict[RefKind, dict[str, int]] = {}
    namesakes: dict[str, list[str]] = {}
    for kind, keys in wanted.items():
        if kind is RefKind.PERSON:
            ids[kind], namesakes = await _people_named(session, keys)
            continue
        key_column, id_column = _LOOKUP[kind]
        ids[kind] = dict(await select_in(session, (key_column, id_column), key_column, keys))
    problems = []
    for row in parsed:
        for attribute, ref in row.refs.items():
            found = None if ref is None else ids[ref.kind].get(ref.key)
            if ref is not None and found is None:
                shared = namesakes.get(ref.key, []) if ref.kind is RefKind.PERSON else []
                message = _not_found(ref, shared)
                problems.append(RowProblem(row.line, ref.column, message))
            row.values[attribute] = found
    return problems


async def _people_named(
    session: AsyncSession, keys: set[str]
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """The one user each name key names, and the e-mails of names that several people share.
    Names are compared as account names are (case, spaces and curly quotes aside), in Python:
    SQLite's lower() knows only ASCII, and people are far fewer than accounts."""
    by_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for user_id, name, email in await session.execute(select(User.id, User.name, User.email)):
        if (key := name_key(name)) in keys:
            by_key[key].append((user_id, email))
    ids = {key: people[0][0] for key, people in by_key.items() if len(people) == 1}
    shared = {key: sorted(e for _, e in people) for key, people in by_key.items() if people[1:]}
    return ids, shared


def _not_found(ref: Ref, namesakes: list[str]) -> str:
    if namesakes:
        emails = ", ".join(namesakes)
        return f'{len(namesakes)} users are named "{ref.shown}" ({emails}): write the email'
    return _NOT_FOUND[ref.kind].format(ref.shown)


def _file_key(row: ParsedRow, spec: KindSpec) -> tuple[Any, ...] | None:
    """The natural key with references as written (casefolded), None when a part is missing."""
    parts = []
    for attribute in spec.natural_key:
        ref = row.refs.get(attribute)
        part = ref.key if ref is not None else row.values.get(attribute)
        if part is None:
            return None
        parts.append(part)
    return tuple(parts)


def repeated_keys(spec: KindSpec, parsed: list[ParsedRow]) -> list[RowProblem]:
    first_line: dict[tuple[Any, ...], int] = {}
    problems = []
    for row in parsed:
        key = _file_key(row, spec)
        if key is None:
            continue
        if key in first_line:
            same = ", ".join(spec.key_columns)
            reason = f"duplicate of line {first_line[key]} (same {same})"
            problems.append(RowProblem(row.line, None, reason))
        else:
            first_line[key] = row.line
    return problems


async def taken_ids(
    session: AsyncSession, spec: KindSpec, parsed: list[ParsedRow]
) -> list[RowProblem]:
    """Unique ids (a Slack user id, ...) given twice in the file or held by another row."""
    problems: list[RowProblem] = []
    (key_attribute,) = spec.natural_key
    key_column = getattr(spec.model, key_attribute)
    for attribute in spec.unique:
        if not parsed or attribute not in parsed[0].values:
            continue  # the file leaves the column out
        column = getattr(spec.model, attribute)
        first_line: dict[str, int] = {}
        for row in parsed:
            value = row.values[attribute]
            if value is not None and value in first_line:
                reason = f'"{value}" is also on line {first_line[value]}'
                problems.append(RowProblem(row.line, attribute, reason))
            elif value is not None:
                first_line[value] = row.line
        holders = dict(await select_in(session, (column, key_column), column, first_line))
        for row in parsed:
            holder = holders.get(row.values[attribute])
            mine = row.values[key_attribute]
            if holder is not None and mine is not None and holder != mine:
                reason = f'"{row.values[attribute]}" already belongs to {holder}'
                problems.append(RowProblem(row.line, attribute, reason))
    return problems
