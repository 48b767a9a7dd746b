"""The dispatcher: claims, consent at claim time, rendering, provider answers, quiet hours, crashes."""

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rq import Worker

from crm_sms.crm.models import Contact
from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import db, utcnow
from crm_sms.providers import SendResult
from crm_sms.queue import queue, redis
from crm_sms.services import consent, messages, outbound, settings
from crm_sms.services import dispatch as dispatch_service
from crm_sms.services.sweep import run as sweep
from tests.conftest import builtin


@pytest.fixture
def agent(make_user):
    return make_user("agent", "agent")


@pytest.fixture
def compose(agent, make_sender, opt_in, make_contact):
    sender = make_sender()

    def compose(contact=None, body="Hello {{ contact.first_name }}", **options):
        contact = contact or opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
        message = messages.compose(contact, contact.phone_numbers[0], sender, body, agent, **options)
        db.session.commit()
        return message

    return compose


def _statuses(message):
    return [event.status for event in message.events]


def test_a_queued_message_is_rendered_sent_and_recorded(compose, provider):
    message = compose()
    assert dispatch() == 1
    db.session.refresh(message)
    assert message.status == "sent" and message.provider_id == "ID00001" and message.price == Decimal("0.0079")
    assert _statuses(message) == ["queued", "sending", "sent"]
    [sms] = provider.sent
    assert (sms.to, sms.sender, sms.client_ref) == ("+14155550101", "+16285550100", message.client_ref)
    assert sms.text == "Hello Ada\nReply STOP to unsubscribe."
    assert settings.get("provider_balance") == "12.5"


def test_only_the_first_message_to_a_number_carries_the_opt_out_text(compose, provider):
    first = compose()
    dispatch()
    second = compose(contact=first.contact, body="Again")
    dispatch()
    assert [sms.text for sms in provider.sent] == ["Hello Ada\nReply STOP to unsubscribe.", "Again"]
    assert second.rendered_body == "Again"


def test_a_signature_that_says_stop_replaces_the_opt_out_text(compose, provider, app):
    from crm_sms.models import Signature
    from crm_sms.services import departments

    department = departments.save(None, "Support", "+14155550100", "help@example.com")
    db.session.add(
        Signature(
            name="Support",
            department=department,
            default_for_manual=True,
            text="Have a question? Call {{ department.phone }}. Email {{ department.email }}. "
            "Reply STOP to unsubscribe.",
        )
    )
    db.session.commit()
    compose()
    dispatch()
    assert provider.sent[0].text == (
        "Hello Ada\nHave a question? Call (415) 555-0100. Email help@example.com. Reply STOP to unsubscribe."
    )


def test_texting_a_contact_clears_their_ready_flag(compose, provider):
    message = compose()
    assert db.session.get(Contact, int(message.contact.host_id)).ready
    dispatch()
    assert db.session.get(Contact, int(message.contact.host_id)).ready is False


def test_opting_out_cancels_waiting_messages_and_confirms_once(compose, provider):
    message = compose()
    consent.opt_out(message.contact, "staff", "tester")
    db.session.commit()
    dispatch()
    db.session.refresh(message)
    assert (message.status, message.reject_reason) == ("canceled", "Opted out of SMS")
    assert [sms.text for sms in provider.sent] == [
        "Our business: you are unsubscribed and will get no more messages. Reply START to resubscribe."
    ]


def test_the_claim_checks_consent_again_whatever_raced_past_the_cancel(compose, provider):
    from crm_sms.models import Consent

    message = compose()
    db.session.execute(db.update(Consent).values(state="opted_out"))  # as if the opt-out landed mid-claim
    db.session.commit()
    dispatch()
    db.session.refresh(message)
    assert provider.sent == []
    assert (message.status, message.reject_reason) == ("canceled", "Opted out of SMS")


def test_a_number_suppressed_after_queueing_gets_nothing(compose, provider):
    message = compose()
    consent.suppress(message.phone_e164)
    db.session.commit()
    dispatch()
    db.session.refresh(message)
    assert provider.sent == [] and message.status == "canceled"


def test_a_scheduled_message_waits_for_its_time(compose, provider):
    message = compose(send_at=utcnow() + timedelta(hours=1))
    assert dispatch() == 0
    assert dispatch_service.claim(10, now=utcnow() + timedelta(hours=2))[0].id == message.id


def test_a_claimed_message_is_never_claimed_again(compose, provider):
    compose()
    assert len(dispatch_service.claim(10)) == 1
    db.session.commit()
    assert dispatch_service.claim(10) == []


