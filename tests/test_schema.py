"""crm_sms's two histories in a database of its own or a host's, and the legacy database upgraded in place."""

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from crm_sms import schema
from crm_sms.models import db
from tests.test_migrations import VERSION_TABLES, differences_from_the_models

LEGACY_END = "0012_simulated_reports"  # the last revision a deployment can be at before the host seam


@pytest.fixture
def scratch(database_url, tmp_path):
    """Make empty databases of the suite's kind: a SQLite file, or a PostgreSQL schema of their own."""
    engines, schemas = [], []
    main = sa.create_engine(database_url)

    def make():
        if database_url.startswith("sqlite"):
            engine = sa.create_engine(f"sqlite:///{tmp_path}/{uuid.uuid4().hex}.sqlite")
            engine.app_config = {"SQLALCHEMY_DATABASE_URI": str(engine.url)}
        else:
            schemas.append(f"scratch_{uuid.uuid4().hex[:12]}")
            with main.begin() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {schemas[-1]}"))
            connect_args = {"options": f"-c search_path={schemas[-1]}"}
            engine = sa.create_engine(database_url, connect_args=connect_args)
            engine.app_config = {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": connect_args},
            }
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
    with main.begin() as connection:
        for name in schemas:
            connection.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
    main.dispose()


def _value(table, column, row):
    """A value for ``column`` of row number ``row`` (1...) that every constraint of the legacy schema accepts."""
    if column.foreign_keys:
        # One owner per row: the contact, never also the account.
        return None if column.name == "account_id" and "contact_id" in table.c else row
    if column.name == "module":
        return "contacts"
    if column.name == "role":
        return "agent"
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return row % 2 == 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, row, 12, 30, tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return {"row": row}
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return row
    if isinstance(kind, sa.String):
        return f"{column.name[:8]}{row}"[: kind.length or None]
    raise AssertionError(f"no test value for {table.name}.{column.name} ({kind})")


def _fill(connection, rows=3):
    """``rows`` rows in every table of the (legacy) database; every foreign key points at an existing row."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    for table in metadata.sorted_tables:
        if table.name not in VERSION_TABLES:
            for row in range(1, rows + 1):
                connection.execute(table.insert().values({c.name: _value(table, c, row) for c in table.columns}))
            if connection.dialect.name == "postgresql" and "id" in table.c:  # as if the app had made the rows
                connection.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {rows})")
                    if connection.scalar(sa.text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')"))
                    else sa.text("SELECT 1")
                )


def _rows(connection, only=None):
    """Every row of every table (version tables aside; or of the tables ``only`` names), in primary key order."""
    metadata = sa.MetaData()
    metadata.reflect(connection, only=only)
    return {
        table.name: [row._asdict() for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))]
        for table in metadata.sorted_tables
        if table.name not in VERSION_TABLES
    }


def _shape(connection):
    """The schema as reflected: tables, columns, keys, indexes, unique and check constraints (column order aside)."""
    inspector = sa.inspect(connection)
    return {
        table: {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(
                (k["name"], k["constrained_columns"], k["referred_table"], k["referred_columns"], str(k["options"]))
                for k in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], i["column_names"], i["unique"], _options(i)) for i in inspector.get_indexes(table)
            ),
            "unique": sorted((u["name"], u["column_names"]) for u in inspector.get_unique_constraints(table)),
            "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
        }
        for table in sorted(inspector.get_table_names())
        if table not in VERSION_TABLES
    }


def _options(index):
    return sorted((key, str(value)) for key, value in index.get("dialect_options", {}).items())


#: The tables legacy steps after LEGACY_END create from the built-in CRM's rows.
LATER_TABLES = {"crm_sms_users", "crm_sms_records", "crm_sms_phone_numbers"}
#: Columns crm_sms revisions after the first add to tables a legacy database already has (empty on its rows).
#: Columns added by revisions after the first, with the value each gives the rows it finds.
LATER_COLUMNS = {
    "crm_sms_messages": {"flag": None},
    "crm_sms_campaign_recipients": {"skip_reason": None, "skip_note": None},
    "crm_sms_consent_events": {"wording": None, "wording_version": None, "channel": None, "sender_e164": None},
    "crm_sms_suppressions": {"sender_e164": ""},
}


def _without_later_columns(rows):
    """Every table's rows without LATER_COLUMNS, each of which must hold its value for the rows found."""
    for table, columns in LATER_COLUMNS.items():
        for row in rows.get(table, ()):
            assert {column: row.pop(column) for column in columns} == columns, table
    return rows


def _legacy_database(engine):
    """A database of a deployment from before the host seam, at the legacy history's end, with rows everywhere."""
    with engine.begin() as connection:
        command.upgrade(schema.LEGACY.config(connection), LEGACY_END)
        _fill(connection)
        return _rows(connection)


