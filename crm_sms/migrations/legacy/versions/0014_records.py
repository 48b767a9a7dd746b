"""records: crm_sms keeps its own rows for the host's contacts, accounts and numbers

crm_sms no longer points into the CRM's tables: messages, consent, conversations,
campaign recipients and trigger fires point at ``crm_sms_records`` (a host contact or
account, tied by its id as text) and consent at ``crm_sms_phone_numbers`` (a record's
number as crm_sms knows it, with its SMS flags). The built-in CRM's ``phone_numbers``
lose what moved there (``preferred_sms``, ``time_zone``).

Ids: a contact's record keeps the contact's id; an account's record is the account's
id plus the highest contact id (so the two never meet), and every ``account_id`` of
crm_sms's tables moves by the same amount. A number keeps its id. PostgreSQL's
sequences are set past the ids copied.

Revision ID: 0014_records
Revises: 0013_users
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0014_records"
down_revision = "0013_users"
branch_labels = None
depends_on = None

#: crm_sms's tables that point at a record: {table: [(column, old referred table, ondelete)]}.
POINTERS = {
    "campaign_recipients": [("contact_id", "contacts", "CASCADE"), ("account_id", "accounts", "CASCADE")],
    "consent_events": [("contact_id", "contacts", "SET NULL"), ("account_id", "accounts", "SET NULL")],
    "consents": [
        ("contact_id", "contacts", "CASCADE"),
        ("account_id", "accounts", "CASCADE"),
        ("phone_number_id", "phone_numbers", "SET NULL"),
    ],
    "conversations": [("contact_id", "contacts", "SET NULL"), ("account_id", "accounts", "SET NULL")],
    "messages": [("contact_id", "contacts", "SET NULL"), ("account_id", "accounts", "SET NULL")],
    "trigger_fires": [("contact_id", "contacts", "SET NULL"), ("account_id", "accounts", "SET NULL")],
    "crm_sms_users": [("contact_id", "contacts", "SET NULL")],  # a customer's contact (0013)
}
NEW_TABLE = {"contacts": "crm_sms_records", "accounts": "crm_sms_records", "phone_numbers": "crm_sms_phone_numbers"}
ONLY_PREFERRED = "preferred_sms"


def upgrade():
    _create_tables()
    bind = op.get_bind()
    offset = bind.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM contacts"))
    _copy(offset)
    _repoint(offset)
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.drop_index("uq_phone_numbers_preferred_sms", sqlite_where=sa.text(ONLY_PREFERRED))
        batch_op.drop_column("preferred_sms")
        batch_op.drop_column("time_zone")
    if bind.dialect.name == "postgresql":
        for table in ("crm_sms_records", "crm_sms_phone_numbers"):
            op.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


def downgrade():
    """Back to pointers into the built-in CRM's tables, mapped by each record's host id (and each number's
    ``phone:<id>`` key); a row of anything the built-in CRM does not have loses the link."""
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("preferred_sms", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE phone_numbers SET preferred_sms = COALESCE((SELECT n.preferred_sms FROM crm_sms_phone_numbers n "
        "WHERE n.key = 'phone:' || CAST(phone_numbers.id AS VARCHAR(20)) AND n.current), false), "
        "time_zone = (SELECT n.time_zone FROM crm_sms_phone_numbers n "
        "WHERE n.key = 'phone:' || CAST(phone_numbers.id AS VARCHAR(20)) AND n.current)"
    )
    with op.batch_alter_table("phone_numbers", schema=None) as batch_op:
        batch_op.alter_column("preferred_sms", server_default=None)
        batch_op.create_index(
            "uq_phone_numbers_preferred_sms",
            ["contact_id"],
            unique=True,
            sqlite_where=sa.text(ONLY_PREFERRED),
            postgresql_where=sa.text(ONLY_PREFERRED),
        )
    for table, columns in POINTERS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred, _ in columns:
                batch_op.drop_constraint(f"fk_{table}_{column}_{NEW_TABLE[referred]}", type_="foreignkey")
        for column, referred, _ in columns:
            if referred == "phone_numbers":
                back = (
                    "SELECT CAST(SUBSTR(n.key, 7) AS INTEGER) FROM crm_sms_phone_numbers n "
                    f"WHERE n.id = {table}.{column} AND n.key LIKE 'phone:%'"
                )
            else:
                back = (
                    "SELECT CAST(r.host_id AS INTEGER) FROM crm_sms_records r "
                    f"WHERE r.id = {table}.{column} AND r.kind = '{referred}'"
                )
            op.execute(f"UPDATE {table} SET {column} = ({back}) WHERE {column} IS NOT NULL")
            op.execute(
                f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL "
                f"AND {column} NOT IN (SELECT id FROM {referred})"
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred, ondelete in columns:
                batch_op.create_foreign_key(
                    f"fk_{table}_{column}_{referred}", referred, [column], ["id"], ondelete=ondelete
                )
    op.drop_table("crm_sms_phone_numbers")
    op.drop_table("crm_sms_records")


def _create_tables():
    op.create_table(
        "crm_sms_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("host_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("synced_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('contacts', 'accounts')", name=op.f("ck_crm_sms_records_kind")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["crm_sms_records.id"],
            name=op.f("fk_crm_sms_records_account_id_crm_sms_records"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_sms_records")),
        sa.UniqueConstraint("kind", "host_id", name="uq_crm_sms_records_kind_host_id"),
    )
    with op.batch_alter_table("crm_sms_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_sms_records_account_id"), ["account_id"], unique=False)
    op.create_table(
        "crm_sms_phone_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("sms_capable", sa.Boolean(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("preferred_sms", sa.Boolean(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", crm_sms.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["crm_sms_records.id"],
            name=op.f("fk_crm_sms_phone_numbers_record_id_crm_sms_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_sms_phone_numbers")),
        sa.UniqueConstraint("record_id", "e164", name="uq_crm_sms_phone_numbers_record_e164"),
    )
    with op.batch_alter_table("crm_sms_phone_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_sms_phone_numbers_e164"), ["e164"], unique=False)
        batch_op.create_index(
            "uq_crm_sms_phone_numbers_preferred_sms",
            ["record_id"],
            unique=True,
            sqlite_where=sa.text(ONLY_PREFERRED),
            postgresql_where=sa.text(ONLY_PREFERRED),
        )


def _copy(offset):
    """Every contact, account and number of the built-in CRM as crm_sms's rows (ids kept; accounts shifted)."""
    op.execute(
        "INSERT INTO crm_sms_records (id, kind, host_id, name, account_id, synced_at) "
        f"SELECT id + {offset}, 'accounts', CAST(id AS VARCHAR(64)), name, NULL, updated_at FROM accounts"
    )
    op.execute(
        "INSERT INTO crm_sms_records (id, kind, host_id, name, account_id, synced_at) "
        "SELECT id, 'contacts', CAST(id AS VARCHAR(64)), SUBSTR(first_name || ' ' || last_name, 1, 200), "
        f"CASE WHEN account_id IS NULL THEN NULL ELSE account_id + {offset} END, updated_at FROM contacts"
    )
    op.execute(
        "INSERT INTO crm_sms_phone_numbers (id, record_id, key, label, e164, region, time_zone, sms_capable, "
        "is_primary, preferred_sms, current, created_at) "
        f"SELECT p.id, CASE WHEN p.contact_id IS NOT NULL THEN p.contact_id ELSE p.account_id + {offset} END, "
        "'phone:' || CAST(p.id AS VARCHAR(20)), t.name, p.e164, p.region, p.time_zone, t.sms_capable, "
        "p.is_primary, p.preferred_sms, true, p.created_at "
        "FROM phone_numbers p JOIN phone_types t ON t.id = p.type_id"
    )


def _repoint(offset):
    """Move each table's foreign keys from the built-in CRM's tables to crm_sms's, shifting the account ids by
    ``offset`` while no key holds them."""
    for table, columns in POINTERS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred, _ in columns:
                batch_op.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")
        if any(column == "account_id" for column, _, _ in columns) and offset:
            op.execute(f"UPDATE {table} SET account_id = account_id + {offset} WHERE account_id IS NOT NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, referred, ondelete in columns:
                target = NEW_TABLE[referred]
                batch_op.create_foreign_key(
                    f"fk_{table}_{column}_{target}", target, [column], ["id"], ondelete=ondelete
                )
