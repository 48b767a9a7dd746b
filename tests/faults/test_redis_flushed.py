"""Redis emptied under a running worker while messages are queued and a conversation waits for its release."""

import collections
from datetime import timedelta

from crm_sms.models import Conversation, SenderNumber, db, utcnow
from crm_sms.queue import queue, redis
from crm_sms.services import messages, outbound, provider_events, settings
from tests.conftest import wait_until
from tests.fakes.vonage import inbound

from .conftest import SENDER, settled, statuses


def _pooled():
    return db.session.scalar(db.select(Conversation.pooled_at))


def test_an_emptied_redis_loses_no_queued_message_and_no_conversation_release(
    app, queued, vonage_fake, vonage_worker, make_contact, make_user, opt_in
):
    worker = vonage_worker(CRM_SMS_SWEEP_INTERVAL=5)
    send_at = utcnow() + timedelta(seconds=4)
    refs = queued(20, send_at=send_at)
    outbound.schedule_dispatch(send_at)
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    sender = db.session.scalar(db.select(SenderNumber))
    messages.compose(contact, contact.phone_numbers[0], sender, "Hello", make_user("grace", "agent"))
    settings.put("public_minutes", 0.05)  # three seconds
    db.session.commit()
    provider_events.receive_inbound(inbound("Anyone there?", msisdn="14155550101", to=SENDER.lstrip("+")))
    db.session.commit()
    due = db.session.scalar(db.select(Conversation.due_at))
    assert len(queue().scheduled_job_registry.get_job_ids()) == 2  # the dispatch and the release wait in Redis

    redis().flushdb()

    assert wait_until(lambda: settled() and _pooled() is not None, 60, worker, every=0.2)
    assert _pooled() >= due  # released by the sweep, not before its public minutes
    assert statuses() == {number: "sent" for number in [*refs, "14155550101"]}
    assert vonage_fake.sends() == collections.Counter([*refs, "14155550101"])  # each once
