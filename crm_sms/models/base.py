"""The database handle and what every table shares."""

import sqlite3
from datetime import UTC, datetime

from flask import current_app, has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.types import DateTime, TypeDecorator

# Named constraints let migrations alter tables the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SharedSQLAlchemy(SQLAlchemy):
    """crm_sms's handle on the database: the host app's Flask-SQLAlchemy session and engines when it has one.

    crm_sms's models are declared on this instance (their own metadata, so a host's ``create_all`` or
    autogenerate never sees them), but inside an app whose Flask-SQLAlchemy is another instance,
    ``db.session`` is that instance's session and ``db.engine`` its engine: crm_sms's writes are in the
    host's transaction, and the host's commit commits them. Flask-SQLAlchemy's session picks the default
    engine for a table of any metadata without a bind key, so crm_sms's tables live in the host's database.
    """

    def _host_db(self):
        """The other Flask-SQLAlchemy instance the current app uses, or None when it is this one (or no app)."""
        if not has_app_context():
            return None
        state = current_app.extensions.get("crm_sms")
        host_db = getattr(state, "db", None) or current_app.extensions.get("sqlalchemy")
        return None if host_db is None or host_db is self else host_db

    @property
    def session(self):
        host_db = self._host_db()
        return self._own_session if host_db is None else host_db.session

    @session.setter
    def session(self, value):
        self._own_session = value  # set once by SQLAlchemy.__init__

    @property
    def engines(self):
        host_db = self._host_db()
        return super().engines if host_db is None else host_db.engines


db = SharedSQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def conflict_insert(model):
    """An INSERT for ``model`` that takes ON CONFLICT clauses, in the dialect of the database in use."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def only_where(condition):
    """The options of an index on only the rows where ``condition`` holds, for both databases."""
    return {"sqlite_where": db.text(condition), "postgresql_where": db.text(condition)}


#: SQLSTATEs of a statement PostgreSQL stopped at its statement timeout (or a cancel) or lock timeout.
_TIMED_OUT = {"57014", "55P03"}


def timeout_options(statement_seconds, lock_seconds):
    """libpq's connect ``options`` that give every PostgreSQL session these statement and lock timeouts."""
    return f"-c statement_timeout={round(statement_seconds * 1000)} -c lock_timeout={round(lock_seconds * 1000)}"


def database_busy(error):
    """Whether ``error`` (a SQLAlchemy error) is a statement PostgreSQL stopped at its statement or lock timeout."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in _TIMED_OUT


def utcnow():
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; crm_sms stores aware UTC times")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


@event.listens_for(Engine, "connect")
def _tune_sqlite(connection, record):
    """SQLite for several processes (web, workers): write-ahead log, no fsync per commit, wait on locks."""
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
