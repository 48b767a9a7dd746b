"""Consent policies (seed 001): require prior opt-in, request consent by SMS, or a disclaimer on the first message."""

import pytest

from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import ConsentEvent, Message, db
from crm_sms.services import consent, messages, notices, provider_events, settings
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"


@pytest.fixture
def agent(make_user):
    return make_user("grace", "agent")


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def stranger(make_contact):
    """A contact never asked for consent."""
    return make_contact("Ada", "Lovelace", numbers=(NUMBER,))


def policy(name):
    settings.put("consent_policy", name)
    db.session.commit()


def compose(owner, agent, sender, body="Your order is ready"):
    message = messages.compose(owner, owner.phone_numbers[0], sender, body, agent)
    db.session.commit()
    return message


def reply(text, to=OURS):
    message = provider_events.receive_inbound(inbound(text, msisdn=NUMBER.lstrip("+"), to=to.lstrip("+")))
    db.session.commit()
    return message


def shown_inbound(stmt):
    return db.session.scalars(stmt.where(Message.direction == "inbound")).all()


def sent_texts(provider):
    return [sms.text for sms in provider.sent]


def test_under_require_opt_in_a_never_asked_contact_cannot_be_texted(stranger, agent, sender):
    with pytest.raises(messages.MessageError, match="Not opted in"):
        compose(stranger, agent, sender)


# Request consent


def test_request_consent_holds_the_first_message_to_a_never_asked_contact(stranger, agent, sender, provider):
    policy("request_consent")
    message = compose(stranger, agent, sender)
    assert (message.status, message.hold_reason) == ("held", "awaiting_consent")
    dispatch()
    db.session.refresh(message)
    assert message.status == "held"


def test_request_consent_sends_the_request_naming_the_agent_and_awaits_the_reply(stranger, agent, sender, provider):
    policy("request_consent")
    compose(stranger, agent, sender)
    dispatch()
    assert [(sms.to, sms.sender) for sms in provider.sent] == [(NUMBER, OURS)]
    assert sent_texts(provider) == [
        "[Auto Message] grace is trying to reach you. As per company policy, you must provide your consent "
        "to continue messaging. To opt in, reply YES. To opt out, reply STOP."
    ]
    assert consent.state_of(stranger) == "awaiting_reply"


def test_request_consent_asks_once_however_many_messages_wait(stranger, agent, sender, provider):
    policy("request_consent")
    first, second = compose(stranger, agent, sender), compose(stranger, agent, sender, body="Also")
    dispatch()
    assert len(provider.sent) == 1
    assert (first.status, second.status) == ("held", "held")


def test_yes_to_the_request_releases_the_held_message_and_confirms(stranger, agent, sender, provider):
    policy("request_consent")
    message = compose(stranger, agent, sender)
    dispatch()
    reply("yes")
    dispatch()
    db.session.refresh(message)
    assert message.status == "sent"
    assert consent.state_of(stranger) == "opted_in"
    assert sent_texts(provider)[1:] == [
        "[Auto Message] Opt in confirmed. If you wish to opt out at any time, reply STOP.",
        "Your order is ready",
    ]  # the request already told how to stop


def test_stop_to_the_request_cancels_the_held_message_and_confirms_the_opt_out(stranger, agent, sender, provider):
    policy("request_consent")
    message = compose(stranger, agent, sender)
    dispatch()
    reply("STOP")
    dispatch()
    db.session.refresh(message)
    assert (message.status, message.reject_reason) == ("canceled", consent.OPTED_OUT)
    assert consent.state_of(stranger) == "opted_out"
    assert sent_texts(provider)[1:] == [notices.text("notice_opt_out")]


def test_stop_before_the_request_went_out_cancels_the_request_too(stranger, agent, sender, provider):
    policy("request_consent")
    compose(stranger, agent, sender)
    reply("STOP")  # from a phone that had not been asked yet: the request must not follow the opt-out
    dispatch()
    assert sent_texts(provider) == [notices.text("notice_opt_out")]


def test_a_contact_texting_first_is_asked_to_consent_to_reach_the_number_owner(
    stranger, make_user, make_sender, provider
):
    policy("request_consent")
    make_sender(OURS, user=make_user("grace", "agent"))
    reply("Hi, is my order ready?")
    dispatch()
    assert [(sms.to, sms.sender) for sms in provider.sent] == [(NUMBER, OURS)]
    assert sent_texts(provider) == [
        "[Auto Message] You are trying to reach grace. As per company policy, you must provide your consent "
        "in order for your message to be delivered. To opt in, reply YES. To opt out, reply STOP."
    ]
    assert consent.state_of(stranger) == "awaiting_reply"
    [event] = db.session.scalars(db.select(ConsentEvent)).all()
    assert (event.new_state, event.changed_by, event.source) == ("awaiting_reply", "Unknown", "sms_reply")


