"""import history: free-text meeting kinds, accounts.known_since

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

* ``meetings.kind`` was a VARCHAR(20) limited by the CHECK constraint ``ck_meetings_meetingkind``
  to seven kinds; it becomes a VARCHAR(60) without a constraint, so a team's own labels ("demo",
  "Call") import as written. Existing values are unchanged.
* ``accounts.known_since`` (DATE, nullable) is new: the day accountbot started tracking the
  account. Existing accounts get NULL ("tracked from the start"), so nothing they show changes.

Downgrade turns every kind accountbot does not know into "other" before restoring the check.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KNOWN_KINDS = ("kickoff", "sync", "review", "qbr", "renewal", "escalation", "other")


def _kind_enum() -> sa.Enum:
    return sa.Enum(
        *KNOWN_KINDS, name="meetingkind", native_enum=False, create_constraint=True, length=20
    )


def upgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_meetings_meetingkind"), type_="check")
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=20),
            type_=sa.String(length=60),
            existing_nullable=False,
        )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("known_since", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("known_since")
    meetings = sa.table("meetings", sa.column("kind", sa.String()))
    op.execute(meetings.update().where(meetings.c.kind.not_in(KNOWN_KINDS)).values(kind="other"))
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=60),
            type_=_kind_enum(),
            existing_nullable=False,
        )
