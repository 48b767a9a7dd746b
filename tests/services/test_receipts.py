"""Delivery receipts, as the provider posts them: each applied once, in order of meaning, never lost."""

import signal
import uuid

import pytest
from rq.registry import FailedJobRegistry

from crm_sms import worker
from crm_sms.models import Message, MessageEvent, ProviderReceipt, db
from crm_sms.queue import queue
from crm_sms.services import consent, messages, outbound, receipts, senders
from tests.fakes.vonage import receipt

STATUS_URL = "/sms/webhooks/vonage/status"
CUSTOMER = "+14155550101"
OUR_NUMBER = "+16285550100"


@pytest.fixture
def make_message(app):
    """Insert an outbound message as the dispatcher leaves it: ``sent`` with a provider id, unless told otherwise."""

    def make(status="sent", provider_id="default", **fields):
        message = Message(
            direction="outbound",
            status=status,
            body="Your table is ready",
            phone_e164=CUSTOMER,
            sender_e164=OUR_NUMBER,
            client_ref=uuid.uuid4().hex,
            provider_id=uuid.uuid4().hex[:16].upper() if provider_id == "default" else provider_id,
            **fields,
        )
        db.session.add(message)
        db.session.commit()
        return message

    return make


def post(client, params):
    response = client.post(STATUS_URL, data=params)
    assert response.status_code == 204, response.text
    return response


def provider_events(message):
    return db.session.scalars(
        db.select(MessageEvent)
        .where(MessageEvent.message_id == message.id, MessageEvent.source == "provider")
        .order_by(MessageEvent.id)
    ).all()


def stored_receipts():
    return db.session.scalars(db.select(ProviderReceipt).order_by(ProviderReceipt.id)).all()


def test_delivered_receipt_moves_a_sent_message_to_delivered_with_the_raw_payload(client, make_message):
    message = make_message()
    params = receipt(message.provider_id, client_ref=message.client_ref)

    post(client, params)

    assert message.status == "delivered"
    (event,) = provider_events(message)
    assert (event.status, event.code, event.payload) == ("delivered", "0", params)
    assert message.reject_reason is None


@pytest.mark.parametrize("status", ["failed", "expired", "rejected"])
def test_undeliverable_receipt_keeps_the_carriers_reason_in_words(client, make_message, status):
    message = make_message()

    post(client, receipt(message.provider_id, status=status, err_code="6"))

    assert message.status == "undeliverable"
    assert message.reject_reason == "Anti-spam rejection"
    (event,) = provider_events(message)
    assert (event.status, event.code, event.note) == ("undeliverable", "6", "Anti-spam rejection")


def test_the_same_receipt_ten_times_is_applied_once(client, make_message):
    message = make_message()
    params = receipt(message.provider_id)

    for _ in range(10):
        post(client, params)

    assert message.status == "delivered"
    assert len(stored_receipts()) == 1
    assert [e.status for e in provider_events(message)] == ["delivered"]


def test_receipt_with_an_unknown_provider_id_is_matched_by_client_ref(client, make_message):
    # A worker died before it read the provider's answer: the sweep marked the message unknown.
    message = make_message(status="unknown", provider_id=None)

    post(client, receipt("0A0000001234ABCD", client_ref=message.client_ref))

    assert message.status == "delivered"
    assert message.provider_id == "0A0000001234ABCD"
    assert stored_receipts()[0].message_id == message.id


def test_receipt_for_a_message_still_sending_waits_and_is_applied_once_the_send_is_recorded(client, make_message):
    message = make_message(status="sending", provider_id=None)

    post(client, receipt("0A0000001234ABCD", client_ref=message.client_ref))

    assert message.status == "sending"
    assert stored_receipts()[0].message_id is None
    # What the dispatcher does when the provider's answer comes back.
    message.provider_id = "0A0000001234ABCD"
    outbound.transition(message, "sent", "provider")
    receipts.apply_waiting([message])
    db.session.commit()
    assert message.status == "delivered"
    assert stored_receipts()[0].message_id == message.id


