"""PostgreSQL sessions have a statement and a lock timeout; a page that hits one says the database is busy (503).

Before, one table lock held elsewhere made every page wait for it (39 s in the probe of issue 16).
"""

import contextlib
import time

import pytest
import sqlalchemy as sa

from crm_sms.blueprints._views import pages
from crm_sms.config import ConfigError
from crm_sms.models import db
from tests.fakes.vonage import inbound

LOCK_TIMEOUT = 1  # seconds: the shortest the setting allows
RELEASE_AFTER = LOCK_TIMEOUT + 5


@pytest.fixture
def postgresql(base_config):
    if not base_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("statement and lock timeouts are PostgreSQL settings; SQLite has none (run with DATABASE_URL)")


@contextlib.contextmanager
def locked(table):
    """``table`` locked by another connection (ACCESS EXCLUSIVE: no one reads it) until the block ends.

    PostgreSQL ends the lock after RELEASE_AFTER seconds anyway, so an app without a lock timeout gets its page
    late (and the test fails) rather than waiting forever.
    """
    engine = sa.create_engine(db.engine.url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SET idle_in_transaction_session_timeout = '{RELEASE_AFTER}s'")
            connection.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield
            with contextlib.suppress(sa.exc.DBAPIError):  # already ended by PostgreSQL
                connection.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def busy_app(make_app, postgresql):
    app = make_app(CRM_SMS_LOCK_TIMEOUT=LOCK_TIMEOUT)
    with app.app_context():
        yield app


def test_sessions_get_the_statement_and_lock_timeouts_of_the_settings(make_app, postgresql):
    app = make_app(CRM_SMS_STATEMENT_TIMEOUT=12.5, CRM_SMS_LOCK_TIMEOUT=3)

    with app.app_context():
        timeouts = db.session.execute(
            sa.text("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
        ).one()

    assert tuple(timeouts) == ("12500ms", "3s")


def test_a_page_waiting_for_a_lock_answers_503_database_busy_within_the_lock_timeout(busy_app, make_user):
    client = busy_app.test_client()
    make_user("agent")
    client.post("/login", data={"username": "agent", "password": "secret-pass"})

    with locked("contacts"):
        started = time.monotonic()
        response = client.get("/contacts")
        waited = time.monotonic() - started

    assert response.status_code == 503
    assert "The database is busy" in response.text and "Try again" in response.text
    assert response.headers["Retry-After"]
    assert LOCK_TIMEOUT <= waited < RELEASE_AFTER


def test_a_webhook_waiting_for_a_lock_answers_503_so_the_provider_sends_it_again(busy_app):
    client = busy_app.test_client()

    with locked("crm_sms_messages"):
        response = client.post("/sms/webhooks/vonage/inbound", data=inbound("Hello"))

    assert response.status_code == 503
    assert response.get_json() == {"error": "database busy"}
    again = client.post("/sms/webhooks/vonage/inbound", data=inbound("Hello"))
    assert again.status_code == 204


def test_the_page_works_again_once_the_lock_is_gone(busy_app, make_user):
    client = busy_app.test_client()
    make_user("agent")
    client.post("/login", data={"username": "agent", "password": "secret-pass"})
    with locked("contacts"):
        client.get("/contacts")

    assert client.get("/contacts").status_code == 200


@pytest.mark.parametrize(
    "key, value",
    [
        ("CRM_SMS_STATEMENT_TIMEOUT", "0"),
        ("CRM_SMS_STATEMENT_TIMEOUT", "3601"),
        ("CRM_SMS_STATEMENT_TIMEOUT", "nan"),
        ("CRM_SMS_LOCK_TIMEOUT", "0.5"),
        ("CRM_SMS_LOCK_TIMEOUT", "601"),
        ("CRM_SMS_LOCK_TIMEOUT", "soon"),
    ],
)
def test_a_timeout_outside_its_bounds_stops_start_up_naming_the_key(make_app, key, value):
    with pytest.raises(ConfigError, match=key):
        make_app(**{key: value})


def test_a_statement_running_past_the_statement_timeout_answers_503(make_app, postgresql):
    app = make_app(CRM_SMS_STATEMENT_TIMEOUT=1)
    bp = pages("slow", __name__)

    @bp.route("/slow-report")
    def slow_report():  # a crm_sms page whose query runs long, as a report over a big table may
        db.session.execute(sa.text("SELECT pg_sleep(3)"))
        return "done"

    app.register_blueprint(bp)

    with app.app_context():
        started = time.monotonic()
        response = app.test_client().get("/slow-report")
        waited = time.monotonic() - started

    assert response.status_code == 503
    assert "The database is busy" in response.text
    assert waited < 3
