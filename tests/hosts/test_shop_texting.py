"""Texting a customer of the second host (examples/shop_crm) from its own pages: the message's whole story,
replies, STOP, a number edited on the host's form, and records whose numbers cannot be texted."""

from crm_sms.models import Conversation, Message, MessageEvent, Suppression
from crm_sms.services import conversations
from examples.shop_crm.models import db
from tests.conftest import wait_until
from tests.fakes.vonage import inbound

from .conftest import compose_url, enabled_phones, options, panel_of, text_from_page, work

INBOUND_URL = "/sms/webhooks/vonage/inbound"
OURS = "16285550100"


def _outbound():
    db.session.expire_all()
    return db.session.scalars(db.select(Message).where(Message.direction == "outbound").order_by(Message.id)).all()


def _reply(shop, body, msisdn="14155550101"):
    response = shop.test_client().post(INBOUND_URL, data=inbound(body, msisdn=msisdn, to=OURS))
    assert response.status_code == 204, response.text
    work(shop)


def test_a_sales_agent_texts_their_customer_from_its_page_and_it_goes_sent_then_delivered(
    shop, make_user, make_customer, client_for, sender, start_shop_worker
):
    sam = make_user("Sam Sales", "sales")
    ada = make_customer("Ada", "Lovelace", mobile="(415) 555-0101", owner_id=sam.id)
    client = client_for(sam)
    page = client.get(f"/customers/{ada.id}").text

    response = text_from_page(client, page, "Hello {{ contact.first_name }}, your bike is ready")

    assert response.status_code == 200, response.text
    [message] = _outbound()
    assert (message.status, message.phone_e164) == ("queued", "+14155550101")
    worker = start_shop_worker()
    assert wait_until(lambda: db.session.get(Message, message.id).status == "delivered", 20, worker=worker)
    statuses = db.session.scalars(
        db.select(MessageEvent.status).where(MessageEvent.message_id == message.id).order_by(MessageEvent.id)
    ).all()
    assert statuses[-3:] == ["sending", "sent", "delivered"]
    assert "Hello Ada, your bike is ready" in db.session.get(Message, message.id).rendered_body
    assert "Delivered" in client.get(f"/customers/{ada.id}").text


def test_a_reply_reaches_the_agents_inbox_then_the_pool(shop, make_user, make_customer, client_for, sender):
    sam = make_user("Sam Sales", "sales")
    lead = make_user("Lee Lead", "support_lead")
    ada = make_customer("Ada", "Lovelace", mobile="(415) 555-0101", owner_id=sam.id)
    sams = client_for(sam)
    text_from_page(sams, sams.get(f"/customers/{ada.id}").text, "Your bike is ready")
    work(shop)

    _reply(shop, "Great, I will come by at five")

    inbox = sams.get("/sms/inbox").text
    assert "Ada Lovelace" in inbox and "Great, I will come by at five" in inbox
    conversation = db.session.scalar(db.select(Conversation))
    conversations.release(now=conversation.due_at)
    db.session.commit()
    pool = client_for(lead).get("/sms/inbox?tab=pool").text
    assert "Ada Lovelace" in pool


def test_a_stop_reply_opts_the_number_out(shop, make_user, make_customer, client_for, sender):
    sam = make_user("Sam Sales", "sales")
    ada = make_customer("Ada", "Lovelace", mobile="(415) 555-0101", owner_id=sam.id)
    client = client_for(sam)
    text_from_page(client, client.get(f"/customers/{ada.id}").text, "Your bike is ready")
    work(shop)

    _reply(shop, "STOP")

    assert db.session.get(Suppression, ("+14155550101", "")) is not None
    panel = panel_of(client.get(f"/customers/{ada.id}").text)
    [(_, text, _, disabled)] = [o for o in options(panel, "sms-phone_id") if "555-0101" in o[1]]
    assert disabled and "STOP" in text
    sent = len(_outbound())
    response = client.post(
        compose_url(panel),
        data={"sms-phone_id": options(panel, "sms-phone_id")[0][0], "sms-body": "Still there?", "action": "send"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and len(_outbound()) == sent


def test_a_number_edited_on_the_hosts_own_form_is_the_one_texted_next(
    shop, make_user, make_customer, client_for, sender
):
    sam = make_user("Sam Sales", "sales")
    ada = make_customer("Ada", "Lovelace", mobile="(415) 555-0101", owner_id=sam.id)
    client = client_for(sam)
    text_from_page(client, client.get(f"/customers/{ada.id}").text, "First")

    edited = client.post(
        f"/customers/{ada.id}",
        data={"first_name": "Ada", "last_name": "Lovelace", "city": "San Francisco", "mobile": "415.555.0199"},
    )
    assert edited.status_code == 302
    page = client.get(f"/customers/{ada.id}").text
    assert "555-0101" not in "".join(text for _, text, *_ in options(panel_of(page), "sms-phone_id"))
    response = text_from_page(client, page, "Second")

    assert response.status_code == 200, response.text
    assert [(m.body, m.phone_e164) for m in _outbound()] == [("First", "+14155550101"), ("Second", "+14155550199")]


def test_a_customer_without_numbers_shows_a_clear_message_on_its_page(shop, make_user, make_customer, client_for):
    sam = make_user("Sam Sales", "sales")
    kay = make_customer("Katherine", "Johnson", mobile=None, phone=None, owner_id=sam.id)

    response = client_for(sam).get(f"/customers/{kay.id}")

    assert response.status_code == 200
    panel = panel_of(response.text)
    assert "no number" in panel.lower()
    assert enabled_phones(panel) == []


def test_an_unreadable_number_is_shown_as_such_and_cannot_be_texted(shop, make_user, make_customer, client_for, sender):
    sam = make_user("Sam Sales", "sales")
    nobody = make_customer("Nobody", "Reachable", mobile="call me after 6", owner_id=sam.id)
    client = client_for(sam)

    response = client.get(f"/customers/{nobody.id}")

    assert response.status_code == 200
    panel = panel_of(response.text)
    assert "call me after 6" in panel
    assert enabled_phones(panel) == []
    assert (
        client.post(
            compose_url(panel),
            data={"sms-phone_id": "", "sms-body": "Hi", "action": "send"},
            headers={"HX-Request": "true"},
        ).status_code
        == 422
    )
    assert _outbound() == []


def test_a_companys_office_number_is_texted_from_the_company_page(shop, make_user, make_company, client_for, sender):
    sam = make_user("Sam Sales", "sales")
    bikes = make_company("Bayview Bikes", phone="(415) 555-0100")
    client = client_for(sam)
    page = client.get(f"/companies/{bikes.id}").text

    response = text_from_page(client, page, "Hello {{ account.name }}")

    assert response.status_code == 200, response.text
    [message] = _outbound()
    assert message.phone_e164 == "+14155550100"
