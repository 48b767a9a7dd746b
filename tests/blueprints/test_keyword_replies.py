"""Replies through the provider's inbound webhook: keywords honoured once, consent answers only in context,
possible opt-outs flagged for the owner (or opted out at once), ordinary replies alerting the owner."""

import pytest

from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import ConsentEvent, Conversation, Message, Notification, Suppression, db
from crm_sms.services import consent, messages, notices, replies, settings
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"
INBOUND_URL = "/sms/webhooks/vonage/inbound"


@pytest.fixture
def sender(make_sender):
    settings.put("support_phone", "+14155550000")  # a HELP answer names a way to reach the business
    return make_sender(OURS)


@pytest.fixture
def grace(make_user):
    return make_user("grace", "agent")


@pytest.fixture
def ada(make_contact):
    return make_contact("Ada", "Lovelace", numbers=(NUMBER,))


@pytest.fixture
def asked(ada, grace, sender, opt_in):
    """Grace asked Ada, who opted in earlier, to choose a day: no consent request is pending."""
    opt_in(ada)
    messages.compose(ada, ada.phone_numbers[0], sender, "Reply 1 for Tuesday, 2 for Wednesday", grace)
    db.session.commit()
    return ada


@pytest.fixture
def pending(ada, grace, sender):
    """Under "request consent", Grace's first message to Ada waits for her YES: a request is pending."""
    settings.put("consent_policy", "request_consent")
    messages.compose(ada, ada.phone_numbers[0], sender, "Your order is ready", grace)
    db.session.commit()
    assert consent.state_of(ada) == "awaiting_reply"
    return ada


def reply(client, text):
    """Post a reply to the inbound webhook as the provider does; returns the stored message."""
    response = client.post(INBOUND_URL, data=inbound(text, msisdn=NUMBER.lstrip("+"), to=OURS.lstrip("+")))
    assert response.status_code == 204
    db.session.expire_all()
    return db.session.scalar(db.select(Message).where(Message.direction == "inbound").order_by(Message.id.desc()))


def answers(message):
    """The automatic messages written because of ``message``, by name."""
    texts = {
        notices.text(name): name for name in ("notice_opt_out", "notice_opt_in", "notice_help", "notice_confirmed")
    }
    later = db.session.scalars(
        db.select(Message.body).where(Message.kind == "automatic", Message.id > message.id).order_by(Message.id)
    )
    return [texts.get(body, body) for body in later]


def alerted(user, message):
    return db.session.scalar(
        db.select(db.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.message_id == message.id
        )
    )


#: (reply, what it asks for) with no consent request pending: the contact is opted in already.
NOT_PENDING = [
    ("STOP", "opt_out"),
    ("stop.", "opt_out"),
    ("Stop 🛑", "opt_out"),
    ("opt out", "opt_out"),
    ("opt-out", "opt_out"),
    ("OPT-OUT!", "opt_out"),
    ("Unsubscribe please", "opt_out"),
    ("STOP thanks", "opt_out"),
    ("Stop!! thank you 🙏", "opt_out"),
    ("stop pls", "opt_out"),
    ("ＳＴＯＰ", "opt_out"),
    ("Arrêt", "opt_out"),
    ("cancel", "opt_out"),
    ("quit", "opt_out"),
    ("END.", "opt_out"),
    ("revoke", "opt_out"),
    ("START", "opt_in"),
    ("unstop", "opt_in"),
    ("HELP", "help"),
    ("info?", "help"),
    ("please stop texting me", "possible_opt_out"),
    ("don't text me anymore", "possible_opt_out"),
    ("remove me from your list", "possible_opt_out"),
    ("unsubscribe me", "opt_out"),
    ("take me off", "possible_opt_out"),
    ("arrêtez de m'envoyer des messages", "possible_opt_out"),
    ("désabonner", "possible_opt_out"),
    ("no más", "possible_opt_out"),
    ("no me envíen más mensajes", "possible_opt_out"),
    ("baja", "possible_opt_out"),
    ("1", "ordinary"),
    ("2", "ordinary"),
    ("Yes", "ordinary"),
    ("Y", "ordinary"),
    ("No", "ordinary"),
    ("Yes!! 👍", "ordinary"),
    ("Can you stop by at 3?", "ordinary"),
    ("I need to cancel my appointment", "ordinary"),
    ("When does it start?", "ordinary"),
    ("Thanks!", "ordinary"),
]
#: The same kinds of reply while a consent request is pending (a possible opt-out refuses it).
PENDING = [
    ("Yes", "opt_in"),
    ("yes please", "opt_in"),
    ("1", "opt_in"),
    ("Y", "opt_in"),
    ("START", "opt_in"),
    ("No", "opt_out"),
    ("2", "opt_out"),
    ("STOP", "opt_out"),
    ("opt-out", "opt_out"),
    ("please stop texting me", "opt_out"),
    ("no más", "opt_out"),
    ("HELP", "help"),
    ("Yes, Tuesday works", "ordinary"),
    ("11", "ordinary"),
    ("Hello?", "ordinary"),
]


@pytest.mark.parametrize("text, expected", NOT_PENDING, ids=[t for t, _ in NOT_PENDING])
def test_a_reply_with_no_request_pending_does_what_its_writer_meant(client, provider, asked, grace, text, expected):
    message = reply(client, text)
    suppressed = db.session.get(Suppression, (NUMBER, "")) is not None
    if expected == "opt_out":
        assert (suppressed, consent.state_of(asked), answers(message)) == (True, "opted_out", ["notice_opt_out"])
    else:
        assert (suppressed, consent.state_of(asked)) == (False, "opted_in")
    if expected == "opt_in":  # already in: nothing changes, nothing is sent
        assert answers(message) == []
    if expected == "help":
        assert answers(message) == ["notice_help"]
    if expected in ("possible_opt_out", "ordinary"):
        assert answers(message) == []
    assert message.flag == ("possible_opt_out" if expected == "possible_opt_out" else None)
    assert alerted(grace, message) == (1 if expected in ("possible_opt_out", "ordinary") else 0)


