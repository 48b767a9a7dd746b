"""users: crm_sms's own rows for the host's users (crm_sms_users); every user FK points there

crm_sms no longer points at a user table it does not own: authors, owners, subscribers,
notifications, sender numbers, creators and actors point at crm_sms_users, one row per host
user (host_id = the host's primary key as a string). Each built-in user keeps its id as the
row's id, so no foreign key value changes; the built-in ``users`` table stays as it is.

Revision ID: 0013_users
Revises: 0012_simulated_reports
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0013_users"
down_revision = "0012_simulated_reports"
branch_labels = None
depends_on = None

#: (table, column, ondelete) of every foreign key that pointed at users.id.
POINTERS = (
    ("messages", "author_id", "SET NULL"),
    ("sender_numbers", "user_id", "SET NULL"),
    ("message_events", "actor_id", "SET NULL"),
    ("sms_templates", "created_by_id", "SET NULL"),
    ("campaigns", "created_by_id", "SET NULL"),
    ("conversations", "owner_id", "SET NULL"),
    ("conversation_events", "user_id", "SET NULL"),
    ("conversation_subscriptions", "user_id", "CASCADE"),
    ("notifications", "user_id", "CASCADE"),
)


def upgrade():
    op.create_table(
        "crm_sms_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_crm_sms_users_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_sms_users")),
        sa.UniqueConstraint("host_id", name=op.f("uq_crm_sms_users_host_id")),
    )
    with op.batch_alter_table("crm_sms_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_sms_users_contact_id"), ["contact_id"], unique=False)
    # The built-in CRM's users, ids kept: every foreign key value below stays right as it is.
    op.execute(
        "INSERT INTO crm_sms_users (id, host_id, name, email, role, contact_id, created_at) "
        "SELECT id, CAST(id AS VARCHAR(64)), username, email, role, contact_id, created_at FROM users"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly: the sequence starts after them, so the next person gets a free one.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('crm_sms_users', 'id'), "
            "COALESCE((SELECT MAX(id) FROM crm_sms_users), 0) + 1, false)"
        )
    for table, column, ondelete in POINTERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"fk_{table}_{column}_users"), type_="foreignkey")
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_{column}_crm_sms_users"), "crm_sms_users", [column], ["id"], ondelete=ondelete
            )


def downgrade():
    for table, column, ondelete in POINTERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"fk_{table}_{column}_crm_sms_users"), type_="foreignkey")
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_{column}_users"), "users", [column], ["id"], ondelete=ondelete
            )
    with op.batch_alter_table("crm_sms_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_sms_users_contact_id"))
    op.drop_table("crm_sms_users")
