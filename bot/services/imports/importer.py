"""`accountbot import KIND FILE` upserts rows by natural key, all or nothing.

Every row is checked before anything is written: cells (`cells`, `rows`, `reader`),
references resolved with one query per kind of reference, natural keys repeated within the
file and unique ids another user holds (`row_checks`), what needs the database besides
(`checks`: time zones, the account's stage for steps). Any problem rejects the whole file,
listing every bad row. Then new rows are inserted and changed rows updated in batches, only
the columns the file has: others (a meeting's recap when the file has no recap column, ...)
are left alone, and a row already holding the file's values is not written at all. An
account created, or whose stage the file changes, without a stage_entered_on gets
`stage_entered_at = now`, and the result warns about the new ones. Accounts it churns leave
the risk snapshot at once. One audit entry (source "import") records each import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.playbooks import PlaybookLibrary
from bot.services.imports.cells import ParsedRow, RowProblem
from bot.services.imports.checks import CHECKS, CheckContext
from bot.services.imports.header import Header, HeaderError
from bot.services.imports.kinds import SPECS, ImportKind, KindSpec, column_of
from bot.services.imports.local_dates import DateOrder
from bot.services.imports.outcome import ImportRejected, ImportResult
from bot.services.imports.queries import chunks, select_in
from bot.services.imports.reader import Table, read_cells, read_csv
from bot.services.imports.row_checks import repeated_keys, resolve_references, taken_ids
from bot.services.risk_snapshot import forget_churned
from bot.services.when import local_date_of
from storage.catalog import bump_catalog
from storage.models import AuditEntry

__all__ = ["import_csv", "import_table"]

BATCH = 1000
CHECKING = "checking"
WRITING = "writing"
# Kinds that change account names, owners or teams: names kept in memory are read again.
CATALOG_KINDS = frozenset({ImportKind.TEAMS, ImportKind.USERS, ImportKind.ACCOUNTS})
Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in the file)


async def _existing(
    session: AsyncSession, spec: KindSpec, parsed: list[ParsedRow]
) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    """Rows already stored under the file's natural keys, with the columns the file sets."""
    table = spec.model.__table__
    written = {attribute for row in parsed for attribute in (*row.values, *row.same_day)}
    written |= set(spec.stamp or ())
    attributes = ["id", *sorted(attribute for attribute in written if attribute in table.c)]
    first = spec.natural_key[0]
    keys = {r.values[first] for r in parsed}
    columns = [table.c[a] for a in attributes]
    found = await select_in(session, columns, table.c[first], keys, spec.scope)
    by_key = {}
    for row in found:
        stored = row._mapping
        by_key[tuple(stored[a] for a in spec.natural_key)] = stored
    return by_key


@dataclass(slots=True)
class _Plan:
    creates: list[dict[str, Any]]
    updates: list[dict[str, Any]]
    unchanged: int
    stamped_creates: int  # new rows whose stamp is the import time, the file giving none


def _keep_same_days(row: ParsedRow, stored: Mapping[str, Any]) -> None:
    for attribute, zone in row.same_day.items():
        mine, theirs = row.values.get(attribute), stored[attribute]
        if mine and theirs and local_date_of(mine, zone) == local_date_of(theirs, zone):
            row.values[attribute] = theirs


def _plan(
    spec: KindSpec,
    parsed: list[ParsedRow],
    existing: dict[tuple[Any, ...], Mapping[str, Any]],
    now: datetime,
) -> _Plan:
    plan = _Plan([], [], 0, 0)
    trigger, stamped = spec.stamp or (None, None)
    created = {"created_at": now} if "created_at" in spec.model.__table__.c else {}
    for row in parsed:
        stored = existing.get(tuple(row.values[a] for a in spec.natural_key))
        stamps = {}
        if stored is None:
            if stamped and stamped not in row.values:
                stamps = {stamped: now}
                plan.stamped_creates += 1
            plan.creates.append({**row.values, **row.create_only, **stamps, **created})
            continue
        _keep_same_days(row, stored)
        if all(stored[a] == value for a, value in row.values.items()):
            plan.unchanged += 1
            continue
        if trigger and stamped and stamped not in row.values:
            moved = stored[trigger] != row.values[trigger]
            stamps = {stamped: now if moved else stored[stamped]}
        plan.updates.append({**row.values, **stamps, "id": stored["id"]})
    return plan


async def _write(
    session: AsyncSession, spec: KindSpec, plan: _Plan, progress: Progress | None
) -> None:
    """Insert and update in batches, reporting rows done (unchanged ones count as done)."""
    total = len(plan.creates) + len(plan.updates) + plan.unchanged
    done = plan.unchanged
    for statement, batch_rows in (
        # NULLs written out keep every row's columns alike, so each batch is one statement.
        (insert(spec.model).execution_options(render_nulls=True), plan.creates),
        (update(spec.model), plan.updates),
    ):
        for batch in chunks(batch_rows, BATCH):
            await session.execute(statement, list(batch))
            done += len(batch)
            if progress is not None and done < total:
                progress(WRITING, done, total)
    if progress is not None:
        progress(WRITING, total, total)


