"""crm_sms's database schema: two Alembic histories, each with its own version table, and the legacy path.

- ``crm_sms/migrations`` builds crm_sms's own tables (all named ``crm_sms_*``); its version table is
  ``crm_sms_alembic_version``.
- ``crm_sms/crm/migrations`` builds the built-in CRM's tables (``contacts``, ``accounts``, ``phone_numbers``,
  ``phone_types``, ``users``); its version table is ``crm_sms_crm_alembic_version``. It runs only when the
  built-in CRM is the host.
- ``crm_sms/migrations/legacy`` is the single history crm_sms had before (0001...0012, version table
  ``alembic_version``). A database still on it is brought to its end (the last step gives crm_sms's tables
  their ``crm_sms_`` names), both new histories are stamped at their first revision and the old
  ``alembic_version`` table is dropped.

The histories run through Alembic's API on one connection, never through Flask-Migrate: a host's own
``flask db`` (and its ``alembic_version`` table) stays the host's. ``python -m crm_sms.migrations.squash``
regenerates the first revisions from the models.
"""

import os
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory

from .models import db

HERE = os.path.dirname(__file__)

#: The built-in CRM's tables: they keep their names and belong to the built-in CRM's history.
BUILTIN_TABLES = frozenset({"contacts", "accounts", "phone_numbers", "phone_types", "users"})


@dataclass(frozen=True)
class History:
    """One Alembic history: where its scripts are, its version table, and which tables are its own."""

    name: str
    directory: str
    version_table: str

    def owns(self, table_name):
        """Whether ``table_name`` is one of this history's tables (what its autogenerate looks at)."""
        if self.name == "crm":
            return table_name in BUILTIN_TABLES
        if self.name == "crm_sms":
            return table_name.startswith("crm_sms_") and not table_name.endswith("alembic_version")
        return True

    def script(self):
        return ScriptDirectory(self.directory)

    def first_revision(self):
        """The revision that creates this history's tables from nothing."""
        return self.script().get_base()

    def config(self, connection=None):
        """An Alembic config that runs this history on ``connection`` (see ``run_environment``)."""
        config = Config()
        config.set_main_option("script_location", self.directory)
        config.attributes.update(history=self, connection=connection)
        return config


SMS = History("crm_sms", os.path.join(HERE, "migrations"), "crm_sms_alembic_version")
CRM = History("crm", os.path.join(HERE, "crm", "migrations"), "crm_sms_crm_alembic_version")
LEGACY = History("legacy", os.path.join(HERE, "migrations", "legacy"), "alembic_version")


def hosts_own(name, type_, parent_names):
    """For a host's own Alembic environment: its autogenerate leaves crm_sms's tables (and version tables) alone.

    With Flask-Migrate: ``Migrate(app, db, include_name=crm_sms.schema.hosts_own)``; with plain Alembic, pass
    it as ``include_name`` to ``context.configure`` in the host's env.py. Without it, the host's
    ``flask db migrate`` sees crm_sms's tables in its database and writes a migration that drops them.
    """
    return type_ != "table" or not (SMS.owns(name) or name in (SMS.version_table, CRM.version_table))


def upgrade(engine, builtin):
    """Bring the database of ``engine`` to crm_sms's current schema, in one transaction.

    ``builtin``: whether the built-in CRM is the host (its tables are then created and upgraded too, before
    crm_sms's, whose tables still refer to them). A database of the legacy history is converted in place
    first (every row kept). The host's own tables and its ``alembic_version`` are never touched: the legacy
    table is looked at only for the built-in CRM, and only when it holds a legacy revision.
    """
    with engine.begin() as connection:
        if builtin and _legacy_revision(connection) is not None:
            _leave_legacy(connection)
        if builtin or sa.inspect(connection).has_table(CRM.version_table):
            command.upgrade(CRM.config(connection), "heads")
        command.upgrade(SMS.config(connection), "heads")


def current(connection, history):
    """The revisions ``history``'s version table holds on ``connection`` (empty before its first upgrade)."""
    if not sa.inspect(connection).has_table(history.version_table):
        return set()
    return set(connection.execute(sa.text(f"SELECT version_num FROM {history.version_table}")).scalars())


def _legacy_revision(connection):
    """The legacy history's revision this database is at, or None (no ``alembic_version``, or a host's)."""
    if sa.inspect(connection).has_table(SMS.version_table):
        return None
    revisions = current(connection, LEGACY)
    known = {script.revision for script in LEGACY.script().walk_revisions()}
    return next(iter(revisions)) if len(revisions) == 1 and revisions <= known else None


def _leave_legacy(connection):
    """Run the legacy history to its end, stamp both new histories at their first revision, drop its table."""
    command.upgrade(LEGACY.config(connection), "heads")
    connection.execute(sa.text(f"DROP TABLE {LEGACY.version_table}"))
    command.stamp(CRM.config(connection), CRM.first_revision())
    command.stamp(SMS.config(connection), SMS.first_revision())


def run_environment():
    """The body of every history's ``env.py``: run its migrations on the connection ``upgrade`` gave.

    The version table is the history's own; an autogenerate (``python -m crm_sms.migrations.squash``) looks
    only at the history's own tables, so a host's tables in the same database are never part of a diff.
    """
    config = context.config
    history, connection = config.attributes.get("history"), config.attributes.get("connection")
    if history is None or connection is None:
        raise RuntimeError(
            "crm_sms's migrations run through `flask crm-sms upgrade` (crm_sms.schema.upgrade), "
            "not through the alembic or flask db commands."
        )

    def include_name(name, type_, parent_names):
        return type_ != "table" or history.owns(name)

    context.configure(
        connection=connection,
        target_metadata=db.metadata,
        version_table=history.version_table,
        include_name=include_name,
        include_object=lambda obj, name, type_, reflected, compare_to: type_ != "table" or history.owns(name),
        compare_type=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # A migration may rewrite a big table, or wait its turn for a lock: the app's timeouts are for
            # pages, not for this.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
        context.run_migrations()
