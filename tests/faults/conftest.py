"""Real processes for the fault tests: workers sending through the fake Vonage over TLS, and queued messages.

Every app here, the test's own and each worker's, uses the ``vonage`` provider pointed at the local fake,
with a signature secret: sends are signed, webhooks must be.
"""

import uuid

import pytest

from crm_sms.models import Message, db, utcnow
from crm_sms.queue import enqueue
from crm_sms.services.outbound import DISPATCH_JOB
from tests.conftest import bulk_contacts
from tests.fakes.vonage import API_KEY, API_SECRET, SIGNATURE_SECRET

SENDER = "+16285550100"


@pytest.fixture
def vonage_config(vonage_fake):
    return {
        "CRM_SMS_PROVIDER": "vonage",
        "CRM_SMS_VONAGE_API_KEY": API_KEY,
        "CRM_SMS_VONAGE_API_SECRET": API_SECRET,
        "CRM_SMS_VONAGE_SIGNATURE_SECRET": SIGNATURE_SECRET,
        "CRM_SMS_VONAGE_REST_HOST": vonage_fake.host,
        "CRM_SMS_VONAGE_TIMEOUT": 1,
    }


@pytest.fixture
def app(make_app, vonage_config):
    app = make_app(**vonage_config)
    with app.app_context():
        yield app


@pytest.fixture
def vonage_worker(start_worker, vonage_config):
    """Start a real worker process that sends through the fake Vonage (REQUESTS_CA_BUNDLE trusts its CA)."""

    def start(**settings):
        return start_worker(**vonage_config, **settings)

    return start


@pytest.fixture
def queued(app, phone_types, make_sender):
    """``queued(n)``: n opted-in contacts with one message each, queued for ``send_at`` (default: now).

    Bulk inserts; returns {recipient as Vonage writes it (digits): client-ref}, in the order they are sent.
    """

    def make(n, send_at=None, mps=100.0):
        make_sender(SENDER, mps=mps)
        now = utcnow()
        numbers = {i: f"+1415{3000000 + i:07d}" for i in range(1, n + 1)}
        contacts = bulk_contacts(n, phone_types["Mobile"], numbers.get)
        rows = [
            {
                "direction": "outbound",
                "kind": "manual",
                "status": "queued",
                "body": "Hello {{ contact.first_name }}",
                "encoding": "GSM-7",
                "segments": 1,
                "contact_id": contacts[i],
                "phone_e164": numbers[i],
                "sender_e164": SENDER,
                "send_at": send_at or now,
                "client_ref": uuid.uuid4().hex,
                "attempts": 0,
                "created_at": now,
                "status_changed_at": now,
            }
            for i in range(1, n + 1)
        ]
        db.session.execute(db.insert(Message), rows)
        db.session.commit()
        return {row["phone_e164"].lstrip("+"): row["client_ref"] for row in rows}

    return make


def dispatch(jobs=1):
    """Enqueue ``jobs`` dispatch jobs (under different ids, so that many workers take one each)."""
    for i in range(jobs):
        enqueue(DISPATCH_JOB, job_id="crm_sms-dispatch" if i == 0 else f"crm_sms-dispatch-fault-{i}")


def statuses():
    """{recipient (digits): status} of every outbound message."""
    return {
        phone.lstrip("+"): status
        for phone, status in db.session.execute(
            db.select(Message.phone_e164, Message.status).where(Message.direction == "outbound")
        )
    }


def settled():
    """Whether no outbound message is waiting for a worker any more (none queued, held or sending)."""
    return (
        db.session.scalar(
            db.select(Message.id)
            .where(Message.direction == "outbound", Message.status.in_(("queued", "held", "sending")))
            .limit(1)
        )
        is None
    )
