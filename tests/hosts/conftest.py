"""Fixtures for the journeys on the second host: examples/shop_crm, a CRM with its own tables, users and login.

The shop gets a database of its own (it has its own ``users`` table, as the built-in CRM does): a SQLite
file, or ``<name>_shop`` next to the PostgreSQL database DATABASE_URL names. Its schema is built as its
README says: the shop's tables, then ``flask crm-sms upgrade``. Redis is the main suite's (``redis_url``).
"""

import os
import re
import signal
import subprocess
import sys
from itertools import count

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from rq.registry import FailedJobRegistry

from crm_sms import worker
from crm_sms.queue import queue, redis
from crm_sms.services import senders, settings
from examples.shop_crm.app import create_app
from examples.shop_crm.models import Company, Customer, User, create_tables, db

PASSWORD = "shop-test-pass"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture(scope="session")
def shop_database_url(database_url, tmp_path_factory):
    if database_url.startswith("sqlite"):
        return "sqlite:///" + str(tmp_path_factory.mktemp("shop") / "shop.sqlite")
    url = sa.engine.make_url(database_url)
    name = f"{url.database}_shop"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def shop_config(shop_database_url, redis_url):
    return {
        "TESTING": True,
        "SECRET_KEY": "shop-test-secret",
        "SQLALCHEMY_DATABASE_URI": shop_database_url,
        "CRM_SMS_REDIS_URL": redis_url,
        "CRM_SMS_QUEUE": "crm_sms_shop_test",
        "CRM_SMS_PROVIDER": "simulator",
        "CRM_SMS_SIMULATOR_DELAY": 0,
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture(scope="session")
def _shop_schema(shop_config):
    """The shop's tables, then crm_sms's by its documented command, once per session."""
    app = create_app(shop_config)
    with app.app_context():
        create_tables()
        result = app.test_cli_runner().invoke(args=["crm-sms", "upgrade"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        db.engine.dispose()


class ServerClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as under a real server.

    The test keeps the shop's app context pushed (for ``db.session``); Flask would run each request inside it,
    sharing ``g`` and the session between requests, and so Flask-Login's user: two clients logged in as
    different people would both be whoever logged in last.
    """

    def run_wsgi_app(self, environ, buffered=False):
        with self.application.app_context():
            return super().run_wsgi_app(environ, buffered=buffered)


@pytest.fixture
def shop(shop_config, _shop_schema):
    """The shop app, its context pushed; every row and the Redis database are emptied after the test."""
    app = create_app(shop_config)
    app.test_client_class = ServerClient
    context = app.app_context()
    context.push()
    yield app
    db.session.remove()
    _empty_every_table()
    redis().flushdb()
    redis().connection_pool.disconnect()  # no socket left for the garbage collector to warn about
    db.engine.dispose()
    context.pop()


def _empty_every_table():
    """Delete every row of the shop's and crm_sms's tables (not the migration version rows)."""
    with db.engine.begin() as connection:
        # The shop's users and customers point at each other: unlink them first, then any order works.
        connection.execute(sa.text("UPDATE users SET customer_id = NULL"))
        connection.execute(sa.text("UPDATE customers SET owner_id = NULL, company_id = NULL"))
        ordered = sa.inspect(connection).get_sorted_table_and_fkc_names()
        for table, _ in reversed(ordered):
            if table and not table.endswith("alembic_version"):
                connection.execute(sa.text(f'DELETE FROM "{table}"'))


_serial = count(1)


@pytest.fixture
def make_user(shop):
    def make(name="Sam Sales", role="sales", is_admin=False, customer=None):
        email = f"{name.split()[0].lower()}{next(_serial)}@shop.test"
        user = User(email=email, name=name, role=role, is_admin=is_admin, customer_id=customer.id if customer else None)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_company(shop):
    def make(name="Bayview Bikes", city="San Francisco", phone="(415) 555-0100"):
        company = Company(name=name, city=city, phone=phone)
        db.session.add(company)
        db.session.commit()
        return company

    return make


@pytest.fixture
def make_customer(shop):
    def make(first="Ada", last="Lovelace", mobile="(415) 555-0101", phone=None, city="San Francisco", **fields):
        customer = Customer(first_name=first, last_name=last, mobile=mobile, phone=phone, city=city, **fields)
        db.session.add(customer)
        db.session.commit()
        return customer

    return make


@pytest.fixture
def client_for(shop):
    """A test client logged in to the shop's own login page as ``user``."""

    def log_in(user):
        client = shop.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return client

    return log_in


@pytest.fixture
def sender(shop):
    """The default sender number, and the disclaimer policy: a first message may go to a number never asked."""
    made = senders.save(None, "+16285550100", label="Main", user=None, is_default=True, mps=100.0)
    settings.put("consent_policy", "disclaimer")
    db.session.commit()
    return made


def work(app):
    """Run every queued job as the worker does (RQ's real worker, in this process), then give Ctrl-C back."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.run(app, burst=True, simple=True, with_scheduler=False)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert FailedJobRegistry(queue=queue()).get_job_ids() == []
    db.session.expire_all()


@pytest.fixture
def start_shop_worker(shop_config, tmp_path):
    """Start ``flask --app examples.shop_crm.app crm-sms worker`` (as the README says) on the test database."""
    processes = []

    def start():
        env = {
            **os.environ,
            "DATABASE_URL": shop_config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test",
            **{key: str(value) for key, value in shop_config.items() if key.startswith("CRM_SMS_")},
        }
        with open(tmp_path / f"shop-worker-{len(processes) + 1}.log", "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "examples.shop_crm.app", "crm-sms", "worker"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process.log_path = log.name
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Reading the pages as a browser does ---------------------------------------------------------------------------


def panel_of(page):
    """The SMS panel's HTML in a host page (what ``{{ sms_panel(record) }}`` rendered)."""
    start = page.find('id="sms-panel"')
    assert start != -1, "no SMS panel on the page:\n" + page[-3000:]
    return page[page.rfind("<", 0, start) :]


def options(html, name):
    """[(value, text, selected, disabled)] of the ``<select name=name>`` in ``html``."""
    match = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no {name} field"
    found = []
    for attrs, text in re.findall(r"<option([^>]*)>([^<]*)</option>", match.group(1)):
        value = re.search(r'value="([^"]*)"', attrs)
        found.append((value.group(1) if value else text, text.strip(), "selected" in attrs, "disabled" in attrs))
    return found


def enabled_phones(panel):
    """The numbers the panel offers to text (none when it shows no number field at all)."""
    if 'name="sms-phone_id"' not in panel:
        return []
    return [option for option in options(panel, "sms-phone_id") if not option[3]]


def opt_in_on_page(client, page_url):
    """Record consent as staff do, with the SMS messaging form on the host's record page (first SMS number)."""
    page = client.get(page_url).text
    start = page.find('id="sms-consent"')
    assert start != -1, "no SMS messaging (consent) form on the page"
    section = page[start:]
    action = re.search(r'<form[^>]*action="([^"]+)"', section).group(1).replace("&amp;", "&")
    phone = options(section, "consent-phone_id")[0][0]
    data = {"consent-choice": "opt_in", "consent-phone_id": phone, "consent-consent_type": "Email"}
    response = client.post(action, data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Opted in" in response.text, response.text


def compose_url(panel):
    match = re.search(r'<form[^>]*class="compose"[^>]*action="([^"]+)"', panel)
    assert match, "no compose form in the SMS panel"
    return match.group(1).replace("&amp;", "&")


def text_from_page(client, page, body, number=None):
    """Send ``body`` from the SMS panel of ``page``: to the option showing ``number``, else the one chosen."""
    panel = panel_of(page)
    phones = options(panel, "sms-phone_id")
    if number is None:
        [phone] = [value for value, _, selected, _ in phones if selected]
    else:
        [phone] = [value for value, text, _, _ in phones if number in text]
    [sender] = [value for value, *_ in options(panel, "sms-sender_id")][:1]
    return client.post(
        compose_url(panel),
        data={"sms-phone_id": phone, "sms-sender_id": sender, "sms-body": body, "action": "send"},
        headers={"HX-Request": "true"},
    )
