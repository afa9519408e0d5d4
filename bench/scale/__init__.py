"""Scale benchmarks (issue #12): every figure on 5,000-, 50,000- (and 500,000-) account books, on
SQLite and PostgreSQL, as ratios measured in one run. ``python -m bench.scale --help``.

* ``chat`` — signed slash commands and App Home for an AM, a lead, a head and an ops person,
  against the real server on loopback, timed until the answer reaches a fake Slack; compared
  with a bare Bolt app answering a constant the same way.
* ``nudges`` — the daily nudge scan against hand-written SQL returning the same due items.
* ``digests`` — every team's weekly KPI report against raw SQL aggregates of the same numbers.
* ``serve`` — peak RSS of ``accountbot serve`` under the chat load.
* the delivery benchmark (``bench.delivery``), as it is.
"""
