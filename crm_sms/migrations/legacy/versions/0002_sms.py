"""SMS: messages, events, receipts, senders, signatures, settings, consent

Revision ID: 0002_sms
Revises: 0001_crm_core
Create Date: 2026-11-22 01:55:14.139032

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0002_sms"
down_revision = "0001_crm_core"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "inbound_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("concat_ref", sa.String(length=32), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_parts")),
        sa.UniqueConstraint("sender", "concat_ref", "part", name="uq_inbound_parts_part"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "suppressions",
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("since", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("e164", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=255), nullable=False),
        sa.Column("default_for_manual", sa.Boolean(), nullable=False),
        sa.Column("default_for_bulk", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_signatures_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint("name", name=op.f("uq_signatures_name")),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("phone_number_id", sa.Integer(), nullable=True),
        sa.Column("consent_type", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("changed_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(contact_id IS NULL) <> (account_id IS NULL)", name=op.f("ck_consents_one_owner")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_consents_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_consents_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["phone_number_id"],
            ["phone_numbers.id"],
            name=op.f("fk_consents_phone_number_id_phone_numbers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint("account_id", name=op.f("uq_consents_account_id")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_consents_contact_id")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_reason", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("rendered_body", sa.Text(), nullable=True),
        sa.Column("encoding", sa.String(length=8), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("sender_e164", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("send_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("client_ref", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("reject_reason", sa.String(length=255), nullable=True),
        sa.Column("attempted_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_messages_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_messages_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_messages_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"], ["signatures.id"], name=op.f("fk_messages_signature_id_signatures"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("client_ref", name=op.f("uq_messages_client_ref")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_account", ["account_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_contact", ["contact_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_due", ["status", "send_at"], unique=False)
        batch_op.create_index("ix_messages_phone", ["phone_e164", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(
            "uq_messages_inbound_provider_id",
            ["provider_id"],
            unique=True,
            sqlite_where=sa.text("direction = 'inbound'"),
            postgresql_where=sa.text("direction = 'inbound'"),
        )

    op.create_table(
        "sender_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("mms", sa.Boolean(), nullable=False),
        sa.Column("mps", sa.Float(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sender_numbers_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sender_numbers")),
        sa.UniqueConstraint("e164", name=op.f("uq_sender_numbers_e164")),
    )
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sender_numbers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("e164", sa.String(length=16), nullable=True),
        sa.Column("old_state", sa.String(length=16), nullable=True),
        sa.Column("new_state", sa.String(length=16), nullable=False),
        sa.Column("old_e164", sa.String(length=16), nullable=True),
        sa.Column("consent_type", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=254), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_consent_events_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_consent_events_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_consent_events_message_id_messages"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_events_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_events_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "message_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_message_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_events_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_events_message_id"), ["message_id"], unique=False)

    op.create_table(
        "provider_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("client_ref", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_provider_receipts_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_receipts")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_provider_receipts_dedup_key")),
    )
    with op.batch_alter_table("provider_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_receipts_client_ref"), ["client_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_receipts_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provider_receipts_provider_id"), ["provider_id"], unique=False)


def downgrade():

    with op.batch_alter_table("provider_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_receipts_provider_id"))
        batch_op.drop_index(batch_op.f("ix_provider_receipts_message_id"))
        batch_op.drop_index(batch_op.f("ix_provider_receipts_client_ref"))

    op.drop_table("provider_receipts")
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_events_message_id"))

    op.drop_table("message_events")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_events_contact_id"))
        batch_op.drop_index(batch_op.f("ix_consent_events_at"))
        batch_op.drop_index(batch_op.f("ix_consent_events_account_id"))

    op.drop_table("consent_events")
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sender_numbers_user_id"))

    op.drop_table("sender_numbers")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_messages_inbound_provider_id",
            sqlite_where=sa.text("direction = 'inbound'"),
            postgresql_where=sa.text("direction = 'inbound'"),
        )
        batch_op.drop_index(batch_op.f("ix_messages_provider_id"))
        batch_op.drop_index("ix_messages_phone")
        batch_op.drop_index("ix_messages_due")
        batch_op.drop_index("ix_messages_contact")
        batch_op.drop_index("ix_messages_account")

    op.drop_table("messages")
    op.drop_table("consents")
    op.drop_table("signatures")
    op.drop_table("suppressions")
    op.drop_table("settings")
    op.drop_table("inbound_parts")
