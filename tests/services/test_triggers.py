"""Triggered messages: a host's event texts the record the saved message its rule names, or says why not."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import crm_sms
from crm_sms import signals
from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import Message, TriggerFire, db
from crm_sms.models.signature import TEXTS
from crm_sms.queue import queue
from crm_sms.services import consent, departments, rendering, settings, signatures, templates, triggers

LOS_ANGELES = ZoneInfo("America/Los_Angeles")  # +1 415 numbers are in Los Angeles time
#: 23:30 in Los Angeles: inside quiet hours 21:00-08:00 there.
LATE = datetime(2026, 3, 10, 23, 30, tzinfo=LOS_ANGELES).astimezone(UTC)
#: 12:00 in Los Angeles: outside them.
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=LOS_ANGELES).astimezone(UTC)


@pytest.fixture
def manager(make_user):
    return make_user("manager", "manager")


@pytest.fixture
def support(app):
    department = departments.save(None, "Support", "(415) 555-0100", "support@example.com")
    db.session.commit()
    return department


@pytest.fixture
def bulk_signature(support):
    signature = signatures.save(None, "Bulk", support, TEXTS[3], default_for_bulk=True)
    db.session.commit()
    return signature


@pytest.fixture
def sender(make_sender):
    return make_sender("+16285550100", is_default=True)


@pytest.fixture
def make_rule(manager, sender, bulk_signature):
    def make(
        event="payment.received",
        module="contacts",
        body="Hi {{ contact.first_name }}, we got your payment.",
        name=None,
        **options,
    ):
        template = templates.save(None, name or f"{event} ({module})", module, body, manager)
        rule = triggers.save(None, event, module, template, **options)
        db.session.commit()
        return rule

    return make


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))


def _quiet_hours(start="21:00", end="08:00", manual_bypass=False):
    settings.put("quiet_hours_start", start)
    settings.put("quiet_hours_end", end)
    settings.put("quiet_hours_manual_bypass", manual_bypass)
    db.session.commit()


def _messages():
    return db.session.scalars(db.select(Message).order_by(Message.id)).all()


def test_a_mapped_event_queues_one_triggered_message_to_the_preferred_number(make_rule, ada, sender, bulk_signature):
    make_rule()
    fired = crm_sms.trigger("payment.received", contact=ada, now=NOON)
    db.session.commit()
    assert fired.sent and fired.reason is None
    [message] = _messages()
    assert fired.message is message
    assert (message.kind, message.status, message.hold_reason) == ("triggered", "queued", None)
    assert (message.contact, message.phone_e164, message.sender_e164) == (ada, "+14155550101", sender.e164)
    assert message.signature == bulk_signature
    assert message.body == "Hi {{ contact.first_name }}, we got your payment."
    assert [(e.status, e.note) for e in message.events] == [("queued", "triggered: payment.received")]


def test_the_triggered_message_is_sent_with_the_records_variables_and_signature(
    make_rule, ada, provider, bulk_signature
):
    make_rule()
    crm_sms.trigger("payment.received", contact=ada)
    db.session.commit()
    dispatch()
    [sms] = provider.sent
    assert sms.text == "Hi Ada, we got your payment.\n" + rendering.signature_text(bulk_signature)
    assert (sms.to, sms.sender) == ("+14155550101", "+16285550100")
    assert _messages()[0].status == "sent"


def test_the_rules_own_sender_and_signature_win_over_the_defaults(make_rule, ada, make_sender, support):
    own = make_sender("+16285550199", is_default=False)
    short = signatures.save(None, "Short", support, TEXTS[0])
    make_rule(sender=own, signature=short)
    fired = triggers.fire("payment.received", contact=ada)
    assert (fired.message.sender_e164, fired.message.signature) == ("+16285550199", short)


def test_the_dispatch_job_is_enqueued_only_when_the_host_commits(make_rule, ada):
    make_rule()
    queue().empty()
    crm_sms.trigger("payment.received", contact=ada)
    assert queue().jobs == []
    db.session.rollback()  # the host's transaction failed: no message, no job
    assert _messages() == [] and queue().jobs == []
    crm_sms.trigger("payment.received", contact=ada)
    db.session.commit()
    assert [job.func_name for job in queue().jobs] == ["crm_sms.jobs.dispatch.dispatch"]


def test_an_event_no_rule_maps_sends_nothing_and_is_listed_for_the_admin(make_rule, ada, caplog):
    make_rule()
    caplog.set_level("INFO", logger="crm_sms.services.triggers")
    fired = crm_sms.trigger("invoice.overdue", contact=ada, amount=12)
    db.session.commit()
    assert (fired.sent, fired.message, fired.reason) == (False, None, triggers.NO_RULE)
    assert _messages() == []
    assert "invoice.overdue: no message: " + triggers.NO_RULE in caplog.text
    [(event, count, _)] = triggers.unmapped()
    assert (event, count) == ("invoice.overdue", 1)


def test_an_inactive_rule_sends_nothing(make_rule, ada):
    make_rule(active=False)
    fired = crm_sms.trigger("payment.received", contact=ada)
    assert (fired.message, fired.reason) == (None, triggers.INACTIVE)
    assert _messages() == []


def test_a_contact_who_never_opted_in_gets_nothing_and_the_reason_says_so(make_rule, make_contact):
    make_rule()
    grace = make_contact("Grace", "Hopper", numbers=("+14155550102",))
    fired = crm_sms.trigger("payment.received", contact=grace)
    db.session.commit()
    assert (fired.message, fired.reason) == (None, consent.NOT_OPTED_IN)
    assert _messages() == []
    assert db.session.scalar(db.select(TriggerFire.reason)) == consent.NOT_OPTED_IN


def test_under_the_request_consent_policy_a_triggered_message_still_needs_an_opt_in(make_rule, make_contact):
    settings.put("consent_policy", "request_consent")
    make_rule()
    grace = make_contact("Grace", "Hopper", numbers=("+14155550102",))
    fired = crm_sms.trigger("payment.received", contact=grace)
    assert (fired.message, fired.reason) == (None, consent.NOT_OPTED_IN)


def test_an_opted_out_contact_gets_nothing(make_rule, ada):
    make_rule()
    consent.opt_out(ada, "staff", "tester", notify=False)
    db.session.commit()
    fired = crm_sms.trigger("payment.received", contact=ada)
    assert (fired.message, fired.reason) == (None, consent.OPTED_OUT)


def test_a_suppressed_number_gets_nothing(make_rule, ada):
    make_rule()
    consent.suppress("+14155550101")
    db.session.commit()
    fired = crm_sms.trigger("payment.received", contact=ada)
    assert (fired.message, fired.reason) == (None, consent.SUPPRESSED)
    assert _messages() == []


def test_an_accounts_rule_texts_the_account_even_when_given_its_contact(make_rule, make_account, make_contact, opt_in):
    make_rule("service.restored", "accounts", "{{ account.name }}: your service is back.")
    acme = opt_in(make_account("Acme Logistics", numbers=("+12125550101",)))
    contact = make_contact("Ada", "Lovelace", numbers=("+14155550101",), account=acme)
    fired = crm_sms.trigger("service.restored", contact=contact)
    assert (fired.message.account, fired.message.contact, fired.message.phone_e164) == (acme, None, "+12125550101")


def test_a_contacts_rule_given_only_an_account_sends_nothing(make_rule, make_account, opt_in):
    make_rule()
    acme = opt_in(make_account())
    fired = crm_sms.trigger("payment.received", account=acme)
    assert fired.message is None and "no contact was given" in fired.reason


def test_a_deleted_saved_message_leaves_its_rule_sending_nothing(make_rule, ada):
    rule = make_rule()
    templates.delete(rule.template)
    db.session.commit()
    fired = crm_sms.trigger("payment.received", contact=ada)
    assert (fired.message, fired.reason) == (None, triggers.NO_TEMPLATE)


def test_the_same_key_never_makes_a_second_message(make_rule, ada):
    make_rule()
    first = crm_sms.trigger("payment.received", contact=ada, key="payment-17")
    db.session.commit()
    again = crm_sms.trigger("payment.received", contact=ada, key="payment-17")  # the host retried
    db.session.commit()
    other = crm_sms.trigger("payment.received", contact=ada, key="payment-18")
    db.session.commit()
    assert first.sent and not again.sent and other.sent
    assert (again.duplicate, again.message) == (True, first.message)
    assert len(_messages()) == 2


def test_without_a_key_every_fire_makes_a_message(make_rule, ada):
    make_rule()
    crm_sms.trigger("payment.received", contact=ada)
    crm_sms.trigger("payment.received", contact=ada)
    assert len(_messages()) == 2


def test_the_signal_fires_the_event_like_the_function(app, make_rule, ada):
    make_rule()
    [(_, fired)] = signals.trigger.send(app, event="payment.received", contact=ada, key="k1")
    db.session.commit()
    assert fired.sent and fired.message.kind == "triggered"
    [(_, again)] = signals.trigger.send(app, event="payment.received", contact=ada, key="k1")
    assert again.duplicate and len(_messages()) == 1


def test_a_malformed_event_name_is_a_programming_error(ada):
    with pytest.raises(ValueError, match="Not an event name"):
        crm_sms.trigger("Payment Received", contact=ada)


# Quiet hours


def test_quiet_hours_hold_a_triggered_message_until_the_window_opens_then_dispatch_sends_it(
    make_rule, ada, provider, monkeypatch
):
    from crm_sms.services import dispatch as dispatch_service

    _quiet_hours("21:00", "08:00")
    make_rule()
    fired = crm_sms.trigger("payment.received", contact=ada, now=LATE)
    db.session.commit()
    message = fired.message
    assert (message.status, message.hold_reason, message.label) == ("held", "quiet_hours", "Pending: Quiet hours")
    assert message.send_at == datetime(2026, 3, 11, 8, 0, tzinfo=LOS_ANGELES)
    monkeypatch.setattr(dispatch_service, "utcnow", lambda: message.send_at - timedelta(minutes=1))
    assert dispatch() == 0 and provider.sent == []  # not before the window opens
    monkeypatch.setattr(dispatch_service, "utcnow", lambda: message.send_at + timedelta(seconds=1))
    assert dispatch() == 1
    db.session.refresh(message)
    assert message.status == "sent" and len(provider.sent) == 1
    assert [e.status for e in message.events] == ["held", "sending", "sent"]


def test_a_triggered_message_never_bypasses_quiet_hours_even_when_manual_ones_may(
    make_rule, ada, provider, monkeypatch
):
    from crm_sms.services import dispatch as dispatch_service

    _quiet_hours("21:00", "08:00", manual_bypass=True)
    make_rule()
    held = crm_sms.trigger("payment.received", contact=ada, key="late", now=LATE).message
    queued = crm_sms.trigger("payment.received", contact=ada, key="noon", now=NOON).message
    db.session.commit()
    assert (held.status, queued.status) == ("held", "queued")
    # The worker only gets to the noon one at night: it is held then, not sent.
    monkeypatch.setattr(dispatch_service, "utcnow", lambda: LATE)
    dispatch()
    db.session.refresh(queued)
    assert (queued.status, queued.hold_reason) == ("held", "quiet_hours")
    assert provider.sent == []


def test_a_triggered_message_keeps_the_state_hours_when_the_admin_turns_them_on(
    make_rule, make_contact, opt_in, provider
):
    settings.put("quiet_hours_state_rules", True)
    make_rule()
    miami = opt_in(make_contact("Bo", "Diddley", numbers=("+13055550123",)))
    evening = datetime(2026, 3, 11, 20, 30, tzinfo=ZoneInfo("America/New_York"))  # Florida: 8:00 to 20:00
    message = crm_sms.trigger("payment.received", contact=miami, now=evening).message
    assert (message.status, message.hold_reason) == ("held", "quiet_hours")
    assert message.send_at == datetime(2026, 3, 12, 8, 0, tzinfo=ZoneInfo("America/New_York"))


def test_a_triggered_message_no_hour_allows_is_not_sent_and_says_why(make_rule, make_contact, opt_in):
    _quiet_hours("18:00", "10:00")  # 10:00-18:00 from Guam to Newfoundland never overlaps
    make_rule()
    toll_free = opt_in(make_contact("Bo", "Diddley", numbers=("+18005550100",)))
    fired = crm_sms.trigger("payment.received", contact=toll_free, now=NOON)
    assert fired.message is None and fired.reason.startswith("No hour is allowed in all of +18005550100's")


# End to end


def test_a_worker_process_delivers_a_triggered_message_through_the_simulator(
    make_rule, ada, start_worker, bulk_signature
):
    import time

    make_rule()
    crm_sms.trigger("payment.received", contact=ada, key="payment-1")
    db.session.commit()
    start_worker(CRM_SMS_SIMULATOR_DELAY=0)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        db.session.expire_all()
        [message] = _messages()
        if message.status == "delivered":
            break
        time.sleep(0.3)
    assert [e.status for e in message.events] == ["queued", "sending", "sent", "delivered"]
    assert message.rendered_body == "Hi Ada, we got your payment.\n" + rendering.signature_text(bulk_signature)


def test_the_demo_host_fires_an_event_from_the_command_line(runner, make_rule, ada):
    make_rule()
    sent = runner.invoke(args=["fire", "payment.received", "--contact", ada.host_id, "--key", "p1"])
    again = runner.invoke(args=["fire", "payment.received", "--contact", ada.host_id, "--key", "p1"])
    assert sent.output.strip() == f"Message {_messages()[0].id}: In queue."
    assert again.output.strip() == "No message: " + triggers.DUPLICATE + "."


def test_the_demo_data_maps_two_events_to_saved_messages(app):
    from crm_sms.crm import demo

    demo.seed(accounts=2, contacts=3)
    db.session.commit()
    assert [(r.event, r.template.name, r.active) for r in triggers.all_rules()] == [
        ("appointment.reminder", "Appointment reminder", True),
        ("payment.received", "Payment received", True),
    ]


def test_a_saved_message_moved_to_the_other_module_leaves_its_rule_sending_nothing(make_rule, ada, manager):
    rule = make_rule(body="Your payment is in.")
    templates.save(rule.template, rule.template.name, "accounts", rule.template.body, manager)
    db.session.commit()
    fired = crm_sms.trigger("payment.received", contact=ada)
    assert fired.message is None and "now written for accounts" in fired.reason


def test_a_rule_cannot_send_from_an_agents_own_line(make_rule, make_sender, make_user):
    line = make_sender("+16285550111", user=make_user("grace", "agent"))
    with pytest.raises(triggers.TriggerError, match="is a user's own line") as refused:
        make_rule(sender=line)
    assert refused.value.field == "sender"


def test_a_rule_whose_line_became_an_agents_sends_from_the_default_instead(
    make_rule, ada, make_sender, make_user, sender
):
    line = make_sender("+16285550111", is_default=False)
    make_rule(sender=line)
    line.user = make_user("grace", "agent")  # the number was handed to an agent after the rule chose it
    db.session.commit()
    fired = triggers.fire("payment.received", contact=ada, now=NOON)
    assert fired.message.sender_e164 == sender.e164
