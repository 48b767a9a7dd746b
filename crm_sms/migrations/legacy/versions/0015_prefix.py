"""prefix: crm_sms's tables are named crm_sms_*, so that they live next to a host's own tables

Every table of crm_sms (not the built-in CRM's) is renamed, with its indexes and constraints (and, on
PostgreSQL, its id sequence) renamed to what the naming convention gives for the new name. Rows, ids and
foreign keys are kept: PostgreSQL renames in place; SQLite renames the table, then rebuilds it under the
new constraint names (copying every row) because it cannot rename a constraint.

Revision ID: 0015_prefix
Revises: 0014_records
Create Date: 2026-12-03 13:00:00

"""

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.elements import conv

# revision identifiers, used by Alembic.
revision = "0015_prefix"
down_revision = "0014_records"
branch_labels = None
depends_on = None

#: crm_sms's tables before this step, old name -> new name. Tables that later steps create carry the
#: prefix already; a legacy step that creates an unprefixed table adds it here.
TABLES = {
    **{
        name: f"crm_sms_{name}"
        for name in (
            "campaign_recipients",
            "campaigns",
            "consent_events",
            "consents",
            "conversation_events",
            "conversation_subscriptions",
            "conversations",
            "departments",
            "inbound_parts",
            "message_events",
            "messages",
            "notifications",
            "provider_receipts",
            "sender_numbers",
            "settings",
            "signatures",
            "simulated_reports",
            "suppressions",
            "trigger_fires",
            "trigger_rules",
        )
    },
    "sms_templates": "crm_sms_templates",
}

#: The built-in CRM's tables keep their names; a foreign key of theirs into a renamed table is renamed.
BUILTIN = ("accounts", "contacts", "phone_numbers", "phone_types", "users")


def upgrade():
    _rename(TABLES)


def downgrade():
    _rename({new: old for old, new in TABLES.items()})


def _rename(tables):
    connection = op.get_bind()
    present = set(sa.inspect(connection).get_table_names())
    tables = {old: new for old, new in tables.items() if old in present}
    for old, new in tables.items():
        op.rename_table(old, new)
    inspector = sa.inspect(connection)
    former = {new: old for old, new in tables.items()} | {name: name for name in BUILTIN if name in present}
    for table, old in former.items():
        constraints, indexes = _new_names(inspector, table, old)
        if connection.dialect.name == "postgresql":
            _rename_in_place(table, constraints, indexes, renamed=table != old)
        elif constraints or indexes:
            _rebuild(connection, table, constraints, indexes)


def _new_names(inspector, table, old):
    """The constraints and indexes of ``table`` (formerly ``old``) whose names change: {old name: new name}."""
    preparer = op.get_context().dialect.identifier_preparer

    def prefixed(name):
        for kind in ("ix", "uq", "ck"):
            if name.startswith(f"{kind}_{old}_"):
                return f"{kind}_{table}_{name[len(kind) + len(old) + 2 :]}"
        return name

    constraints = {}
    primary = inspector.get_pk_constraint(table).get("name")
    if primary:
        constraints[primary] = f"pk_{table}"
    for key in inspector.get_foreign_keys(table):
        if key.get("name"):
            constraints[key["name"]] = f"fk_{table}_{key['constrained_columns'][0]}_{key['referred_table']}"
    for unique in inspector.get_unique_constraints(table):
        constraints[unique["name"]] = prefixed(unique["name"])
    for check in inspector.get_check_constraints(table):
        if check.get("name"):
            constraints[check["name"]] = prefixed(check["name"])
    indexes = {
        index["name"]: prefixed(index["name"])
        for index in inspector.get_indexes(table)
        if index.get("name") and "duplicates_constraint" not in index
    }
    constraints = {
        name: preparer.truncate_and_render_constraint_name(conv(new), _alembic_quote=False)
        for name, new in constraints.items()
    }
    indexes = {
        name: preparer.truncate_and_render_index_name(conv(new), _alembic_quote=False) for name, new in indexes.items()
    }
    return (
        {name: new for name, new in constraints.items() if name != new},
        {name: new for name, new in indexes.items() if name != new},
    )


def _rename_in_place(table, constraints, indexes, renamed):
    """PostgreSQL: rename constraints (a primary key or unique constraint takes its index along), indexes and
    the id sequence."""
    for name, new in constraints.items():
        op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{name}" TO "{new}"')
    for name, new in indexes.items():
        op.execute(f'ALTER INDEX "{name}" RENAME TO "{new}"')
    if not renamed:
        return
    connection = op.get_bind()
    for column in sa.inspect(connection).get_columns(table):
        sequence = connection.scalar(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column["name"]}
        )
        wanted = f"{table}_{column['name']}_seq"
        if sequence and sequence.split(".")[-1].strip('"') != wanted:
            op.execute(f'ALTER SEQUENCE {sequence} RENAME TO "{wanted}"')


def _rebuild(connection, table, constraints, indexes):
    """SQLite: build ``table`` again under its new constraint names, every row copied, and its indexes renamed."""
    create = connection.scalar(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
    )
    index_sql = connection.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": table},
    ).all()
    for name, new in constraints.items():
        create = re.sub(rf'CONSTRAINT\s+("?){re.escape(name)}\1(\s)', f'CONSTRAINT "{new}"\\2', create)
    temporary = f"_crm_sms_rebuild_{table}"
    create = re.sub(rf'^CREATE TABLE\s+("?){re.escape(table)}\1', f'CREATE TABLE "{temporary}"', create)
    op.execute(create)
    op.execute(f'INSERT INTO "{temporary}" SELECT * FROM "{table}"')
    op.execute(f'DROP TABLE "{table}"')
    op.execute(f'ALTER TABLE "{temporary}" RENAME TO "{table}"')
    for name, sql in index_sql:
        new = indexes.get(name, name)
        op.execute(re.sub(rf'INDEX\s+("?){re.escape(name)}\1', f'INDEX "{new}"', sql, count=1))