def test_receipts_for_every_part_of_a_long_message_sent_while_sending_are_applied_with_the_send(client, make_message):
    # A long message is split by the provider: one id and one receipt per part, the same client-ref on each.
    message = make_message(status="sending", provider_id=None)
    for part_id in ("0A00000000000001", "0A00000000000002"):
        post(client, receipt(part_id, client_ref=message.client_ref))

    message.provider_id = "0A00000000000001"  # the dispatcher keeps the first part's id
    outbound.transition(message, "sent", "provider")
    receipts.apply_waiting([message])
    db.session.commit()

    assert message.status == "delivered"
    assert [row.message_id for row in stored_receipts()] == [message.id, message.id]
    assert [(e.status, e.note) for e in provider_events(message)] == [
        ("sent", None),
        ("delivered", None),
        ("delivered", "ignored: already delivered"),
    ]


def test_receipt_before_its_message_exists_is_kept_and_applied_later(client, make_message):
    post(client, receipt("0A0000001234ABCD"))
    assert stored_receipts()[0].message_id is None

    message = make_message(provider_id="0A0000001234ABCD")
    receipts.apply_waiting([message])
    db.session.commit()

    assert message.status == "delivered"
    assert [e.status for e in provider_events(message)] == ["delivered"]


def test_receipt_arriving_while_the_dispatcher_sends_is_applied_by_the_dispatcher(app, make_contact, make_user):
    app.config["CRM_SMS_SIMULATOR_DELAY"] = 3600  # the simulator's own report stays scheduled
    contact = make_contact(numbers=(CUSTOMER,))
    consent.opt_in(contact, contact.phone_numbers[0], "Email", "staff", "tester")
    sender = senders.save(None, OUR_NUMBER, is_default=True)
    message = messages.compose(contact, contact.phone_numbers[0], sender, "Your table is ready", author=make_user())
    db.session.commit()
    provider = app.extensions["crm_sms"].provider
    send, seen = provider.send, []

    def send_and_report_at_once(sms):
        result = send(sms)
        # The provider's receipt beats its answer to us: a separate request, while the message is still sending.
        with app.app_context():
            seen.append(db.session.get(Message, message.id).status)
            response = app.test_client().post(STATUS_URL, data=receipt(result.provider_id, client_ref=sms.client_ref))
            assert response.status_code == 204, response.text
        return result

    provider.send = send_and_report_at_once
    work(app)

    db.session.refresh(message)
    assert seen == ["sending"]
    assert message.status == "delivered"
    assert [(e.status, e.source) for e in message.events] == [
        ("queued", "user"),
        ("sending", "worker"),
        ("sent", "provider"),
        ("delivered", "provider"),
    ]


def test_late_accepted_receipt_after_delivered_is_noted_and_changes_nothing(client, make_message):
    message = make_message()
    post(client, receipt(message.provider_id, status="delivered"))

    post(client, receipt(message.provider_id, status="accepted"))

    assert message.status == "delivered"
    assert [(e.status, e.note) for e in provider_events(message)] == [
        ("delivered", None),
        ("delivered", "receipt: sent"),
    ]


def test_late_failed_receipt_after_delivered_is_recorded_as_ignored(client, make_message):
    message = make_message()
    post(client, receipt(message.provider_id, status="delivered"))

    post(client, receipt(message.provider_id, status="failed", err_code="3"))

    assert message.status == "delivered"
    assert message.reject_reason is None
    assert [(e.status, e.note) for e in provider_events(message)] == [
        ("delivered", None),
        ("undeliverable", "ignored: already delivered"),
    ]


def test_receipt_for_an_unknown_id_is_stored_answered_and_changes_nothing(client, make_message):
    message = make_message()

    post(client, receipt("0A00000099999999", client_ref="not-ours"))

    (row,) = stored_receipts()
    assert (row.provider_id, row.message_id) == ("0A00000099999999", None)
    assert message.status == "sent"
    assert provider_events(message) == []


def work(app):
    """Run every queued job as the worker does, then give Ctrl-C back to pytest."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.run(app, burst=True, simple=True, with_scheduler=False)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert FailedJobRegistry(queue=queue()).get_job_ids() == []
