"""consent proof: the wording, channel and sender of each consent event; suppressions per sender number

Revision ID: crm_sms_0004_consent_proof
Revises: crm_sms_0003_frequency_index

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "crm_sms_0004_consent_proof"
down_revision = "crm_sms_0003_frequency_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_sms_consent_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wording", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("wording_version", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sender_e164", sa.String(length=16), nullable=True))
    # Existing suppressions cover every sender (""), as they always did.
    with op.batch_alter_table("crm_sms_suppressions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_e164", sa.String(length=16), server_default="", nullable=False))
        batch_op.drop_constraint("pk_crm_sms_suppressions", type_="primary")
        batch_op.create_primary_key("pk_crm_sms_suppressions", ["e164", "sender_e164"])


def downgrade():
    # Per-sender rows cannot all fit under one key per number: keeping one row per number covers every sender.
    op.execute(
        "DELETE FROM crm_sms_suppressions WHERE sender_e164 <> '' AND e164 IN "
        "(SELECT e164 FROM crm_sms_suppressions WHERE sender_e164 = '')"
    )
    op.execute(
        "DELETE FROM crm_sms_suppressions WHERE sender_e164 <> '' AND sender_e164 > "
        "(SELECT MIN(s.sender_e164) FROM crm_sms_suppressions s WHERE s.e164 = crm_sms_suppressions.e164)"
    )
    with op.batch_alter_table("crm_sms_suppressions", schema=None) as batch_op:
        batch_op.drop_constraint("pk_crm_sms_suppressions", type_="primary")
        batch_op.create_primary_key("pk_crm_sms_suppressions", ["e164"])
        batch_op.drop_column("sender_e164")
    with op.batch_alter_table("crm_sms_consent_events", schema=None) as batch_op:
        batch_op.drop_column("sender_e164")
        batch_op.drop_column("channel")
        batch_op.drop_column("wording_version")
        batch_op.drop_column("wording")
