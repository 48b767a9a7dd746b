"""campaigns and mass messages: campaigns, their recipients, messages.campaign_id

Revision ID: 0005_campaigns
Revises: 0004_inbound_parts_joined
Create Date: 2026-11-22 04:19:41.230183

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0005_campaigns"
down_revision = "0004_inbound_parts_joined"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("module", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("send_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("generation_started_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("progress_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("generated_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("canceled_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("module IN ('contacts', 'accounts')", name=op.f("ck_campaigns_module")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["sender_numbers.id"],
            name=op.f("fk_campaigns_sender_id_sender_numbers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"], ["signatures.id"], name=op.f("fk_campaigns_signature_id_signatures"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["sms_templates.id"],
            name=op.f("fk_campaigns_template_id_sms_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_campaigns_status", ["status"], unique=False)

    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (account_id IS NULL)", name=op.f("ck_campaign_recipients_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_campaign_recipients_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipients_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_campaign_recipients_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint("campaign_id", "account_id", name="uq_campaign_recipients_account"),
        sa.UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_recipients_contact"),
    )
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_recipients_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_campaign_recipients_campaign", ["campaign_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaign_recipients_contact_id"), ["contact_id"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            "uq_messages_campaign_phone",
            ["campaign_id", "phone_e164"],
            unique=True,
            sqlite_where=sa.text("campaign_id IS NOT NULL"),
            postgresql_where=sa.text("campaign_id IS NOT NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_campaign_id_campaigns"), "campaigns", ["campaign_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_campaign_id_campaigns"), type_="foreignkey")
        batch_op.drop_index(
            "uq_messages_campaign_phone",
            sqlite_where=sa.text("campaign_id IS NOT NULL"),
            postgresql_where=sa.text("campaign_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_messages_campaign_id"))
        batch_op.drop_column("campaign_id")

    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_recipients_campaign")
        batch_op.drop_index(batch_op.f("ix_campaign_recipients_contact_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_recipients_account_id"))

    op.drop_table("campaign_recipients")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_campaigns_status")

    op.drop_table("campaigns")
