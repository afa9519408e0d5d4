"""What an import ends with: the counts of a file imported, or every problem of one refused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.services.imports.cells import RowProblem
from bot.services.imports.local_dates import local_dates_hint


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: str
    source_name: str
    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = ()  # what was read differently from the file, for stderr

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"Imported {self.source_name}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.source_name,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class ImportRejected(UserError):
    """The file has problems and nothing was written; `problems` are sorted by line."""

    def __init__(
        self, source_name: str, problems: Iterable[RowProblem], *, local_dates: Sequence[str] = ()
    ) -> None:
        """`local_dates`: the dates written as a spreadsheet's locale does that were refused
        (see `local_dates`); the hint then says how to import them."""
        self.source_name = source_name
        self.problems = sorted(problems, key=lambda problem: problem.line)
        bad_rows = len({problem.line for problem in self.problems if problem.line > 1})
        counted = f", {bad_rows} bad row{'' if bad_rows == 1 else 's'}" if bad_rows else ""
        fix = "Fix every line listed and import the whole file again."
        dates_hint = local_dates_hint(local_dates)
        if dates_hint and len(local_dates) < len(self.problems):
            fix = f"{dates_hint} Fix the other lines listed first."
        elif dates_hint:
            fix = dates_hint
        super().__init__(f"{source_name}: nothing imported{counted}.", hint=fix)
