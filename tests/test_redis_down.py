"""Redis down: what the database has is kept, the user is told it waits, and the sweep sends it once Redis is back."""

import signal

import pytest

from crm_sms import worker
from crm_sms.models import Conversation, Message, db
from crm_sms.queue import enqueue, queue
from crm_sms.services import messages, notices, provider_events
from crm_sms.worker import SWEEP_JOB
from tests.fakes.vonage import inbound, receipt

NUMBER = "+14155550101"
OURS = "+16285550100"
NOTICE = "Queued; sending resumes when the job queue is back."


@pytest.fixture
def app(redis_server, make_app):  # Redis outlives the app: its teardown empties it
    app = make_app(CRM_SMS_REDIS_URL=redis_server.url)
    with app.app_context():
        yield app


@pytest.fixture
def texting(login, make_contact, make_sender, opt_in, provider):
    agent = login("agent")
    return agent, make_sender(OURS), opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))


def sweep_and_work(app):
    """What a worker does once Redis is back: its ticker enqueues the sweep, which enqueues what is due."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        enqueue(SWEEP_JOB)
        worker.run(app, burst=True, simple=True, with_scheduler=False)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    db.session.rollback()


def outbound():
    return db.session.scalars(db.select(Message).where(Message.direction == "outbound").order_by(Message.id)).all()


def test_send_sms_with_redis_down_is_queued_with_a_notice_and_sent_once_when_redis_is_back(
    app, client, texting, redis_server, provider
):
    _, sender, contact = texting
    with redis_server.stopped():
        response = client.post(
            f"/sms/contacts/{contact.id}/messages",
            headers={"HX-Request": "true"},
            data={
                "sms-phone_id": contact.phone_numbers[0].id,
                "sms-sender_id": sender.id,
                "sms-body": "Hello",
                "action": "send",
            },
        )
        assert response.status_code == 200
        assert NOTICE in response.text
        assert [m.status for m in outbound()] == ["queued"]
    assert queue().count == 0  # Redis came back empty: no job carries it

    sweep_and_work(app)

    assert [m.status for m in outbound()] == ["sent"]
    assert [sms.to for sms in provider.sent] == [NUMBER]


def test_a_draft_sent_with_redis_down_is_queued_with_a_notice_and_sent_once_when_redis_is_back(
    app, client, texting, redis_server, provider
):
    agent, sender, contact = texting
    draft = messages.compose(contact, contact.phone_numbers[0], sender, "Hello", agent, draft=True)
    db.session.commit()
    with redis_server.stopped():
        response = client.post(f"/sms/messages/{draft.id}/send", headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert NOTICE in response.text

    sweep_and_work(app)

    assert [m.status for m in outbound()] == ["sent"]
    assert len(provider.sent) == 1


def test_a_reply_with_redis_down_is_queued_with_a_notice_and_sent_once_when_redis_is_back(
    app, client, texting, redis_server, provider
):
    agent, sender, contact = texting
    messages.compose(contact, contact.phone_numbers[0], sender, "Hello", agent)
    db.session.commit()
    provider_events.receive_inbound(inbound("A question", msisdn=NUMBER.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()
    conversation = db.session.scalar(db.select(Conversation))
    with redis_server.stopped():
        response = client.post(
            f"/sms/conversations/{conversation.id}/messages",
            data={"body": "On its way"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert NOTICE in response.text
        assert [m.body for m in outbound()] == ["Hello", "On its way"]

    sweep_and_work(app)

    assert [m.status for m in outbound()] == ["sent", "sent"]
    assert [sms.text.splitlines()[0] for sms in provider.sent] == ["Hello", "On its way"]  # each once


def test_webhooks_with_redis_down_are_stored_once_and_a_stop_is_confirmed_once_when_redis_is_back(
    app, client, texting, redis_server, provider
):
    agent, sender, contact = texting
    sent = messages.compose(contact, contact.phone_numbers[0], sender, "Hello", agent)
    sent.status, sent.provider_id = "sent", "0A0000001234ABCD"
    db.session.commit()
    stop = inbound("STOP", msisdn=NUMBER.lstrip("+"), to=OURS.lstrip("+"))
    with redis_server.stopped():
        assert (
            client.post(
                "/sms/webhooks/vonage/status",
                data=receipt("0A0000001234ABCD", msisdn=NUMBER.lstrip("+"), to=OURS.lstrip("+")),
            ).status_code
            == 204
        )
        assert client.post("/sms/webhooks/vonage/inbound", data=stop).status_code == 204
        assert client.post("/sms/webhooks/vonage/inbound", data=stop).status_code == 204  # Vonage sending it again
    db.session.rollback()
    assert db.session.get(Message, sent.id).status == "delivered"
    assert db.session.scalar(db.select(db.func.count()).where(Message.direction == "inbound")) == 1

    sweep_and_work(app)

    assert [sms.text for sms in provider.sent] == [notices.text("notice_opt_out")]  # the confirmation, once


def test_health_says_redis_is_down(app, client, redis_server):
    with redis_server.stopped():
        response = client.get("/sms/health")
    assert response.status_code == 503
    assert (response.json["database"], response.json["redis"]) == ("ok", "error")
