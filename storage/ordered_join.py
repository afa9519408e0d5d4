"""An inner join that SQLite performs in the order written, for a small table of constants
that each row of a big table is joined to.

SQLite's planner, which has no statistics on a book, likes to loop over a small table outside
and search the big one inside: once per row of the small table, in no useful order. A book
read once, in order, with the small table inside, is much faster when it does not fit in the
cache (the searches that follow go through their indexes in order too). SQLite documents
``CROSS JOIN … ON`` as an inner join whose left side stays the outer loop; PostgreSQL plans
joins itself, and gets a plain ``JOIN``.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Join
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler


class _OrderedJoin(Join):
    inherit_cache = True


def ordered_join(left: FromClause, right: FromClause, on: ColumnElement[bool]) -> Join:
    """``left JOIN right ON on``, with ``left`` the outer loop on SQLite."""
    return _OrderedJoin(left, right, on)


@compiles(_OrderedJoin, "sqlite")
def _cross_join_on(
    join: _OrderedJoin, compiler: SQLCompiler, asfrom: bool = False, from_linter: Any = None,
    **kw: Any,
) -> str:  # fmt: skip
    if from_linter:  # as visit_join: the two sides are joined, not a cartesian product
        from_linter.edges.update(product(join.left._from_objects, join.right._from_objects))
    left = compiler.process(join.left, asfrom=True, from_linter=from_linter, **kw)
    right = compiler.process(join.right, asfrom=True, from_linter=from_linter, **kw)
    assert join.onclause is not None  # ordered_join always has one
    on = compiler.process(join.onclause, from_linter=from_linter, **kw)
    return f"{left} CROSS JOIN {right} ON {on}"
