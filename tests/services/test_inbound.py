"""Inbound messages, as the provider posts them: stored once, joined when split, filed under who sent them."""

import threading

import pytest
from sqlalchemy import event

from crm_sms import signals
from crm_sms.models import InboundPart, Message, db
from tests.fakes.vonage import inbound

INBOUND_URL = "/sms/webhooks/vonage/inbound"
CONTACT_NUMBER = "+14155550101"
ACCOUNT_NUMBER = "+12125550101"


def post(client, params):
    response = client.post(INBOUND_URL, data=params)
    assert response.status_code == 204, response.text
    return response


def received():
    return db.session.scalars(db.select(Message).where(Message.direction == "inbound")).all()


@pytest.fixture
def announced():
    """Every message_received signal, as (sender, message)."""
    seen = []
    with signals.message_received.connected_to(lambda app, message, **_: seen.append((app, message))):
        yield seen


def test_message_from_a_contacts_number_shows_as_received_in_the_contacts_subpanel(client, make_contact, login):
    contact = make_contact(numbers=(CONTACT_NUMBER,))

    post(client, inbound("Running 10 minutes late", msisdn=CONTACT_NUMBER.lstrip("+")))

    (message,) = received()
    assert (message.contact_id, message.account_id, message.status) == (contact.id, None, "received")
    login("agent")
    page = client.get(f"/sms/contacts/{contact.id}/list")
    assert page.status_code == 200
    assert "Running 10 minutes late" in page.text
    assert "Received" in page.text


def test_message_from_an_accounts_number_is_filed_under_the_account(client, make_account, login):
    account = make_account(numbers=(ACCOUNT_NUMBER,))

    post(client, inbound("Please call our office", msisdn=ACCOUNT_NUMBER.lstrip("+")))

    (message,) = received()
    assert (message.contact_id, message.account_id) == (None, account.id)
    login("agent")
    page = client.get(f"/sms/accounts/{account.id}/list")
    assert "Please call our office" in page.text
    assert "Received" in page.text


def test_number_of_both_a_contact_and_an_account_is_filed_under_the_contact(client, make_contact, make_account):
    account = make_account(numbers=(CONTACT_NUMBER,))
    contact = make_contact(numbers=(CONTACT_NUMBER,), account=account)

    post(client, inbound("Hi", msisdn=CONTACT_NUMBER.lstrip("+")))

    (message,) = received()
    assert (message.contact_id, message.account_id) == (contact.id, None)


def test_message_from_an_unknown_number_is_kept_as_from_an_unknown_sender(client, make_contact, login):
    make_contact(numbers=(CONTACT_NUMBER,))

    post(client, inbound("Who is this?", msisdn="14155550199"))

    (message,) = received()
    assert (message.phone_e164, message.contact_id, message.account_id) == ("+14155550199", None, None)
    login("agent")
    page = client.get("/sms/messages")
    assert "Unknown sender" in page.text
    assert "+14155550199" in page.text


def test_the_same_inbound_message_twice_is_stored_once(client, announced):
    params = inbound("See you at 8")

    post(client, params)
    post(client, params)

    (message,) = received()
    assert message.body == "See you at 8"
    assert announced == [(client.application, message)]


def test_parts_arriving_out_of_order_are_joined_into_one_message(client, announced):
    texts = {1: "The quick brown fox ", 2: "jumps over ", 3: "the lazy dog."}
    parts = {n: inbound(text, concat=("A1", 3, n)) for n, text in texts.items()}

    post(client, parts[3])
    post(client, parts[1])
    assert received() == []
    post(client, parts[2])

    (message,) = received()
    assert message.body == "The quick brown fox jumps over the lazy dog."
    assert message.provider_id == parts[1]["messageId"]
    assert all(part.joined_at is not None for part in db.session.scalars(db.select(InboundPart)))
    assert announced == [(client.application, message)]


def test_a_part_sent_twice_still_makes_one_message(client, announced):
    parts = {n: inbound(text, concat=("B2", 2, n)) for n, text in {1: "Hello ", 2: "world"}.items()}

    post(client, parts[1])
    post(client, parts[1])
    post(client, parts[2])
    post(client, parts[2])
    post(client, parts[1])

    (message,) = received()
    assert message.body == "Hello world"
    assert len(announced) == 1


def test_parts_arriving_at_the_same_moment_are_joined(app, client):
    # Vonage posts the parts of one message together; each request must see the other's part.
    parts = [inbound(text, concat=("C3", 2, n)) for n, text in [(1, "Both "), (2, "at once")]]
    both_inserted = threading.Barrier(2, timeout=1)  # holds each request after its insert, while the other runs

    def hold(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO crm_sms_inbound_parts"):
            try:
                both_inserted.wait()
            except threading.BrokenBarrierError:  # the other request is (rightly) waiting for this one
                pass

    def deliver(params, answers):
        with app.app_context():
            answers.append(app.test_client().post(INBOUND_URL, data=params).status_code)

    answers = []
    event.listen(db.engine, "after_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=deliver, args=(params, answers)) for params in parts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(db.engine, "after_cursor_execute", hold)

    assert answers == [204, 204]
    (message,) = received()
    assert message.body == "Both at once"
    assert db.session.scalars(db.select(InboundPart).where(InboundPart.joined_at.is_(None))).all() == []


def test_a_part_sent_again_after_the_join_is_ignored_and_leaves_nothing_waiting(client):
    parts = {n: inbound(text, concat=("D4", 2, n)) for n, text in {1: "Hello ", 2: "world"}.items()}
    post(client, parts[1])
    post(client, parts[2])
    post(client, parts[2])  # the provider did not hear our 200 the first time

    assert [m.body for m in received()] == ["Hello world"]
    assert db.session.scalars(db.select(InboundPart).where(InboundPart.joined_at.is_(None))).all() == []


def test_a_reference_reused_by_a_later_message_makes_a_new_message(client):
    for n, text in {1: "First ", 2: "message"}.items():
        post(client, inbound(text, concat=("E5", 2, n)))
    for n, text in {1: "Second ", 2: "one"}.items():
        post(client, inbound(text, concat=("E5", 2, n)))

    assert sorted(m.body for m in received()) == ["First message", "Second one"]


def test_the_sweep_forgets_joined_parts_after_two_days(client):
    from datetime import timedelta

    from crm_sms.models import utcnow
    from crm_sms.services import inbound as inbound_service

    for n, text in {1: "Old ", 2: "news"}.items():
        post(client, inbound(text, concat=("F6", 2, n)))
    db.session.execute(db.update(InboundPart).values(joined_at=utcnow() - timedelta(days=3)))
    assert inbound_service.forget_joined_parts() == 2
    assert db.session.scalars(db.select(InboundPart)).all() == []


def test_parts_of_two_senders_with_the_same_reference_are_not_mixed(client):
    post(client, inbound("Mine ", msisdn="14155550111", concat=("01", 2, 1)))
    post(client, inbound("yours", msisdn="14155550122", concat=("01", 2, 2)))

    assert received() == []
    assert db.session.scalar(db.select(db.func.count(InboundPart.id))) == 2


def test_message_received_fires_once_with_the_stored_message(client, make_contact, announced):
    contact = make_contact(numbers=(CONTACT_NUMBER,))

    post(client, inbound("Sounds good", msisdn=CONTACT_NUMBER.lstrip("+")))

    ((sender, message),) = announced
    assert sender is client.application
    assert (message.id, message.contact_id, message.body) == (received()[0].id, contact.id, "Sounds good")
