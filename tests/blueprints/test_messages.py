"""The SMS subpanel: what an agent sees when texting from a contact or account page."""

import re
from datetime import datetime, timedelta

import pytest

from crm_sms.models import Message, db
from crm_sms.queue import queue
from crm_sms.services import consent
from tests.conftest import record_of


def _errors(response):
    return [
        e.replace("&#39;", "'").replace("&amp;", "&") for e in re.findall(r'class="error"[^>]*>([^<]*)', response.text)
    ]


@pytest.fixture
def texting(login, make_contact, make_sender, opt_in):
    """An agent, a default sender, and an opted-in contact."""
    agent = login("agent")
    sender = make_sender()
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    return agent, sender, contact


def _send(client, owner, sender, body="Hello {{ contact.first_name }}", phone=None, kind="contacts", **extra):
    phone = phone if phone is not None else owner.phone_numbers[0].id
    data = {"sms-phone_id": phone, "sms-sender_id": sender.id, "sms-body": body, "action": "send", **extra}
    return client.post(f"/sms/{kind}/{owner.id}/messages", data=data, headers={"HX-Request": "true"})


def _messages():
    return db.session.scalars(db.select(Message)).all()


def test_contact_page_shows_the_sms_panel_with_the_preferred_number_chosen(client, texting):
    agent, sender, contact = texting
    page = client.get(f"/contacts/{contact.host_id}").text
    assert 'id="sms-panel"' in page
    assert re.search(rf'<option selected value="{contact.phone_numbers[0].id}">', page)
    assert f"Main · {sender.e164}" in page


def test_a_number_not_opted_in_is_shown_but_cannot_be_chosen(client, texting, make_contact):
    contact = make_contact("Alan", "Turing", numbers=("+14155550102",))
    page = client.get(f"/contacts/{contact.host_id}").text
    assert re.search(r'<option disabled value="\d+">\(415\) 555-0102 \(Mobile\) — Not opted in to SMS</option>', page)


def test_agent_queues_a_message_and_a_dispatch_after_the_commit(client, texting):
    agent, sender, contact = texting
    response = _send(client, contact, sender)
    assert response.status_code == 200 and "In queue" in response.text
    [message] = _messages()
    assert (message.status, message.phone_e164, message.sender_e164, message.author_id) == (
        "queued",
        "+14155550101",
        sender.e164,
        agent.id,
    )
    assert [job.func_name for job in queue().jobs] == ["crm_sms.jobs.dispatch.dispatch"]