def test_concurrent_claims_share_out_the_messages_without_overlap(app, compose, make_contact, opt_in):
    for i in range(40):
        compose(contact=opt_in(make_contact("P", f"N{i}", numbers=(f"+1415555{1000 + i}",))))
    claimed, errors = [], []

    def claim():
        try:
            with app.app_context():
                for _ in range(10):
                    batch = dispatch_service.claim(3)
                    db.session.commit()
                    claimed.extend(m.id for m in batch)
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(claimed) == len(set(claimed)) == 40


@pytest.fixture
def five_due(compose, make_contact, opt_in):
    for i in range(5):
        compose(contact=opt_in(make_contact("P", f"N{i}", numbers=(f"+1415555{1000 + i}",))))


def test_more_than_a_batch_due_brings_in_helper_jobs_and_each_message_goes_once(app, five_due, provider):
    from crm_sms import worker

    app.config.update(CRM_SMS_DISPATCH_BATCH=2, CRM_SMS_DISPATCH_JOBS=3)
    for name in ("w1", "w2", "w3", "w4"):  # four workers: three may dispatch, one is left to the other jobs
        Worker([queue()], name=name, connection=queue().connection).register_birth()
    queue().empty()
    assert dispatch() == 5
    helpers = ["crm_sms-dispatch-helper-1", "crm_sms-dispatch-helper-2"]
    assert sorted(queue().job_ids) == helpers
    dispatch_service.spread()  # already waiting: not enqueued twice
    assert sorted(queue().job_ids) == helpers
    worker.run(app, burst=True, simple=True, with_scheduler=False)  # the helpers find nothing left
    assert len(provider.sent) == len({sms.client_ref for sms in provider.sent}) == 5


def test_a_dispatch_job_finding_as_many_sending_as_allowed_sends_one_batch_and_leaves_them_the_rest(
    app, five_due, provider
):
    app.config.update(CRM_SMS_DISPATCH_BATCH=2)
    assert dispatch_service.join("another-job", 60)  # no other worker: one job may send, and that one does
    assert dispatch() == 2
    dispatch_service.leave("another-job")
    assert dispatch() == 3
    assert len(provider.sent) == 5 and redis().zcard(dispatch_service.SENDERS_KEY) == 0


def test_the_place_of_a_killed_dispatch_job_lapses_by_itself(app, five_due, provider):
    app.config.update(CRM_SMS_DISPATCH_BATCH=2)
    dispatch_service.join("killed-job", -1)
    assert dispatch() == 5


def test_a_throttled_message_is_retried_later_never_failed(compose, provider):
    provider.answer(*[SendResult("retry", code="1", reason="Throttled")] * 3)
    message = compose()
    for attempt in range(1, 4):
        batch = dispatch_service.claim(10, now=utcnow() + timedelta(minutes=10 * attempt))
        before = utcnow()
        for _ in dispatch_service.deliver(batch):
            db.session.commit()
        db.session.refresh(message)
        assert (message.status, message.attempts) == ("queued", attempt)
        assert message.send_at - before >= timedelta(seconds=0.8 * 2 ** (attempt - 1))  # backing off
    batch = dispatch_service.claim(10, now=utcnow() + timedelta(hours=1))
    list(dispatch_service.deliver(batch))
    assert message.status == "sent" and len(provider.sent) == 4


def test_a_permanent_error_fails_the_message_with_the_reason(compose, provider):
    provider.answer(SendResult("failed", code="7", reason="Number barred"))
    message = compose()
    dispatch()
    db.session.refresh(message)
    assert (message.status, message.reject_reason) == ("failed", "Number barred")


def test_out_of_credit_holds_the_batch_as_insufficient_funds(compose, provider, make_contact, opt_in):
    provider.answer(SendResult("out_of_credit", code="9", reason="Insufficient funds"))
    first = compose()
    second = compose(contact=opt_in(make_contact("Alan", "Turing", numbers=("+14155550102",))))
    dispatch()
    for message in (first, second):
        db.session.refresh(message)
        assert (message.status, message.hold_reason, message.label) == (
            "held",
            "insufficient_funds",
            "Pending: Insufficient funds",
        )
    assert len(provider.sent) == 1
    assert dispatch_service.claim(10, now=utcnow() + timedelta(hours=1)) == []  # paused while out of credit


def test_an_unreadable_answer_leaves_the_message_unknown(compose, provider):
    provider.answer(SendResult("unknown", reason="The provider's answer could not be read"))
    message = compose()
    dispatch()
    db.session.refresh(message)
    assert message.status == "unknown"


def _window_around_now(zone):
    local = datetime.now(ZoneInfo(zone))
    return (local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=1)).strftime("%H:%M")