@pytest.mark.parametrize("text, expected", PENDING, ids=[t for t, _ in PENDING])
def test_a_reply_while_a_request_is_pending_answers_it(client, provider, pending, grace, text, expected):
    message = reply(client, text)
    state = consent.state_of(pending)
    if expected == "opt_in":
        assert (state, answers(message)) == ("opted_in", ["notice_confirmed"])
    elif expected == "opt_out":
        assert (state, answers(message)) == ("opted_out", ["notice_opt_out"])
        assert db.session.get(Suppression, (NUMBER, "")) is not None
    elif expected == "help":
        assert (state, answers(message)) == ("awaiting_reply", ["notice_help"])
    else:  # hidden until the contact says YES, as any message under "request consent"
        assert (state, answers(message), message.status) == ("awaiting_reply", [], "held")


def test_the_tables_hold_sixty_replies_and_every_outcome():
    assert len(NOT_PENDING) + len(PENDING) >= 55
    assert {e for _, e in NOT_PENDING} == {"opt_out", "opt_in", "help", "possible_opt_out", "ordinary"}


# One confirmation per change of state


def test_repeated_stops_are_confirmed_once_and_each_is_recorded(client, provider, asked):
    stops = [reply(client, text) for text in ("STOP", "stop", "Stop!!", "OPT-OUT", "unsubscribe")]
    dispatch()
    assert [sms.text for sms in provider.sent if sms.text == notices.text("notice_opt_out")] == [
        notices.text("notice_opt_out")
    ]
    assert all(stop.status == "received" for stop in stops)
    assert all("already opted out" in stop.events[-1].note for stop in stops[1:])
    assert (
        db.session.scalar(db.select(db.func.count(ConsentEvent.id)).where(ConsentEvent.new_state == "opted_out")) == 1
    )


def test_stop_start_stop_confirms_each_change_once(client, provider, asked):
    for text in ("STOP", "STOP", "START", "START", "STOP"):
        reply(client, text)
        dispatch()
    assert [sms.text for sms in provider.sent if "Reply 1 for" not in sms.text] == [
        notices.text("notice_opt_out"),
        notices.text("notice_opt_in"),
        notices.text("notice_opt_out"),
    ]


def test_start_from_a_number_already_opted_in_changes_and_sends_nothing(client, provider, asked):
    audited = db.session.scalar(db.select(db.func.count(ConsentEvent.id)))
    message = reply(client, "START")
    assert answers(message) == []
    assert db.session.scalar(db.select(db.func.count(ConsentEvent.id))) == audited
    assert "already opted in" in message.events[-1].note


def test_one_and_yes_with_no_request_pending_alert_the_owner_and_send_nothing(client, provider, asked, grace):
    for text in ("1", "Yes"):
        message = reply(client, text)
        assert alerted(grace, message) == 1
        assert answers(message) == []
        assert message.flag is None
    assert consent.state_of(asked) == "opted_in"
    assert db.session.scalar(db.select(Conversation.awaiting_since)) is not None  # it waits for Grace's answer
    dispatch()
    assert [sms.text.split("\n")[0] for sms in provider.sent] == ["Reply 1 for Tuesday, 2 for Wednesday"]


def test_two_with_no_request_pending_opts_nobody_out(client, provider, asked, grace):
    message = reply(client, "2")
    assert consent.state_of(asked) == "opted_in"
    assert db.session.get(Suppression, (NUMBER, "")) is None
    assert alerted(grace, message) == 1


def test_help_is_answered_once_an_hour_per_number(client, provider, asked):
    first, second = reply(client, "HELP"), reply(client, "help?")
    assert (answers(first), answers(second)) == (["notice_help"], [])
    assert "not again" in second.events[-1].note


def test_help_is_answered_again_after_an_hour(client, provider, asked):
    first = reply(client, "HELP")
    answer = db.session.scalar(db.select(Message).where(Message.kind == "automatic", Message.id > first.id))
    answer.created_at -= replies.HELP_EVERY
    db.session.commit()
    assert answers(reply(client, "HELP")) == ["notice_help"]


# Possible opt-outs


def test_a_possible_opt_out_is_flagged_and_alerts_the_owner_but_changes_no_consent(client, provider, asked, grace):
    message = reply(client, "Please stop texting me")
    assert (message.flag, alerted(grace, message), consent.state_of(asked)) == ("possible_opt_out", 1, "opted_in")
    dispatch()
    assert [sms.text.split("\n")[0] for sms in provider.sent] == ["Reply 1 for Tuesday, 2 for Wednesday"]


def test_the_admin_setting_opts_a_possible_opt_out_out_at_once(client, provider, asked, grace):
    settings.put("possible_opt_out_action", "opt_out")
    db.session.commit()
    message = reply(client, "remove me from your list")
    assert message.flag == "possible_opt_out"
    assert consent.state_of(asked) == "opted_out"
    assert db.session.get(Suppression, (NUMBER, "")) is not None
    assert answers(message) == ["notice_opt_out"]
    assert alerted(grace, message) == 0


def test_a_possible_opt_out_under_request_consent_is_shown_not_hidden(client, provider, ada, grace, sender, opt_in):
    settings.put("consent_policy", "request_consent")
    db.session.commit()
    message = reply(client, "don't text me anymore")  # Ada was never asked: no request goes, nothing is hidden
    assert (message.status, message.flag, consent.state_of(ada)) == ("received", "possible_opt_out", "never_asked")
    assert answers(message) == []
