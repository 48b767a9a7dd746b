"""Who sees what on the second host: owner-only customers through every crm_sms page, and a client's own
SMS preferences."""

import re

import pytest

from crm_sms.models import Consent, Conversation, Message
from examples.shop_crm.models import db
from tests.fakes.vonage import inbound

from .conftest import compose_url, panel_of, text_from_page, work


@pytest.fixture
def two_agents(shop, make_user, make_customer, client_for, sender):
    """Sam owns Ada and has texted her; Sue, another salesperson, does not own her."""
    sam, sue = make_user("Sam Sales", "sales"), make_user("Sue Sales", "sales")
    ada = make_customer("Ada", "Lovelace", mobile="(415) 555-0101", owner_id=sam.id)
    sams = client_for(sam)
    text_from_page(sams, sams.get(f"/customers/{ada.id}").text, "Your bike is ready")
    work(shop)
    return sams, client_for(sue), ada


HTMX = {"HX-Request": "true"}  # as the page asks for its parts


def _record_urls(client, ada):
    """Every crm_sms URL about Ada: those her SMS panel links to, and the record pages crm_sms serves."""
    panel = panel_of(client.get(f"/customers/{ada.id}").text)
    compose = compose_url(panel)
    found = re.match(r"(.*/contacts/[^/]+)/messages$", compose)
    assert found, f"the compose URL {compose} does not name the record as /contacts/<key>/messages"
    record = found.group(1)  # /sms/contacts/<the record's key in crm_sms's URLs>
    key = record.rsplit("/", 1)[1]
    linked = {
        url.replace("&amp;", "&")
        for url in re.findall(r'(?:href|hx-get)="(/sms/[^"]+)"', panel)
        if f"/contacts/{key}" in url or "/messages/" in url or "/conversations/" in url
    }
    message = db.session.scalar(db.select(Message.id).where(Message.direction == "outbound"))
    conversation = db.session.scalar(db.select(Conversation.id))
    return compose, {
        f"{record}/panel",
        f"{record}/list",
        f"/sms/consent/contacts/{key}",
        f"/sms/consent/contacts/{key}/history",
        f"/sms/consent/contacts/{key}/log.csv",
        f"/sms/messages/{message}",
        f"/sms/conversations/{conversation}",
        *linked,
    }


def test_a_salesperson_cannot_see_or_text_a_customer_they_do_not_own_through_any_sms_page(shop, two_agents):
    sams, sues, ada = two_agents
    shop.test_client().post(
        "/sms/webhooks/vonage/inbound", data=inbound("Thanks!", msisdn="14155550101", to="16285550100")
    )
    work(shop)
    compose, urls = _record_urls(sams, ada)

    assert sues.get(f"/customers/{ada.id}").status_code == 404  # the shop's own rule
    record_page = f"/sms/records/{compose.split('/')[-2]}"  # where crm_sms's lists link a record: to its host page
    assert sams.get(record_page).headers["Location"] == f"/customers/{ada.id}"
    assert sues.get(record_page).status_code == 404
    for url in sorted(urls):
        assert sams.get(url, headers=HTMX).status_code == 200, url  # the URL is real: its owner reads it
        assert sues.get(url, headers=HTMX).status_code == 404, url
    sent = db.session.scalar(db.select(db.func.count(Message.id)))
    assert sues.post(compose, data={"sms-body": "Hi", "action": "send"}, headers=HTMX).status_code == 404
    consent = [url for url in urls if url.startswith("/sms/consent/") and url.count("/") == 4][0]
    assert sues.post(consent, data={"consent-choice": "opt_out"}, headers=HTMX).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Message.id))) == sent  # no message, not even an opt-out notice
    assert db.session.scalar(db.select(Consent.state)) in (None, "never_asked")


def test_lists_show_a_salesperson_only_their_own_customers_messages(shop, two_agents):
    sams, sues, ada = two_agents
    assert "Ada Lovelace" in sams.get("/sms/messages").text
    assert "Ada Lovelace" not in sues.get("/sms/messages").text
    assert "4155550101" in sams.get("/sms/messages.csv").text
    assert "4155550101" not in sues.get("/sms/messages.csv").text


def test_a_support_lead_sees_every_customer(shop, two_agents, make_user, client_for):
    sams, sues, ada = two_agents
    lead = client_for(make_user("Lee Lead", "support_lead"))
    page = lead.get(f"/customers/{ada.id}")
    assert page.status_code == 200 and 'id="sms-panel"' in page.text


@pytest.fixture
def client_user(make_user, make_customer, client_for):
    """Ada, a client of the shop who logs in to her own page."""
    ada = make_customer("Ada", "Lovelace", mobile="(415) 555-0101")
    return client_for(make_user("Ada Lovelace", "client", customer=ada)), ada


def _preferences_url(client):
    page = client.get("/me").text
    match = re.search(r'href="(/sms/consent/[^"]*preferred[^"]*)"', page)
    assert match, "no link to the SMS preferences on the client's page"
    return match.group(1)


def _state():
    db.session.expire_all()
    return db.session.scalar(db.select(Consent.state))


def test_a_client_opts_in_then_out_on_the_preferences_page(shop, client_user):
    client, ada = client_user
    url = _preferences_url(client)
    form = client.get(url)
    assert form.status_code == 200
    phone = re.search(r'<option[^>]*value="([^"]+)"[^>]*>[^<]*555-0101', form.text).group(1)

    assert client.post(url, data={"sms-agree": "y", "sms-phone_id": phone}).status_code in (302, 303)
    assert _state() == "opted_in"
    response = client.post(url, data={"sms-phone_id": phone}, follow_redirects=True)
    assert response.request.path == "/me" and _state() == "opted_out"
    assert "Opted out" in client.get("/me").text


def test_a_client_has_no_staff_sms_pages(shop, client_user):
    client, ada = client_user
    assert client.get("/sms/inbox").status_code == 403
    assert client.get("/sms/messages").status_code == 403
    assert client.get("/customers").status_code == 403  # the shop's own staff pages
    assert client.get(f"/customers/{ada.id}").headers["Location"] == "/me"