def test_a_legacy_database_is_upgraded_in_place_and_keeps_every_row(scratch):
    engine = scratch()
    before = _legacy_database(engine)
    assert {"messages", "consents", "conversations", "sms_templates", "users", "contacts"} <= set(before)

    schema.upgrade(engine, builtin=True)

    with engine.connect() as connection:
        after = _without_later_columns(_rows(connection))
        renamed = dict(before)
        for old, new in _prefix().TABLES.items():
            renamed[new] = renamed.pop(old)
        # Every row is kept, with every column that stays (the built-in numbers' consent fields moved to
        # crm_sms_phone_numbers, and the pointers into accounts moved to crm_sms_records' ids: see 0014's test).
        for name, rows in renamed.items():
            kept = [
                {column: row[column] for column in after_row} for row, after_row in zip(rows, after[name], strict=True)
            ]
            assert len(after[name]) == len(rows) and kept == after[name], name
        assert set(after) - set(renamed) == LATER_TABLES
        assert sa.inspect(connection).get_table_names().count("alembic_version") == 0
        assert schema.current(connection, schema.SMS) == set(schema.SMS.script().get_heads())
        assert schema.current(connection, schema.CRM) == set(schema.CRM.script().get_heads())
    with engine.begin() as connection:  # new rows take the next ids (the id sequences came along)
        connection.execute(sa.text("INSERT INTO crm_sms_departments (name) VALUES ('Sales')"))
        assert connection.scalar(sa.text("SELECT id FROM crm_sms_departments WHERE name = 'Sales'")) == 4


def test_flask_crm_sms_upgrade_converts_a_legacy_database_of_the_built_in_crm(scratch, make_app):
    engine = scratch()
    before = _legacy_database(engine)
    make_app()  # the fixture's clean-up app, on the suite's database
    app = make_app(**engine.app_config)

    result = app.test_cli_runner().invoke(args=["crm-sms", "upgrade"])

    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        assert _without_later_columns(_rows(connection))["crm_sms_messages"] == before["messages"]
        assert schema.current(connection, schema.SMS) == set(schema.SMS.script().get_heads())
    with app.app_context():
        db.engine.dispose()


def test_after_the_legacy_path_the_schema_is_the_fresh_installs(scratch):
    legacy, fresh = scratch(), scratch()
    _legacy_database(legacy)
    schema.upgrade(legacy, builtin=True)
    schema.upgrade(fresh, builtin=True)

    with legacy.connect() as old, fresh.connect() as new:
        assert differences_from_the_models(old) == []
        assert _shape(old) == _shape(new)


def test_the_prefix_step_goes_back_to_the_legacy_names(scratch):
    engine = scratch()
    before = _legacy_database(engine)
    with engine.begin() as connection:
        command.upgrade(schema.LEGACY.config(connection), "heads")
        command.downgrade(schema.LEGACY.config(connection), LEGACY_END)
        assert _rows(connection) == before


def test_upgrading_again_changes_nothing(scratch):
    engine = scratch()
    schema.upgrade(engine, builtin=True)
    with engine.connect() as connection:
        shape = _shape(connection)
    schema.upgrade(engine, builtin=True)
    with engine.connect() as connection:
        assert _shape(connection) == shape


def _host_history(connection):
    """A host's own tables and Alembic history: ``users`` and ``alembic_version`` at its own revision."""
    connection.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL)"))
    connection.execute(sa.text("INSERT INTO users (id, email) VALUES (7, 'ada@example.com')"))
    connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
    connection.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('3f2a9c1b7d4e')"))


def _points_at_builtin_tables():
    return any(
        key.column.table.name in schema.BUILTIN_TABLES
        for table in db.metadata.tables.values()
        if table.name.startswith("crm_sms_")
        for key in table.foreign_keys
    )


def test_a_hosts_own_tables_and_history_are_left_alone(scratch, database_url):
    if database_url.startswith("postgresql") and _points_at_builtin_tables():
        pytest.skip("crm_sms's tables still refer to the built-in CRM's (parts users and records end that)")
    engine = scratch()
    with engine.begin() as connection:
        _host_history(connection)
        before = _shape(connection), _rows(connection, only=["users"])

    schema.upgrade(engine, builtin=False)
    schema.upgrade(engine, builtin=False)  # and again, as every deploy does

    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        created = names - {"users", "alembic_version"}
        assert created and all(name.startswith("crm_sms_") for name in created), sorted(created)
        assert "crm_sms_crm_alembic_version" not in names
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
            "3f2a9c1b7d4e"
        ]
        assert _shape(connection)["users"] == before[0]["users"]
        assert _rows(connection, only=["users"]) == before[1]
        assert schema.current(connection, schema.SMS) == {schema.SMS.script().get_current_head()}


def _prefix():
    from tests.test_migrations import _migration

    return _migration("0015_prefix")


def test_a_hosts_autogenerate_leaves_crm_sms_tables_alone(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    host_metadata = sa.MetaData()
    sa.Table("shop_orders", host_metadata, sa.Column("id", sa.Integer, primary_key=True))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": schema.hosts_own})
        changes = compare_metadata(context, host_metadata)
    touched = {change[1].name for change in changes if change[0] in ("add_table", "remove_table")}
    assert "shop_orders" in touched
    assert not [name for name in touched if name.startswith("crm_sms_")]
