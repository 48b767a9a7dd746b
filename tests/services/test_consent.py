"""STOP, START and HELP replies, and what an opted-out contact receives (nothing but the confirmation)."""

from datetime import timedelta

import pytest

from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import ConsentEvent, Message, Suppression, db
from crm_sms.services import consent, messages, notices, provider_events, settings
from crm_sms.services import dispatch as dispatch_service
from crm_sms.services.outbound import transition
from tests.fakes.vonage import inbound

SHARED = "+14155550101"
OTHER = "+14155550102"
OURS = "+16285550100"


@pytest.fixture
def agent(make_user):
    return make_user("agent", "agent")


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def household(make_contact, make_account, opt_in):
    """Two contacts and an account sharing one number (one contact never asked), and a neighbour with another."""
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=(SHARED,)))
    byron = make_contact("Byron", "Lovelace", numbers=(SHARED,))
    firm = opt_in(make_account("Lovelace & Co", numbers=(SHARED,)))
    alan = opt_in(make_contact("Alan", "Turing", numbers=(OTHER,)))
    return ada, byron, firm, alan


def reply(text, number=SHARED):
    message = provider_events.receive_inbound(inbound(text, msisdn=number.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()
    return message


def compose(owner, agent, sender, body="Hello"):
    message = messages.compose(owner, owner.phone_numbers[0], sender, body, agent)
    db.session.commit()
    return message


def outbound(to=None):
    stmt = db.select(Message).where(Message.direction == "outbound").order_by(Message.id)
    if to:
        stmt = stmt.where(Message.phone_e164 == to)
    return db.session.scalars(stmt).all()


def test_stop_reply_opts_out_every_contact_and_account_with_that_number(household, provider, sender):
    ada, byron, firm, alan = household
    reply("STOP")
    assert [consent.state_of(owner) for owner in (ada, byron, firm)] == ["opted_out"] * 3
    assert consent.state_of(alan) == "opted_in"


def test_stop_reply_is_audited_as_an_sms_response_changed_by_unknown_citing_the_reply(household, provider, sender):
    ada, byron, firm, _ = household
    stop = reply("Stop.")
    events = db.session.scalars(db.select(ConsentEvent).where(ConsentEvent.new_state == "opted_out")).all()
    assert {(e.contact_id, e.account_id) for e in events} == {(ada.id, None), (byron.id, None), (None, firm.id)}
    assert {(e.changed_by, e.source, e.consent_type, e.message_id, e.e164) for e in events} == {
        ("Unknown", "sms_reply", "SMS response", stop.id, SHARED)
    }


def test_stop_reply_suppresses_the_number_even_for_a_contact_who_gets_it_later(
    household, provider, sender, make_contact, opt_in, agent
):
    reply("STOP")
    assert db.session.get(Suppression, (SHARED, "")) is not None
    newcomer = make_contact("Newcomer", "Lovelace", numbers=(SHARED,))
    assert consent.reasons(newcomer)[newcomer.phone_numbers[0]] == consent.SUPPRESSED
    with pytest.raises(messages.MessageError, match="replied STOP"):
        compose(newcomer, agent, sender)


def test_stop_reply_cancels_queued_and_held_messages_to_that_number_at_once(household, provider, agent, sender):
    ada, _, firm, alan = household
    queued = compose(ada, agent, sender)
    held = compose(firm, agent, sender)
    transition(held, "held", "worker", hold_reason="quiet_hours")
    elsewhere = compose(alan, agent, sender)
    db.session.commit()
    reply("STOP")
    for message in (queued, held, elsewhere):
        db.session.refresh(message)
    assert [(m.status, m.reject_reason) for m in (queued, held)] == [("canceled", consent.OPTED_OUT)] * 2
    assert elsewhere.status == "queued"


def test_stop_reply_is_confirmed_by_one_message_that_goes_although_the_number_is_opted_out(household, provider, sender):
    reply("STOP")
    assert dispatch() == 1
    assert [(sms.to, sms.sender, sms.text) for sms in provider.sent] == [(SHARED, OURS, notices.text("notice_opt_out"))]


def test_a_stop_from_a_number_already_opted_out_is_not_confirmed_again(household, provider, sender):
    # One confirmation per change of state: a second STOP changes nothing, so nothing is sent for it.
    reply("STOP")
    dispatch()
    again = reply("stop")
    dispatch()
    assert [sms.text for sms in provider.sent] == [notices.text("notice_opt_out")]
    assert "already opted out" in again.events[-1].note


def test_a_stop_from_a_number_already_opted_out_still_cancels_what_waits_for_it(household, provider, agent, sender):
    ada = household[0]
    reply("STOP")
    dispatch()
    late = notices.send("notice_opt_in", SHARED, ada)  # written before this STOP, by a path that raced past it
    late.created_at = db.session.get(Suppression, (SHARED, "")).since - timedelta(seconds=1)
    db.session.commit()
    reply("STOP")
    db.session.refresh(late)
    assert late.status == "canceled"


def test_a_second_stop_changes_no_consent_and_adds_no_audit_row(household, provider, sender):
    reply("STOP")
    audited = db.session.scalar(db.select(db.func.count(ConsentEvent.id)))
    reply("STOP")
    assert db.session.scalar(db.select(db.func.count(ConsentEvent.id))) == audited


def test_stops_before_the_dispatcher_runs_are_confirmed_once(household, provider, sender):
    reply("STOP")
    reply("ARRÊT")
    dispatch()
    assert [sms.text for sms in provider.sent] == [notices.text("notice_opt_out")]


def test_an_opt_in_confirmation_not_yet_sent_when_stop_arrives_is_never_sent(household, provider, sender):
    ada = household[0]
    consent.opt_out(ada, "staff", "tester", notify=False)
    consent.opt_in(ada, ada.phone_numbers[0], "Email", "staff", "tester")  # queues "you are subscribed"
    db.session.commit()
    reply("STOP")
    dispatch()
    assert [sms.text for sms in provider.sent] == [notices.text("notice_opt_out")]


def test_staff_opt_out_cancels_only_that_contacts_messages_not_others_at_the_same_number(
    household, provider, agent, sender
):
    ada, _, firm, _ = household
    to_ada, to_firm = compose(ada, agent, sender), compose(firm, agent, sender)
    consent.opt_out(ada, "staff", "tester", notify=False)
    db.session.commit()
    db.session.refresh(to_ada), db.session.refresh(to_firm)
    assert (to_ada.status, to_firm.status) == ("canceled", "queued")


def test_start_reply_lifts_the_suppression_and_opts_every_owner_in_again(household, provider, sender):
    ada, byron, firm, _ = household
    reply("STOP")
    start = reply("Start")
    assert db.session.get(Suppression, (SHARED, "")) is None
    assert [consent.state_of(owner) for owner in (ada, byron, firm)] == ["opted_in"] * 3
    events = db.session.scalars(db.select(ConsentEvent).where(ConsentEvent.message_id == start.id)).all()
    assert len(events) == 3
    assert {(e.new_state, e.changed_by, e.source, e.consent_type, e.e164) for e in events} == {
        ("opted_in", "Unknown", "sms_reply", "SMS response", SHARED)
    }


def test_start_reply_is_confirmed_and_the_number_can_be_texted_again(household, provider, agent, sender):
    ada = household[0]
    reply("STOP")
    reply("unstop")
    dispatch()
    assert [sms.text for sms in provider.sent] == [notices.text("notice_opt_out"), notices.text("notice_opt_in")]
    compose(ada, agent, sender, body="Welcome back")
    dispatch()
    assert provider.sent[-1].text.startswith("Welcome back")


def test_help_reply_answers_with_the_business_name_and_support_phone_and_email(household, provider, sender):
    settings.put("business_name", "Lovelace Analytics")
    settings.put("support_phone", "(415) 555-0100")
    settings.put("support_email", "help@lovelace.example")
    db.session.commit()
    reply("help?")
    dispatch()
    [sms] = provider.sent
    assert sms.to == SHARED
    assert sms.text == (
        "Lovelace Analytics: for help, contact (415) 555-0100 or help@lovelace.example. Msg & data rates may apply. "
        "Reply STOP to unsubscribe."
    )


def test_help_reply_changes_no_consent(household, provider, sender):
    ada, byron, firm, _ = household
    reply("INFO")
    assert [consent.state_of(owner) for owner in (ada, byron, firm)] == ["opted_in", "never_asked", "opted_in"]
    assert db.session.get(Suppression, (SHARED, "")) is None


@pytest.mark.parametrize("text", ["Can you stop by at 3?", "1", "Yes", "2", "No"])
def test_an_ordinary_reply_changes_no_consent(household, provider, sender, text):
    ada = household[0]
    reply(text)
    assert consent.state_of(ada) == "opted_in"
    assert outbound() == []


def test_an_opted_out_contact_cannot_be_composed_to(household, provider, agent, sender):
    ada = household[0]
    consent.opt_out(ada, "staff", "tester", notify=False)
    db.session.commit()
    with pytest.raises(messages.MessageError, match="Opted out of SMS") as error:
        compose(ada, agent, sender)
    assert error.value.field == "phone"
    assert outbound() == []


def test_a_queued_message_to_a_contact_opted_out_since_is_canceled_when_claimed(household, provider, agent, sender):
    from crm_sms.models import Consent

    alan = household[3]
    message = compose(alan, agent, sender)
    db.session.execute(db.update(Consent).where(Consent.contact_id == alan.id).values(state="opted_out"))
    db.session.commit()  # an opt-out that raced past the cancel of waiting messages
    dispatch()
    db.session.refresh(message)
    assert provider.sent == []
    assert (message.status, message.reject_reason) == ("canceled", consent.OPTED_OUT)


def test_the_claim_reads_an_opt_out_committed_elsewhere_though_the_jobs_session_holds_the_old_row(
    app, household, provider, agent, sender
):
    from crm_sms.models import Consent

    alan = household[3]
    # A dispatch job keeps its session across batches without expiring it (as jobs.dispatch does).
    db.session().expire_on_commit = False
    compose(alan, agent, sender, body="First batch")
    for _ in dispatch_service.deliver(dispatch_service.claim(10)):
        db.session.commit()
    late = compose(alan, agent, sender, body="Second batch")
    loaded = consent.consent_of(alan)  # still in this session's identity map, as "opted in"
    with app.app_context():  # another process: an opt-out that raced past the cancel of waiting messages
        db.session.execute(db.update(Consent).where(Consent.contact_id == alan.id).values(state="opted_out"))
        db.session.commit()
    for _ in dispatch_service.deliver(dispatch_service.claim(10)):
        db.session.commit()
    assert [sms.text.split("\n")[0] for sms in provider.sent] == ["First batch"]
    assert (late.status, late.reject_reason, loaded.state) == ("canceled", consent.OPTED_OUT, "opted_out")


def test_the_claim_itself_cancels_a_message_to_a_number_suppressed_since_it_was_queued(
    household, provider, agent, sender
):
    message = compose(household[0], agent, sender)
    consent.suppress(SHARED)  # a STOP that raced past the cancel of waiting messages
    db.session.commit()
    assert dispatch_service.claim(10) == []
    assert (message.status, message.reject_reason) == ("canceled", consent.SUPPRESSED)


def test_a_notice_written_before_a_stop_it_raced_past_is_not_sent_but_the_confirmation_is(household, provider, sender):
    ada = household[0]
    consent.opt_out(ada, "staff", "tester", notify=False)
    consent.opt_in(ada, ada.phone_numbers[0], "Email", "staff", "tester")  # queues "you are subscribed"
    db.session.commit()
    consent.suppress(SHARED)  # a STOP committed at the same moment: its cancel did not see the notice
    db.session.commit()
    notices.send("notice_opt_out", SHARED, ada)  # that STOP's own confirmation, written after it
    db.session.commit()
    dispatch()
    assert [sms.text for sms in provider.sent] == [notices.text("notice_opt_out")]


def test_every_consent_change_is_announced_to_the_host(app, make_contact):
    from crm_sms import signals
    from crm_sms.services import consent

    contact = make_contact()
    heard = []
    with signals.consent_changed.connected_to(lambda sender, owner, event: heard.append((owner, event.new_state))):
        consent.opt_in(contact, contact.phone_numbers[0], "Email", "staff", "tester", notify=False)
        consent.opt_out(contact, "staff", "tester", notify=False)
    assert heard == [(contact, "opted_in"), (contact, "opted_out")]
