"""A reply flagged as a possible opt-out: shown in its conversation with one click that opts the number out."""

import re

import pytest

from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import ConsentEvent, Conversation, ConversationEvent, Message, Suppression, db
from crm_sms.services import consent, messages, notices, provider_events
from tests.conftest import PASSWORD
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))


def text(owner, author, sender, body="Your order is ready"):
    messages.compose(owner, owner.phone_numbers[0], sender, body, author)
    db.session.commit()


def receive(body, number=NUMBER):
    message = provider_events.receive_inbound(inbound(body, msisdn=number.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()
    return message


def conversation_of(number=NUMBER):
    return db.session.scalar(db.select(Conversation).where(Conversation.phone_e164 == number))


def click(client, message, conversation=None):
    conversation = conversation or conversation_of(message.phone_e164)
    return client.post(f"/sms/conversations/{conversation.id}/messages/{message.id}/opt-out")


def opt_out_notices():
    return db.session.scalar(db.select(db.func.count(Message.id)).where(Message.body == notices.text("notice_opt_out")))


def test_the_owner_sees_the_flag_and_the_one_click_opt_out(client, login, ada, sender):
    text(ada, login("agent"), sender)
    message = receive("Please stop texting me")
    page = client.get(f"/sms/conversations/{conversation_of().id}").text
    bubble = page.split(f'id="bubble-{message.id}"')[1].split('id="bubble-')[0]
    assert "Possible opt-out" in bubble
    assert f'action="/sms/conversations/{conversation_of().id}/messages/{message.id}/opt-out"' in bubble
    assert "Opt out this number" in bubble


def test_the_owners_alert_shows_the_flag(client, login, ada, sender):
    text(ada, login("agent"), sender)
    receive("Please stop texting me")
    alerts = client.get("/sms/notifications").text
    assert "Please stop texting me" in alerts and "Possible opt-out" in alerts


def test_an_ordinary_reply_shows_no_flag(client, login, ada, sender):
    text(ada, login("agent"), sender)
    receive("See you Tuesday")
    assert "Possible opt-out" not in client.get(f"/sms/conversations/{conversation_of().id}").text
    assert "Possible opt-out" not in client.get("/sms/notifications").text


def test_one_click_opts_the_number_out_as_stop_would_audited_with_who_and_the_message(
    client, login, ada, sender, provider
):
    me = login("agent")
    text(ada, me, sender)
    message = receive("remove me from your list")
    response = click(client, message)
    assert response.status_code == 303 and response.location == f"/sms/conversations/{conversation_of().id}"
    db.session.expire_all()
    assert consent.state_of(ada) == "opted_out"
    assert db.session.get(Suppression, (NUMBER, "")) is not None
    [event] = db.session.scalars(db.select(ConsentEvent).where(ConsentEvent.new_state == "opted_out")).all()
    assert (event.changed_by, event.source, event.message_id, event.e164) == ("agent", "staff", message.id, NUMBER)
    [moved] = db.session.scalars(db.select(ConversationEvent).where(ConversationEvent.kind == "opted_out")).all()
    assert moved.user_id == me.id
    clicked = message.events[-1]
    assert (clicked.actor_id, clicked.source, clicked.note) == (me.id, "user", "possible opt-out: number opted out")
    dispatch()
    assert [sms.text for sms in provider.sent][-1] == notices.text("notice_opt_out")
    page = client.get(f"/sms/conversations/{conversation_of().id}").text
    assert "This number is opted out." in page and "Opt out this number" not in page
    assert "Opted the number out (it asked to stop)" in page


def test_a_second_click_changes_and_sends_nothing_more(client, login, ada, sender):
    text(ada, login("agent"), sender)
    message = receive("please stop texting me")
    click(client, message)
    response = click(client, message)
    assert response.status_code == 303
    assert "is already opted out" in client.get(response.location).text
    assert opt_out_notices() == 1


def test_a_message_that_is_no_possible_opt_out_cannot_be_clicked_out(client, login, ada, sender):
    text(ada, login("agent"), sender)
    message = receive("See you Tuesday")
    response = click(client, message)
    assert "is not a possible opt-out" in client.get(response.location).text
    assert consent.state_of(ada) == "opted_in" and db.session.get(Suppression, (NUMBER, "")) is None


def test_a_message_of_another_conversation_is_refused(client, login, ada, make_contact, opt_in, sender):
    me = login("agent")
    other = opt_in(make_contact("Alan", "Turing", numbers=("+14155550102",)))
    text(ada, me, sender)
    text(other, me, sender)
    theirs = receive("please stop texting me", number="+14155550102")
    click(client, theirs, conversation=conversation_of(NUMBER))
    assert consent.state_of(other) == "opted_in" and consent.state_of(ada) == "opted_in"


def test_an_agent_who_may_not_read_the_conversation_is_refused(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    message = receive("please stop texting me")
    login("agent")
    assert click(client, message).status_code == 404
    assert consent.state_of(ada) == "opted_in" and db.session.get(Suppression, (NUMBER, "")) is None


def test_a_customer_is_refused(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    message = receive("please stop texting me")
    login("customer")
    assert click(client, message).status_code == 403
    assert consent.state_of(ada) == "opted_in"


def test_the_click_needs_a_csrf_token(make_app, make_user, ada, sender):
    app = make_app(WTF_CSRF_ENABLED=True)
    text(ada, make_user("grace", "agent"), sender)
    message = receive("please stop texting me")
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "grace", "password": PASSWORD, "csrf_token": token})
    assert click(client, message).status_code == 400
    assert consent.state_of(ada) == "opted_in"
    page = client.get(f"/sms/conversations/{conversation_of().id}").text
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page.split("possible-opt-out")[1]).group(1)
    response = client.post(
        f"/sms/conversations/{conversation_of().id}/messages/{message.id}/opt-out", data={"csrf_token": form_token}
    )
    assert response.status_code == 303
    assert consent.state_of(ada) == "opted_out"
