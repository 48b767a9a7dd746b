"""The inbox pages: tabs, a conversation as a chat, replies, moves, alerts, the report, and who may see what."""

import re

import pytest

from crm_sms.crm.models import Contact
from crm_sms.models import Conversation, Message, db
from crm_sms.services import conversations, inbox, messages, provider_events
from tests.conftest import PASSWORD
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"


@pytest.fixture
def ada(make_contact, opt_in):
    return opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))


@pytest.fixture
def sender(make_sender):
    return make_sender(OURS)


def text(owner, author, sender, body="Hello from us"):
    message = messages.compose(owner, owner.phone_numbers[0], sender, body, author)
    db.session.commit()
    return message


def receive(body="Hi, a question", number=NUMBER):
    message = provider_events.receive_inbound(inbound(body, msisdn=number.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()
    return message


def the_conversation():
    return db.session.scalar(db.select(Conversation))


def test_the_inbox_lists_my_conversations_with_unread_and_unanswered_state(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender)
    receive("Is my order ready?")

    page = client.get("/sms/inbox")

    assert page.status_code == 200
    assert "Ada Lovelace" in page.text and "Is my order ready?" in page.text
    assert "1 new" in page.text and "Unanswered" in page.text


def test_the_inbox_list_alone_for_htmx(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender)

    page = client.get("/sms/inbox?tab=mine", headers={"HX-Request": "true"})

    assert page.text.lstrip().startswith('<div id="inbox-list"')
    assert "HX-Request" in page.headers["Vary"]


def test_agents_have_no_all_tab(client, login):
    login("agent")
    assert client.get("/sms/inbox?tab=all").status_code == 404
    assert ">All<" not in client.get("/sms/inbox").text


def test_managers_see_every_conversation(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    login("manager")

    page = client.get("/sms/inbox?tab=all")

    assert page.status_code == 200 and "Ada Lovelace" in page.text


def test_the_thread_shows_the_messages_as_a_chat_and_marks_them_read(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender, "Your order is ready")
    receive("Thanks!")
    conversation = the_conversation()

    page = client.get(f"/sms/conversations/{conversation.id}")

    assert page.status_code == 200
    assert page.text.index("Your order is ready") < page.text.index("Thanks!")
    assert "Open the contact" in page.text
    assert inbox.unread(me) == {}


def test_an_agent_cannot_read_a_conversation_that_is_not_theirs(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    login("agent")
    conversation = the_conversation()

    assert client.get(f"/sms/conversations/{conversation.id}").status_code == 404
    assert client.get(f"/sms/conversations/{conversation.id}/messages").status_code == 404
    assert client.post(f"/sms/conversations/{conversation.id}/messages", data={"body": "Hi"}).status_code == 404
    assert client.post(f"/sms/conversations/{conversation.id}/join").status_code == 404


def test_an_agent_can_read_a_pooled_conversation(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    receive()
    conversation = the_conversation()
    conversations.release(now=conversation.due_at)
    db.session.commit()
    login("agent")

    assert client.get(f"/sms/conversations/{conversation.id}").status_code == 200
    assert "Ada Lovelace" in client.get("/sms/inbox?tab=pool").text


def test_customers_have_no_inbox(client, login):
    login("customer")
    assert client.get("/sms/inbox").status_code == 403
    assert client.get("/sms/inbox/counts").status_code == 403


def test_the_report_is_for_managers(client, login):
    login("agent")
    assert client.get("/sms/conversations/report").status_code == 403


def test_a_reply_is_sent_and_the_thread_comes_back_with_it(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender)
    receive()
    conversation = the_conversation()

    response = client.post(
        f"/sms/conversations/{conversation.id}/messages", data={"body": "On its way"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert 'id="thread"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "On its way" in response.text
    assert 'id="sms-body"' in response.text and "On its way</textarea>" not in response.text  # a fresh form
    assert not the_conversation().unanswered


def test_a_bad_reply_is_refused_in_place_and_nothing_is_sent(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender)
    conversation = the_conversation()

    response = client.post(
        f"/sms/conversations/{conversation.id}/messages",
        data={"body": "Hi {{ contact.nickname }}"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 422
    assert "Unknown variable {{ contact.nickname }}" in response.text
    assert "Hi {{ contact.nickname }}</textarea>" in response.text  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_taking_a_pooled_conversation(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    receive()
    conversation = the_conversation()
    conversations.release(now=conversation.due_at)
    db.session.commit()
    me = login("agent")

    response = client.post(f"/sms/conversations/{conversation.id}/take", headers={"HX-Request": "true"})

    assert response.status_code == 200 and 'id="people"' in response.text
    db.session.expire_all()
    assert the_conversation().owner == me
    again = client.post(f"/sms/conversations/{conversation.id}/take", headers={"HX-Request": "true"})
    assert again.status_code == 422 and "not in the pool any more" in again.text


def test_leaving_a_conversation_you_may_no_longer_read_goes_back_to_the_inbox(client, login, make_user, ada, sender):
    grace = make_user("grace", "agent")
    me = login("agent")
    text(ada, grace, sender)
    text(ada, me, sender)  # subscribed
    conversation = the_conversation()

    response = client.post(f"/sms/conversations/{conversation.id}/leave", headers={"HX-Request": "true"})

    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/sms/inbox"


def test_an_unknown_number_becomes_a_contact_from_its_conversation(client, login, sender, phone_types):
    login("agent")
    receive("Who is this?", number="+14155550177")
    conversation = the_conversation()
    page = client.get(f"/sms/conversations/{conversation.id}")
    assert "Unknown number" in page.text and "Create contact" in page.text

    response = client.post(
        f"/sms/conversations/{conversation.id}/contact",
        data={
            "contact-first_name": "Mary",
            "contact-last_name": "Shelley",
            "contact-phone_type": phone_types["Mobile"].id,
        },
    )

    assert response.status_code == 303
    contact = db.session.scalar(db.select(Contact).where(Contact.last_name == "Shelley"))
    assert the_conversation().contact.host_id == str(contact.id)


def test_a_contact_needs_a_name(client, login, sender, phone_types):
    login("agent")
    receive("Who is this?", number="+14155550177")
    conversation = the_conversation()

    response = client.post(
        f"/sms/conversations/{conversation.id}/contact",
        data={
            "contact-first_name": " ",
            "contact-last_name": "",
            "contact-phone_type": phone_types["Mobile"].id,
        },
    )

    assert response.status_code == 422 and "Enter a first or a last name." in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 0


def test_the_navigation_counts_alerts_and_the_pool(client, login, make_user, ada, sender):
    me = login("agent")
    text(ada, me, sender)
    receive()
    receive("From a stranger", number="+14155550177")

    badge = client.get("/sms/inbox/counts")

    assert 'title="Unread alerts">1</span>' in badge.text  # Ada's message; the stranger's alerts nobody
    assert "1 in pool" in badge.text


def test_alerts_list_and_mark_all_read(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender)
    receive("Are you open today?")

    page = client.get("/sms/notifications")
    assert "Are you open today?" in page.text and "New" in page.text

    client.post("/sms/notifications/read")
    assert inbox.counts(me)["alerts"] == 0


def test_the_report_page(client, login, make_user, ada, sender):
    grace = make_user("grace", "agent")
    text(ada, grace, sender)
    receive()
    messages.reply(the_conversation(), "Answer", grace)
    db.session.commit()
    login("manager")

    page = client.get("/sms/conversations/report")

    assert page.status_code == 200
    assert "grace" in page.text and "Median first response" in page.text


def test_every_conversation_form_needs_a_csrf_token(make_app, ada, sender, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    grace = make_user("grace", "agent")
    text(ada, grace, sender)
    id = the_conversation().id
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "grace", "password": PASSWORD, "csrf_token": token})

    for url in [
        f"/sms/conversations/{id}/messages",
        f"/sms/conversations/{id}/leave",
        f"/sms/conversations/{id}/join",
        f"/sms/conversations/{id}/take",
        f"/sms/conversations/{id}/contact",
        "/sms/notifications/read",
    ]:
        assert client.post(url, data={"body": "Hi"}).status_code == 400, url
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1
    assert the_conversation().owner == grace


def test_the_contacts_sms_panel_links_to_its_conversations(client, login, ada, sender):
    me = login("agent")
    text(ada, me, sender)

    panel = client.get(f"/sms/contacts/{ada.id}/panel")

    assert f'href="/sms/conversations/{the_conversation().id}"' in panel.text


def test_an_agent_cannot_read_someone_elses_conversation_on_the_contact_page_or_the_messages_list(
    client, login, make_user, ada, sender
):
    grace = make_user("grace", "agent")
    text(ada, grace, sender, "Our private chat")
    receive("My account number is 1234")
    message = db.session.scalar(db.select(Message).where(Message.direction == "inbound"))
    login("agent")

    panel = client.get(f"/sms/contacts/{ada.id}/panel").text
    assert "My account number" not in panel and f"/sms/conversations/{the_conversation().id}" not in panel
    assert "0 in all" in client.get("/sms/messages").text
    assert "My account number" not in client.get("/sms/messages.csv").text
    assert client.get(f"/sms/messages/{message.id}").status_code == 404


def test_a_manager_reads_every_conversation_everywhere(client, login, make_user, ada, sender):
    text(ada, make_user("grace", "agent"), sender)
    receive("My account number is 1234")
    login("manager")

    assert "My account number" in client.get(f"/sms/contacts/{ada.id}/panel").text
    assert "2 in all" in client.get("/sms/messages").text
    assert "My account number" in client.get("/sms/messages.csv").text
