"""A host app with its own Flask-SQLAlchemy: crm_sms runs in its session, its engine and its transactions."""

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from crm_sms import CrmSms, queue
from crm_sms.crm import users
from crm_sms.models import Department, db
from crm_sms.services import departments, outbound
from tests.conftest import PASSWORD


@pytest.fixture
def shop(base_config, make_app):
    """A host app, "Shop", with its own ``SQLAlchemy(app)`` and its own table, adding crm_sms with ``db=``."""
    make_app()  # its clean-up empties crm_sms's tables and Redis after the test
    app = Flask("shop")
    app.config.update(base_config)
    shop_db = SQLAlchemy(app)

    class Order(shop_db.Model):
        __tablename__ = "shop_orders"
        id = shop_db.Column(shop_db.Integer, primary_key=True)
        note = shop_db.Column(shop_db.String(80), nullable=False)

    CrmSms(app, db=shop_db)
    with app.app_context():
        shop_db.create_all()
    yield app, shop_db, Order
    with app.app_context():
        shop_db.drop_all()
        shop_db.engine.dispose()


def _count(engine, model, **where):
    """Rows of ``model`` as another connection sees them (committed rows only)."""
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def test_crm_sms_uses_the_hosts_session_and_engine(shop):
    app, shop_db, _ = shop
    assert app.extensions["sqlalchemy"] is shop_db and app.extensions["crm_sms"].db is shop_db
    assert "migrate" not in app.extensions  # the host's `flask db` stays the host's
    with app.app_context():
        assert db.session is shop_db.session and db.engine is shop_db.engine


def test_a_host_commit_commits_crm_sms_rows_and_a_rollback_drops_them(shop):
    app, shop_db, Order = shop
    with app.app_context():
        shop_db.session.add(Order(note="rolled back"))
        departments.save(None, "Returns", "+14155550100", "returns@example.com")  # flushes, never commits
        shop_db.session.rollback()
        assert _count(shop_db.engine, Department) == 0 and _count(shop_db.engine, Order) == 0

        shop_db.session.add(Order(note="kept"))
        departments.save(None, "Sales", "+14155550101", "sales@example.com")
        assert _count(shop_db.engine, Department, name="Sales") == 0  # not before the host commits
        shop_db.session.commit()
        assert _count(shop_db.engine, Department, name="Sales") == 1 and _count(shop_db.engine, Order) == 1


def test_a_job_crm_sms_queues_goes_when_the_host_commits(shop):
    app, shop_db, Order = shop
    with app.app_context():
        outbound.enqueue_dispatch("crm_sms-dispatch-host-test", after_commit=True)
        assert queue.queue().fetch_job("crm_sms-dispatch-host-test") is None
        shop_db.session.add(Order(note="paid"))
        shop_db.session.commit()
        assert queue.queue().fetch_job("crm_sms-dispatch-host-test") is not None


def test_the_sms_pages_work_from_the_first_request(shop):
    app, shop_db, _ = shop
    with app.app_context():
        users.create_user("grace", PASSWORD, "agent", email="grace@example.com")
        shop_db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": "grace", "password": PASSWORD}).status_code == 302
    response = client.get("/sms/messages")
    assert response.status_code == 200, response.text


def test_a_database_the_app_does_not_know_is_refused_at_start_up(base_config):
    app = Flask("shop")
    app.config.update(base_config)
    with pytest.raises(RuntimeError, match=r"db.init_app\(app\)"):
        CrmSms(app, db=SQLAlchemy())