@pytest.mark.parametrize(
    "change, field_error",
    [
        ({"sms-phone_id": "0"}, "Choose one of this record's numbers to send to."),
        ({"sms-body": "   "}, "Write a message."),
        (
            {"sms-body": "Hi {{ contact.shoe_size }}"},
            "Unknown variable {{ contact.shoe_size }}: messages to contacts can use",
        ),
        ({"sms-body": "Hi {{ contact.first_name"}, "A variable is not closed"),
        (
            {"sms-send_at": (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "The send date is in the past",
        ),
        ({"sms-body": "x" * 2000}, "The message is too long: 14 segments"),
        ({"sms-sender_id": "99999"}, "Choose a number you may send from."),
    ],
)
def test_bad_input_gets_a_clear_error_and_sends_nothing(client, texting, change, field_error):
    agent, sender, contact = texting
    data = {
        "sms-phone_id": contact.phone_numbers[0].id,
        "sms-sender_id": sender.id,
        "sms-body": "Hello",
        "action": "send",
        **change,
    }
    response = client.post(f"/sms/contacts/{contact.id}/messages", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert any(field_error in error for error in _errors(response)), _errors(response)
    assert _messages() == [] and queue().count == 0


def test_a_contact_who_opted_out_cannot_be_texted(client, texting):
    agent, sender, contact = texting
    consent.opt_out(contact, "staff", "tester")
    db.session.commit()
    response = _send(client, contact, sender)
    assert response.status_code == 422
    assert "(415) 555-0101 cannot be texted: Opted out of SMS." in _errors(response)
    assert [(m.kind, m.body) for m in _messages()] == [  # only the confirmation of the opt-out
        ("automatic", "Our business: you are unsubscribed and will get no more messages. Reply START to resubscribe.")
    ]


def test_a_suppressed_number_cannot_be_texted_whoever_has_it(client, texting):
    agent, sender, contact = texting
    consent.suppress(contact.phone_numbers[0].e164)
    db.session.commit()
    response = _send(client, contact, sender)
    assert "Opted out: this number replied STOP" in _errors(response)[0]


def test_another_users_own_number_cannot_be_used(client, texting, make_sender, make_user):
    agent, sender, contact = texting
    theirs = make_sender("+16285550109", user=make_user("agent2", "agent"))
    response = _send(client, contact, theirs)
    assert "Choose a number you may send from." in _errors(response)
    assert _messages() == []


def test_a_draft_is_saved_and_sent_later(client, texting):
    agent, sender, contact = texting
    _send(client, contact, sender, action="draft")
    [message] = _messages()
    assert message.status == "draft" and queue().count == 0
    response = client.post(f"/sms/messages/{message.id}/send", headers={"HX-Request": "true"})
    assert response.status_code == 200
    db.session.refresh(message)
    assert message.status == "queued" and queue().count == 1


def test_a_future_send_date_schedules_the_message(client, texting):
    agent, sender, contact = texting
    later = datetime.now() + timedelta(days=2)
    _send(client, contact, sender, **{"sms-send_at": later.strftime("%Y-%m-%dT%H:%M")})
    [message] = _messages()
    assert message.status == "queued"
    assert message.send_at > datetime.now(message.send_at.tzinfo) + timedelta(days=1)
    assert queue().count == 0 and queue().scheduled_job_registry.count == 1


def test_an_account_is_texted_at_its_office_number(client, texting, make_account, opt_in):
    agent, sender, contact = texting
    account = opt_in(make_account("Acme Logistics", numbers=("+12125550101",)))
    response = _send(client, account, sender, body="Hello {{ account.name }}", kind="accounts")
    assert response.status_code == 200
    [message] = _messages()
    assert (message.account_id, message.phone_e164) == (account.id, "+12125550101")


def test_an_account_message_cannot_use_contact_variables(client, texting, make_account, opt_in):
    agent, sender, contact = texting
    account = opt_in(make_account("Acme Logistics", numbers=("+12125550101",)))
    response = _send(client, account, sender, body="Hi {{ contact.first_name }}", kind="accounts")
    assert "Unknown variable {{ contact.first_name }}: messages to accounts can use" in _errors(response)[0]


def test_customers_cannot_see_or_send_sms(client, login, make_contact, make_sender, opt_in):
    customer = login("customer")
    contact = record_of(customer)
    opt_in(contact)
    sender = make_sender()
    assert 'id="sms-panel"' not in client.get(f"/contacts/{contact.host_id}").text
    assert _send(client, contact, sender).status_code == 403
    assert client.get(f"/sms/contacts/{contact.id}/list").status_code == 403
    assert _messages() == []


def test_the_message_list_polls_only_while_a_message_may_change(client, texting, provider):
    from crm_sms.jobs.dispatch import dispatch

    agent, sender, contact = texting
    _send(client, contact, sender)
    assert 'hx-trigger="every 2s"' in client.get(f"/sms/contacts/{contact.id}/list").text
    dispatch()
    [message] = _messages()
    message.status = "delivered"
    db.session.commit()
    listing = client.get(f"/sms/contacts/{contact.id}/list").text
    assert "Delivered" in listing and 'hx-trigger="every 2s"' not in listing


def test_view_shows_the_text_as_sent_and_its_history(client, texting, provider):
    from crm_sms.jobs.dispatch import dispatch

    agent, sender, contact = texting
    _send(client, contact, sender, body="Hello {{ contact.first_name }}")
    dispatch()
    [message] = _messages()
    detail = client.get(f"/sms/messages/{message.id}", headers={"HX-Request": "true"}).text
    assert "Hello Ada" in detail and "Reply STOP to unsubscribe." in detail
    assert all(status in detail for status in ("queued", "sending", "sent"))


def test_sent_messages_page_filters_and_exports(client, texting, provider, make_contact, opt_in):
    from crm_sms.jobs.dispatch import dispatch

    agent, sender, contact = texting
    _send(client, contact, sender, body="first")
    dispatch()
    _send(client, contact, sender, body="second", action="draft")
    page = client.get("/sms/messages?status=sent").text
    assert "Ada Lovelace" in page and page.count("badge status-") == 1
    assert client.get("/sms/messages?status=draft").text.count("badge status-") == 1
    csv = client.get("/sms/messages.csv?status=sent").text
    assert csv.splitlines()[0].startswith("id,created,direction,recipient")
    assert "Ada Lovelace,Contact" in csv and "first" in csv and "second" not in csv


def test_under_request_consent_the_agent_is_told_the_contact_was_asked(client, texting, make_contact):
    from crm_sms.services import settings

    agent, sender, contact = texting
    settings.put("consent_policy", "request_consent")
    db.session.commit()
    stranger = make_contact("Alan", "Turing", numbers=("+14155550102",))
    response = _send(client, stranger, sender, body="Hello")
    assert response.status_code == 200
    assert "Your contact has been sent a request to opt in." in response.text
    manual, request = sorted(_messages(), key=lambda m: m.kind != "manual")
    assert (manual.status, manual.hold_reason) == ("held", "awaiting_consent")
    assert request.kind == "automatic" and request.body.startswith("[Auto Message] agent is trying to reach you.")