def _import_kind(kind: str) -> ImportKind:
    try:
        return ImportKind(kind.strip().lower())
    except ValueError:
        kinds = ", ".join(member.value for member in ImportKind)
        raise InvalidInput(f"Unknown kind {kind!r}; expected one of: {kinds}.") from None


async def import_csv(
    session: AsyncSession,
    *,
    kind: str,
    stream: TextIO,
    source_name: str,
    now: datetime,
    progress: Progress | None = None,
    playbooks: PlaybookLibrary | None = None,
) -> ImportResult:
    """Import one CSV file of `kind` (see `import_table`)."""
    spec = SPECS[_import_kind(kind)]
    table = read_csv(stream, source=source_name, known=spec.columns.known)
    return await import_table(
        session, kind=kind, table=table, now=now, progress=progress, playbooks=playbooks
    )


def _drop_absent(parsed: list[ParsedRow], header: Header) -> None:
    """Columns the file leaves out are not written: existing rows keep their values and new
    ones get the defaults."""
    absent = [a for a in (parsed[0].values if parsed else ()) if column_of(a) not in header.present]
    for row in parsed:
        for attribute in absent:
            del row.values[attribute]


def _stamp_note(spec: KindSpec, plan: _Plan) -> list[str]:
    return (
        [spec.stamp_note(plan.stamped_creates)] if spec.stamp_note and plan.stamped_creates else []
    )


def _as_headed(problems: list[RowProblem], header: Header) -> list[RowProblem]:
    """Problems naming each column as the file heads it (`Account Owner`, not owner_email)."""
    written = {column: heading for heading, column in header.read_as}
    return [
        replace(problem, column=written[problem.column]) if problem.column in written else problem
        for problem in problems
    ]


def _header_warnings(header: Header, kind: ImportKind) -> list[str]:
    warnings = []
    if header.first_line is not None:
        warnings.append(
            f"The header is line {header.first_line}: the lines above it (a report's title?) "
            "were skipped."
        )
    if header.read_as:
        read = ", ".join(f"{written!r} as {column}" for written, column in header.read_as)
        warnings.append(f"Read {read}.")
    if header.ignored:
        names = ", ".join(repr(name) for name in header.ignored)
        plural = "s" if len(header.ignored) > 1 else ""
        warnings.append(f"Ignored column{plural} {names}: not in the {kind.value} format.")
    return warnings


async def import_table(
    session: AsyncSession,
    *,
    kind: str,
    table: Table,
    now: datetime,
    progress: Progress | None = None,
    playbooks: PlaybookLibrary | None = None,
    dates: DateOrder | None = None,
) -> ImportResult:
    """Import one file of `kind`: every row or none. Raises `ImportRejected` listing every
    problem; `progress(phase, done, total)` reports rows checked, then rows written. Steps are
    checked against `playbooks` (the bundled ones when None). Dates are ISO, and also in
    `dates` order as a spreadsheet's locale writes them (23/02/2026) when given."""
    import_kind = _import_kind(kind)
    spec = SPECS[import_kind]
    try:
        cells, problems, header = read_cells(table, spec.columns, dates=dates)
    except HeaderError as exc:
        raise ImportRejected(table.source, [RowProblem(1, None, str(exc))]) from None
    parsed = []
    for done, row_cells in enumerate(cells, start=1):
        parsed.append(spec.parse(row_cells))
        if progress is not None and done % BATCH == 0:
            progress(CHECKING, done, len(cells))
    problems += [problem for row_cells in cells for problem in row_cells.problems]
    problems += await resolve_references(session, parsed)
    _drop_absent(parsed, header)
    context = CheckContext(now=now, playbooks=playbooks)
    check = CHECKS.get(import_kind)
    if check is not None:
        bad_lines = {problem.line for problem in problems}
        problems += await check(session, [r for r in parsed if r.line not in bad_lines], context)
    problems += repeated_keys(spec, parsed)
    if spec.unique:
        problems += await taken_ids(session, spec, parsed)
    if problems:
        order = {column: index for index, column in enumerate(spec.headers)}
        problems.sort(key=lambda problem: (problem.line, order.get(problem.column or "", -1)))
        problems = _as_headed(problems, header)
        local_dates = [text for row_cells in cells for text in row_cells.local_dates]
        raise ImportRejected(table.source, problems, local_dates=local_dates)
    existing = await _existing(session, spec, parsed) if parsed else {}
    plan = _plan(spec, parsed, existing, now)
    await _write(session, spec, plan, progress)
    if import_kind in CATALOG_KINDS and (plan.creates or plan.updates):
        await bump_catalog(session)  # names and who reads them may have changed
    if import_kind is ImportKind.ACCOUNTS and plan.updates:
        await forget_churned(session, now=now)  # not listed at risk any more
    result = ImportResult(
        kind=import_kind.value,
        source_name=table.source,
        created=len(plan.creates),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        warnings=(
            *_header_warnings(header, import_kind),
            *context.warnings,
            *_stamp_note(spec, plan),
        ),
    )
    details = {key: value for key, value in result.to_dict().items() if key != "kind"}
    entry = AuditEntry(
        actor_id=None,
        action="import",
        subject_type=import_kind.value,
        subject_id=None,
        details=details,
        source="import",
        at=now,
    )
    session.add(entry)
    await session.flush()
    return result
