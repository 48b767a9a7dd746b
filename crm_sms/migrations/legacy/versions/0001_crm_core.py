"""CRM core: users, accounts, contacts, phone numbers, departments

Revision ID: 0001_crm_core
Revises:
Create Date: 2026-11-22 01:40:42.055920

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base

# revision identifiers, used by Alembic.
revision = "0001_crm_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("industry", sa.String(length=80), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_name"), ["name"], unique=False)

    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "phone_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("sms_capable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_types")),
        sa.UniqueConstraint("name", name=op.f("uq_phone_types_name")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contacts_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_last_name"), ["last_name"], unique=False)

    op.create_table(
        "phone_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("preferred_sms", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(contact_id IS NULL) <> (account_id IS NULL)", name=op.f("ck_phone_numbers_one_owner")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_phone_numbers_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_phone_numbers_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["type_id"], ["phone_types.id"], name=op.f("fk_phone_numbers_type_id_phone_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_numbers")),
        sa.UniqueConstraint("account_id", "e164", name="uq_phone_numbers_account_e164"),
        sa.UniqueConstraint("contact_id", "e164", name="uq_phone_numbers_contact_e164"),
    )
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_numbers_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_numbers_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_numbers_e164"), ["e164"], unique=False)
        batch_op.create_index(
            "uq_phone_numbers_preferred_sms",
            ["contact_id"],
            unique=True,
            sqlite_where=sa.text("preferred_sms"),
            postgresql_where=sa.text("preferred_sms"),
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'manager', 'agent', 'customer')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_users_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_users_contact_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )


def downgrade():

    op.drop_table("users")
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_phone_numbers_preferred_sms",
            sqlite_where=sa.text("preferred_sms"),
            postgresql_where=sa.text("preferred_sms"),
        )
        batch_op.drop_index(batch_op.f("ix_phone_numbers_e164"))
        batch_op.drop_index(batch_op.f("ix_phone_numbers_contact_id"))
        batch_op.drop_index(batch_op.f("ix_phone_numbers_account_id"))

    op.drop_table("phone_numbers")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_last_name"))
        batch_op.drop_index(batch_op.f("ix_contacts_account_id"))

    op.drop_table("contacts")
    op.drop_table("phone_types")
    op.drop_table("departments")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_name"))

    op.drop_table("accounts")
