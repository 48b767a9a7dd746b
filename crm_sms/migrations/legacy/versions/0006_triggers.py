"""triggered messages: rules mapping host events to saved messages, and every event fired

Revision ID: 0006_triggers
Revises: 0005_campaigns
Create Date: 2026-11-22 04:18:42.615478

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0006_triggers"
down_revision = "0005_campaigns"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "trigger_fires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_trigger_fires_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_trigger_fires_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_trigger_fires_message_id_messages"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_fires")),
        sa.UniqueConstraint("event", "key", name="uq_trigger_fires_event_key"),
    )
    with op.batch_alter_table("trigger_fires", schema=None) as batch_op:
        batch_op.create_index("ix_trigger_fires_at", ["at"], unique=False)

    op.create_table(
        "trigger_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=80), nullable=False),
        sa.Column("module", sa.String(length=16), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("module IN ('contacts', 'accounts')", name=op.f("ck_trigger_rules_module")),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["sender_numbers.id"],
            name=op.f("fk_trigger_rules_sender_id_sender_numbers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_trigger_rules_signature_id_signatures"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["sms_templates.id"],
            name=op.f("fk_trigger_rules_template_id_sms_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_rules")),
        sa.UniqueConstraint("event", name=op.f("uq_trigger_rules_event")),
    )


def downgrade():
    op.drop_table("trigger_rules")
    with op.batch_alter_table("trigger_fires", schema=None) as batch_op:
        batch_op.drop_index("ix_trigger_fires_at")

    op.drop_table("trigger_fires")