def test_a_contact_texting_a_shared_number_first_is_asked_to_reach_the_business(stranger, sender, provider):
    policy("request_consent")
    reply("Hello?")
    dispatch()
    assert sent_texts(provider)[0].startswith("[Auto Message] You are trying to reach Our business.")


def test_the_first_message_of_a_contact_texting_first_is_hidden_from_agents_until_yes(
    stranger, sender, provider, agent
):
    policy("request_consent")
    first = reply("Hi, is my order ready?")
    again = reply("Hello??")
    assert [(m.status, m.hold_reason) for m in (first, again)] == [("held", "awaiting_consent")] * 2
    assert shown_inbound(messages.for_record(stranger, agent)) == []
    assert shown_inbound(messages.search(agent)) == []
    yes = reply("YES")
    db.session.refresh(first), db.session.refresh(again)
    assert (first.status, again.status) == ("received", "received")
    assert (
        shown_inbound(messages.for_record(stranger, agent))
        == shown_inbound(messages.search(agent))
        == [yes, again, first]
    )


def test_a_contact_texting_first_is_asked_once(stranger, sender, provider):
    policy("request_consent")
    reply("Hi")
    reply("Anyone there?")
    dispatch()
    assert len(provider.sent) == 1


def test_a_contact_texting_first_who_replies_stop_is_confirmed_and_their_message_stays_hidden(
    stranger, sender, provider
):
    policy("request_consent")
    first = reply("Hi")
    reply("STOP")
    dispatch()
    assert sent_texts(provider)[-1] == notices.text("notice_opt_out")
    assert consent.state_of(stranger) == "opted_out"
    db.session.refresh(first)
    assert first.status == "held"


def test_a_keyword_as_the_first_message_is_acted_on_not_held(stranger, sender, provider):
    policy("request_consent")
    start = reply("START")
    assert start.status == "received"
    assert consent.state_of(stranger) == "opted_in"


def test_under_require_opt_in_a_contact_texting_first_is_shown_at_once(stranger, sender, provider):
    message = reply("Hi")
    assert message.status == "received"
    assert consent.state_of(stranger) == "never_asked"
    assert provider.sent == [] and dispatch() == 0


# Disclaimer


def test_under_disclaimer_a_never_asked_contact_can_be_texted(stranger, agent, sender, provider):
    policy("disclaimer")
    message = compose(stranger, agent, sender)
    dispatch()
    db.session.refresh(message)
    assert message.status == "sent"


def test_under_disclaimer_only_the_first_message_carries_the_disclaimer(stranger, agent, sender, provider):
    policy("disclaimer")
    settings.put("business_name", "Lovelace Analytics")
    db.session.commit()
    compose(stranger, agent, sender)
    dispatch()
    compose(stranger, agent, sender, body="It ships today")
    dispatch()
    assert sent_texts(provider) == [
        "Your order is ready\nThis is Lovelace Analytics. Msg & data rates may apply. Reply STOP to unsubscribe.",
        "It ships today",
    ]


def test_under_disclaimer_an_opted_out_contact_still_cannot_be_texted(stranger, agent, sender, provider):
    policy("disclaimer")
    consent.opt_out(stranger, "staff", "tester", notify=False)
    db.session.commit()
    with pytest.raises(messages.MessageError, match="Opted out of SMS"):
        compose(stranger, agent, sender)


def test_under_disclaimer_a_queued_message_to_a_contact_who_replied_stop_is_canceled(stranger, agent, sender, provider):
    policy("disclaimer")
    message = compose(stranger, agent, sender)
    reply("STOP")
    dispatch()
    db.session.refresh(message)
    assert message.status == "canceled"
    assert sent_texts(provider) == [notices.text("notice_opt_out")]


def test_a_message_hidden_until_consent_is_not_announced_to_the_host(stranger, sender, provider):
    from crm_sms import signals

    policy("request_consent")
    heard = []
    with signals.message_received.connected_to(lambda app, message, **_: heard.append(message.body)):
        reply("Hi, is my order ready?")
        reply("YES")
    assert heard == ["YES"]
