"""The public-minutes clock with real parts: a worker process, Redis, and nobody calling a function by hand."""

import time

from crm_sms.models import Conversation, ConversationEvent, db
from crm_sms.services import messages, provider_events, settings
from tests.conftest import worker_output
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"


def wait_until_pooled(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        conversation = db.session.scalar(db.select(Conversation))
        if conversation.pooled_at is not None:
            return conversation
        time.sleep(0.2)
    return None


def start_conversation(make_contact, make_sender, make_user, opt_in):
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))
    messages.compose(contact, contact.phone_numbers[0], make_sender(OURS), "Hello", make_user("grace", "agent"))
    settings.put("public_minutes", 0.05)  # three seconds
    db.session.commit()


def test_an_unanswered_conversation_reaches_the_pool_by_itself(
    app, start_worker, make_contact, make_sender, make_user, opt_in
):
    start_conversation(make_contact, make_sender, make_user, opt_in)
    worker = start_worker(CRM_SMS_SIMULATOR_DELAY=0)
    provider_events.receive_inbound(inbound("Anyone there?", msisdn=NUMBER.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()
    arrived = time.monotonic()

    conversation = wait_until_pooled(30)

    if conversation is None:
        raise AssertionError("the job scheduled at arrival did not release it:\n" + worker_output(worker))
    assert time.monotonic() - arrived >= 2.5  # not before its public minutes
    assert db.session.scalar(db.select(ConversationEvent.kind).order_by(ConversationEvent.id.desc())) == "pooled"
