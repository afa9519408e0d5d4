"""live objections by age: a head's page of objections without reading and sorting them all

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

* ``objections (opened_at) WHERE status IN ('open', 'escalated')``, a partial index. The
  objections of everyone (a head's or ops' list and App Home) are the oldest live ones first, a
  page of them: SQLite read every live objection of the book through ``ix_objections_status``
  and sorted them for each page (29 ms on 494,672 accounts and 9,900 live objections); in this
  index the page is its first rows. SQLite uses a partial index only for a query that states
  its condition in the same words (`storage.models.LIVE_OBJECTION_SQL`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('open', 'escalated')"  # as it is worded in the models, frozen here


def upgrade() -> None:
    op.create_index(
        "ix_objections_live_opened_at",
        "objections",
        ["opened_at"],
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_objections_live_opened_at", table_name="objections")
