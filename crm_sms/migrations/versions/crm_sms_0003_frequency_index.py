"""frequency caps: why a campaign recipient was skipped; a number's bulk messages by time

Revision ID: crm_sms_0003_frequency_index
Revises: crm_sms_0002_possible_opt_out
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "crm_sms_0003_frequency_index"
down_revision = "crm_sms_0002_possible_opt_out"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_sms_campaign_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skip_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("skip_note", sa.String(length=255), nullable=True))
    with op.batch_alter_table("crm_sms_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crm_sms_messages_bulk_phone",
            ["phone_e164", "send_at"],
            unique=False,
            sqlite_where=sa.text("kind = 'campaign'"),
            postgresql_where=sa.text("kind = 'campaign'"),
        )


def downgrade():
    with op.batch_alter_table("crm_sms_messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_crm_sms_messages_bulk_phone",
            sqlite_where=sa.text("kind = 'campaign'"),
            postgresql_where=sa.text("kind = 'campaign'"),
        )
    with op.batch_alter_table("crm_sms_campaign_recipients", schema=None) as batch_op:
        batch_op.drop_column("skip_note")
        batch_op.drop_column("skip_reason")