def test_quiet_hours_hold_a_message_until_the_window_ends_in_the_recipients_time(compose, provider):
    start, end = _window_around_now("America/Los_Angeles")  # +1 415 is in Los Angeles time
    settings.put("quiet_hours_start", start)
    settings.put("quiet_hours_end", end)
    db.session.commit()
    message = compose()
    dispatch()
    db.session.refresh(message)
    assert (message.status, message.hold_reason) == ("held", "quiet_hours")
    assert message.send_at.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%H:%M") == end
    assert provider.sent == []
    later = dispatch_service.claim(10, now=message.send_at + timedelta(seconds=1))
    assert [m.id for m in later] == [message.id]


def test_manual_messages_may_bypass_quiet_hours_when_the_admin_allows(compose, provider):
    start, end = _window_around_now("America/Los_Angeles")
    for key, value in [("quiet_hours_start", start), ("quiet_hours_end", end), ("quiet_hours_manual_bypass", True)]:
        settings.put(key, value)
    db.session.commit()
    message = compose()
    dispatch()
    assert message.status == "sent"


def test_a_message_left_sending_by_a_dead_worker_is_settled_by_the_sweep(compose, provider, make_contact, opt_in):
    in_flight = compose()
    never_tried = compose(contact=opt_in(make_contact("Alan", "Turing", numbers=("+14155550102",))))
    dispatch_service.claim(10)
    in_flight.attempted_at = utcnow()
    long_ago = utcnow() - timedelta(hours=1)
    for message in (in_flight, never_tried):
        message.status_changed_at = long_ago
    db.session.commit()
    sweep()
    db.session.commit()
    db.session.refresh(in_flight), db.session.refresh(never_tried)
    assert in_flight.status == "unknown"  # may have reached the provider: never resent blindly
    assert never_tried.status == "queued"
    assert provider.sent == []


def test_the_sweep_enqueues_a_dispatch_when_something_is_due(compose):
    compose()
    queue().empty()
    sweep()
    assert [job.func_name for job in queue().jobs] == ["crm_sms.jobs.dispatch.dispatch"]


def test_a_final_message_never_changes_status_again(compose, provider):
    message = compose()
    dispatch()
    outbound.transition(message, "delivered", "provider")
    assert outbound.transition(message, "sent", "provider") is False
    assert message.status == "delivered"
    assert message.events[-1].note == "ignored: already delivered"


def test_the_end_to_end_simulator_reports_delivery(make_app):
    from crm_sms import worker
    from crm_sms.crm import users
    from crm_sms.crm.services import contacts, phones
    from crm_sms.services import people, records, senders

    app = make_app(CRM_SMS_SIMULATOR_DELAY=0)
    with app.app_context():
        mobile = phones.save_phone_type(None, "Mobile", True)
        contact = contacts.save(None, first_name="Ada", last_name="Lovelace")
        phones.add(contact, "+14155550101", mobile)
        contact = records.link(contact)
        phone = contact.phone_numbers[0]
        consent.opt_in(contact, phone, "Email", "staff", "tester")
        sender = senders.save(None, "+16285550100", is_default=True)
        agent = people.person_for(users.create_user("agent", "secret-pass", "agent"))
        message = messages.compose(contact, phone, sender, "Hi", agent)
        db.session.commit()
        worker.run(app, burst=True, simple=True, with_scheduler=False)
        db.session.refresh(message)
        assert message.status == "delivered"
        assert [e.status for e in message.events] == ["queued", "sending", "sent", "delivered"]


def test_the_encoding_follows_the_text_as_sent(compose, provider, make_contact, opt_in):
    contact = opt_in(make_contact("Lukas", "Nowak", numbers=("+14155550103",)))
    message = compose(contact=contact, body="Hola {{ contact.first_name }}")
    assert message.encoding == "GSM-7"
    builtin(contact).first_name = "Łukasz"  # renamed on the host while the message waited
    db.session.commit()
    dispatch()
    assert (message.encoding, provider.sent[0].unicode) == ("UCS-2", True)


def test_a_receipt_that_came_while_a_dead_worker_was_sending_settles_the_message(compose, provider):
    from crm_sms.services import provider_events
    from tests.fakes.vonage import receipt

    message = compose()
    dispatch_service.claim(10)
    message.attempted_at = message.status_changed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    provider_events.receive_receipt(receipt("0A0000000000BEEF", client_ref=message.client_ref))
    db.session.commit()
    assert message.status == "sending"  # the worker died before it recorded the provider's answer
    sweep()
    db.session.commit()
    db.session.refresh(message)
    assert message.status == "delivered"
    assert [e.status for e in message.events][-2:] == ["unknown", "delivered"]
