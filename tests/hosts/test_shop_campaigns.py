"""A support lead (crm_sms's manager) runs a campaign over the shop's customers, narrowed by its filters."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from crm_sms.models import Campaign, Message, Template
from examples.shop_crm.models import db

from .conftest import opt_in_on_page, work

HTMX = {"HX-Request": "true"}  # as htmx sends it (flask-htmx reads only "true")


@pytest.fixture
def customers(make_user, make_company, make_customer, client_for):
    """Three Chicago customers (one with a number nobody can read), one in San Francisco; Sam, who owns them,
    recorded the consent of all who have a number on their pages."""
    sam = make_user("Sam Sales", "sales")
    labs = make_company("Lakeside Labs", city="Chicago", phone=None)
    made = [
        make_customer("Grace", "Hopper", mobile="+1 312 555 0103", city="Chicago", company_id=labs.id, owner_id=sam.id),
        make_customer("Katherine", "Johnson", mobile="312 555 0104", city="Chicago", owner_id=sam.id),
        make_customer("Ada", "Lovelace", mobile="(415) 555-0101", city="San Francisco", owner_id=sam.id),
    ]
    make_customer("Nobody", "Reachable", mobile="call me after 6", city="Chicago", owner_id=sam.id)
    sams = client_for(sam)
    for customer in made:
        opt_in_on_page(sams, f"/customers/{customer.id}")


def _draft_campaign(client, sender):
    response = client.post(
        "/sms/templates/new",
        data={"name": "Open day", "module": "contacts", "body": "Hi {{ contact.first_name }}, come to our open day"},
    )
    assert response.status_code in (302, 303), response.text
    template = db.session.scalar(db.select(Template).where(Template.name == "Open day"))
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/sms/campaigns/new",
        data={
            "name": "Chicago open day",
            "send_at": when,
            "module": "contacts",
            "template_id": template.id,
            "sender_id": sender.id,
            "signature_id": 0,
        },
    )
    assert response.status_code in (302, 303), response.text
    return re.search(r"/sms/campaigns/(\d+)$", response.headers["Location"]).group(0)


def _generate(shop, client, campaign_url):
    response = client.post(f"{campaign_url}/generate")
    assert response.status_code in (302, 303), response.text
    work(shop)
    campaign = db.session.scalar(db.select(Campaign))
    return sorted(db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign.id)).all())


def test_a_manager_generates_a_campaign_over_the_customers_of_a_city(shop, make_user, client_for, sender, customers):
    client = client_for(make_user("Lee Lead", "support_lead"))
    campaign_url = _draft_campaign(client, sender)

    added = client.post(f"{campaign_url}/recipients/filter", data={"city": "Chicago"}, headers=HTMX)

    assert added.status_code == 200, added.text
    assert "Added 3 recipients matching the filter." in added.text
    assert _generate(shop, client, campaign_url) == ["+13125550103", "+13125550104"]


def test_the_company_filter_narrows_the_recipients(shop, make_user, client_for, sender, customers):
    client = client_for(make_user("Alex Admin", "support_lead", is_admin=True))
    campaign_url = _draft_campaign(client, sender)

    added = client.post(f"{campaign_url}/recipients/filter", data={"company": "lakeside"}, headers=HTMX)

    assert "Added 1 recipient matching the filter." in added.text
    assert _generate(shop, client, campaign_url) == ["+13125550103"]


def test_the_campaign_form_offers_the_hosts_filters_and_variables(shop, make_user, client_for, sender, customers):
    client = client_for(make_user("Lee Lead", "support_lead"))
    page = client.get(_draft_campaign(client, sender)).text

    assert 'name="city"' in page and 'name="company"' in page
    variables = client.get("/sms/templates/variables?module=contacts").text
    assert "contact.company" in variables


def test_a_sales_agent_cannot_manage_campaigns(shop, make_user, client_for):
    assert client_for(make_user("Sam Sales", "sales")).get("/sms/campaigns").status_code == 403
