"""Proof of consent and the opt-out scope: what each change keeps, whom a STOP stops, who may lift it."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import ConsentEvent, Message, Suppression, db
from crm_sms.services import consent, messages, notices, provider_events, settings, suppressions
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
MAIN, SALES = "+16285550100", "+16285550109"


@pytest.fixture
def agent(make_user):
    return make_user("agent", "agent")


@pytest.fixture
def main(make_sender):
    return make_sender(MAIN)


@pytest.fixture
def sales(make_sender):
    return make_sender(SALES, is_default=False)


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))


def scope(value):
    settings.put("opt_out_scope", value)
    db.session.commit()


def reply(text, to=MAIN, number=NUMBER):
    message = provider_events.receive_inbound(inbound(text, msisdn=number.lstrip("+"), to=to.lstrip("+")))
    db.session.commit()
    return message


def compose(owner, agent, sender, body="Hello"):
    message = messages.compose(owner, owner.phone_numbers[0], sender, body, agent)
    db.session.commit()
    return message


def events(owner):
    db.session.expire_all()
    return db.session.scalars(
        db.select(ConsentEvent).where(ConsentEvent.contact_id == owner.id).order_by(ConsentEvent.id)
    ).all()


# Who may lift a STOP


def test_staff_cannot_opt_a_stopped_number_back_in_and_nothing_changes(ada, main, provider):
    reply("STOP")
    before = len(events(ada))
    with pytest.raises(consent.StopInForce, match=r"replied STOP.*texting START to \(628\) 555-0100"):
        consent.opt_in(ada, ada.phone_numbers[0], "Email", "staff", "dana")
    db.session.rollback()
    assert consent.state_of(ada) == "opted_out" and len(events(ada)) == before
    assert db.session.get(Suppression, (NUMBER, "")) is not None


def test_an_import_cannot_lift_a_stop_either(ada, main, provider, make_contact):
    reply("STOP")
    newcomer = make_contact("New", "Comer", numbers=(NUMBER,))
    with pytest.raises(consent.StopInForce):
        consent.opt_in(newcomer, newcomer.phone_numbers[0], "Paper", "import", "importer", notify=False)


def test_the_number_itself_lifts_its_stop_with_start(ada, main, provider):
    reply("STOP")
    reply("START")
    assert consent.state_of(ada) == "opted_in"
    assert db.session.scalars(db.select(Suppression)).all() == []


def test_a_suppression_staff_made_is_lifted_by_a_staff_opt_in(ada, main, provider):
    consent.suppress(NUMBER, source="staff")
    consent.opt_in(ada, ada.phone_numbers[0], "Email", "staff", "dana", notify=False)
    db.session.commit()
    assert db.session.scalars(db.select(Suppression)).all() == []


# One automatic text an hour for web changes


def test_a_web_change_may_text_a_number_once_an_hour(ada, main):
    assert notices.web_notice_due(NUMBER)
    notices.send("notice_opt_in", NUMBER, ada)
    db.session.commit()
    assert not notices.web_notice_due(NUMBER)
    assert notices.web_notice_due(NUMBER, now=datetime.now(UTC) + notices.WEB_INTERVAL + timedelta(seconds=1))


# What each change keeps


def test_an_sms_reply_keeps_its_own_text_after_the_message_is_deleted(ada, main, provider):
    stop = reply("Stop.")
    db.session.execute(db.delete(Message).where(Message.id == stop.id))
    db.session.commit()
    [opted_in, opted_out] = events(ada)
    assert db.session.get(Message, stop.id) is None
    assert (opted_out.wording, opted_out.channel) == ("Stop.", "sms_reply")
    assert opted_in.channel == "web_form"  # the fixture's staff opt-in


def test_a_consent_request_keeps_the_text_it_sent(make_contact, main, provider):
    settings.put("consent_policy", "request_consent")
    nina = make_contact("Nina", "Never", numbers=(NUMBER,))
    consent.request(nina, nina.phone_numbers[0], "Dana")
    db.session.commit()
    [event] = events(nina)
    assert event.wording == notices.text("notice_request_mt", "Dana") and "Dana is trying to reach you" in event.wording
    assert event.channel == "sms_request"


def test_opt_in_and_out_keep_the_wording_version_and_channel_they_are_given(ada):
    consent.opt_out(ada, "api", "crm-sync", wording="Unsubscribe", wording_version="v7", channel="api")
    db.session.commit()
    event = events(ada)[-1]
    assert (event.wording, event.wording_version, event.channel, event.changed_by) == (
        "Unsubscribe",
        "v7",
        "api",
        "crm-sync",
    )


# Whom a STOP stops


def test_by_default_a_stop_to_one_sender_stops_every_sender(ada, agent, main, sales, provider):
    reply("STOP", to=SALES)
    assert consent.state_of(ada) == "opted_out"
    with pytest.raises(messages.MessageError, match="cannot be texted"):
        compose(ada, agent, main)


def test_with_sender_scope_a_stop_stops_only_the_sender_texted(ada, agent, main, sales, provider):
    scope("sender")
    waiting_main, waiting_sales = compose(ada, agent, main, "From main"), compose(ada, agent, sales, "From sales")
    reply("STOP", to=SALES)
    assert consent.state_of(ada) == "opted_in"  # other senders may still text them
    assert db.session.get(Suppression, (NUMBER, SALES)) is not None
    db.session.refresh(waiting_sales), db.session.refresh(waiting_main)
    assert (waiting_sales.status, waiting_main.status) == ("canceled", "queued")
    with pytest.raises(messages.MessageError, match="replied STOP"):
        compose(ada, agent, sales, "Again")
    compose(ada, agent, main, "Still fine")
    dispatch()
    sent = [(sms.sender, sms.text.split("\n")[0]) for sms in provider.sent]
    assert (MAIN, "From main") in sent and (MAIN, "Still fine") in sent
    assert [text for sender, text in sent if sender == SALES] == [notices.text("notice_opt_out")]


def test_with_sender_scope_the_record_audit_names_the_sender_opted_out_of(ada, main, sales, provider):
    scope("sender")
    stop = reply("STOP", to=SALES)
    event = events(ada)[-1]
    assert (event.new_state, event.sender_e164, event.wording, event.message_id) == (
        "opted_out",
        SALES,
        "STOP",
        stop.id,
    )


def test_with_sender_scope_the_dispatcher_refuses_only_the_stopped_senders_messages(ada, agent, main, sales, provider):
    scope("sender")
    from_main, from_sales = compose(ada, agent, main, "A"), compose(ada, agent, sales, "B")
    consent.suppress(NUMBER, sender_e164=SALES)  # raced past the cancel of waiting messages
    db.session.commit()
    assert consent.blocked([from_main, from_sales]) == {from_sales.id: consent.SUPPRESSED}


def test_with_sender_scope_start_to_that_sender_lifts_its_stop(ada, agent, main, sales, provider):
    scope("sender")
    reply("STOP", to=SALES)
    reply("START", to=SALES)
    assert db.session.scalars(db.select(Suppression)).all() == []
    compose(ada, agent, sales, "Welcome back")
    assert events(ada)[-1].sender_e164 == SALES and events(ada)[-1].new_state == "opted_in"


def test_with_sender_scope_start_to_another_sender_lifts_nothing(ada, main, sales, provider):
    scope("sender")
    reply("STOP", to=SALES)
    reply("START", to=MAIN)
    assert db.session.get(Suppression, (NUMBER, SALES)) is not None


def test_choosing_every_sender_again_makes_earlier_sender_stops_cover_all(ada, agent, main, sales, provider):
    scope("sender")
    reply("STOP", to=SALES)
    scope("all")
    assert consent.reasons(ada)[ada.phone_numbers[0]] == consent.SUPPRESSED
    with pytest.raises(messages.MessageError, match="replied STOP"):
        compose(ada, agent, main)


def test_a_stop_taken_under_every_sender_stays_so_under_sender_scope(ada, agent, main, sales, provider):
    reply("STOP", to=SALES)
    scope("sender")
    assert consent.reasons(ada, MAIN)[ada.phone_numbers[0]] == consent.SUPPRESSED


def test_sender_scope_ends_when_the_revoke_all_rule_takes_effect(ada, main, sales, provider, monkeypatch):
    scope("sender")
    assert suppressions.scope() == "sender"
    rule_day = datetime(2027, 1, 31, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(suppressions, "utcnow", lambda: rule_day)
    assert suppressions.scope() == "all"
    reply("STOP", to=SALES)
    assert consent.state_of(ada) == "opted_out"
    assert db.session.get(Suppression, (NUMBER, "")) is not None
