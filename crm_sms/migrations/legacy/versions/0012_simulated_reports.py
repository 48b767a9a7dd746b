"""simulated reports: the simulator's receipts and replies wait in the database, not only in Redis

A delayed job lost with its worker or with Redis left its message "sent" for good; the sweep now
delivers a report whose time has come from this table.

Revision ID: 0012_simulated_reports
Revises: 0011_settings_placeholders
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0012_simulated_reports"
down_revision = "0011_settings_placeholders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "simulated_reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("due_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("simulated_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_simulated_reports_due_at"), ["due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("simulated_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_simulated_reports_due_at"))
    op.drop_table("simulated_reports")
