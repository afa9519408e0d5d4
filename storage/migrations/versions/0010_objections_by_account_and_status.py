"""objections by account and status: an account's live objections found through one index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

* ``objections (account_id, status)`` replaces ``objections (account_id)`` (its prefix serves
  whatever that one did). The flags of a page of accounts count each one's open objections:
  without both columns in one index, SQLite read every open objection of the book through
  ``ix_objections_status`` and kept the page's (15 ms on 494,672 accounts and 9,900 open
  objections, for every list and App Home); with it, each account's are one index range.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_objections_account_id_status", "objections", ["account_id", "status"])
    op.drop_index("ix_objections_account_id", table_name="objections")


def downgrade() -> None:
    op.create_index("ix_objections_account_id", "objections", ["account_id"])
    op.drop_index("ix_objections_account_id_status", table_name="objections")
