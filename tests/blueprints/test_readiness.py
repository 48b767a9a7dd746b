"""What people see of blank SMS settings: the warning listing them, and the errors where they send."""

import html
import re
from datetime import timedelta

import pytest

from crm_sms.models import Message, SenderNumber, db, utcnow
from crm_sms.services import campaigns, settings, templates
from tests.blueprints.test_consent import CONSENT_SETTINGS, _field_errors, _save_consent_settings

WARNING = re.compile(r'<div class="notice settings-missing" id="sms-settings-missing" role="alert">(.*?)</div>', re.S)


def _warning(page):
    found = WARNING.search(page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split()) if found else None


def _set(**values):
    for key, value in values.items():
        settings.put(key, value)
    db.session.commit()


@pytest.fixture
def contact(make_contact, opt_in, make_sender):
    make_sender()
    return opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))


def test_on_a_fresh_install_the_settings_page_says_a_support_contact_is_missing(client, login):
    login("admin")
    warning = _warning(client.get("/sms/settings").text)
    assert warning.startswith("Missing in SMS settings: a support phone or email.")
    assert "HELP is not answered" in warning


def test_the_settings_page_lists_every_missing_item(client, login):
    login("admin")
    _set(business_name="")
    warning = _warning(client.get("/sms/settings").text)
    assert warning.startswith("Missing in SMS settings: the business name, a support phone or email.")


def test_the_warning_goes_once_the_settings_are_complete(client, login):
    login("admin")
    _set(support_email="help@example.com")
    assert _warning(client.get("/sms/settings").text) is None


@pytest.mark.parametrize("role, shown", [("manager", True), ("admin", True), ("agent", False)])
def test_managers_and_admins_see_the_warning_where_they_send(client, login, contact, role, shown):
    login(role)
    page = client.get(f"/contacts/{contact.host_id}").text
    assert (_warning(page) is not None) == shown


def test_sending_without_a_business_name_gets_a_form_error_not_a_500(client, login, contact):
    login("agent")
    _set(business_name="")
    sender = db.session.scalar(db.select(SenderNumber))
    data = {
        "sms-phone_id": contact.phone_numbers[0].id,
        "sms-sender_id": sender.id,
        "sms-body": "Hello",
        "action": "send",
    }
    response = client.post(f"/sms/contacts/{contact.id}/messages", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Set the business name in SMS settings before sending." in html.unescape(response.text)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_a_message_with_an_empty_variable_gets_a_form_error_naming_it(client, login, make_contact, opt_in):
    from crm_sms.services import senders

    login("agent")
    sender = senders.save(None, "+16285550100", label="Main", is_default=True)
    nameless = opt_in(make_contact("Ada", "", numbers=("+14155550101",)))
    data = {
        "sms-phone_id": nameless.phone_numbers[0].id,
        "sms-sender_id": sender.id,
        "sms-body": "Dear {{ contact.last_name }}",
        "action": "send",
    }
    response = client.post(f"/sms/contacts/{nameless.id}/messages", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "{{ contact.last_name }} is empty for this contact" in html.unescape(response.text)


def test_the_campaign_confirmation_says_what_is_missing(client, login, contact):
    manager = login("manager")
    _set(business_name=" ")
    template = templates.save(None, "Sale", "contacts", "Our sale starts Monday.", manager)
    sender = db.session.scalar(db.select(SenderNumber))
    campaign = campaigns.save(None, "Sale", utcnow() + timedelta(hours=1), "contacts", template, sender, None, manager)
    campaigns.add_records(campaign, [contact.id])
    db.session.commit()
    page = html.unescape(client.get(f"/sms/campaigns/{campaign.id}/confirm").text)
    assert "Set the business name in SMS settings before sending." in page
    assert _warning(page).startswith("Missing in SMS settings: the business name")


# The consent settings form


def test_a_help_answer_that_names_no_way_to_reach_the_business_is_refused(client, login):
    login("admin")
    response = _save_consent_settings(client, notice_help="{{ business_name }}: reply STOP to stop.")
    assert response.status_code == 422
    assert _field_errors(response, "notice_help") == [
        "The answer to HELP must name the business and a way to reach it: use {{ business_name }} and "
        "{{ support_contact }}."
    ]


def test_a_text_quoting_the_support_contact_needs_a_phone_or_an_email(client, login):
    login("admin")
    response = _save_consent_settings(
        client, support_phone="", support_email="", notice_help="{{ business_name }}: contact {{ support_contact }}."
    )
    assert response.status_code == 422
    assert _field_errors(response, "support_phone") == [
        "Answer to HELP quotes {{ support_contact }}: fill this in, or take it out of that text."
    ]


def test_a_help_answer_with_the_support_contact_and_only_an_email_is_saved(client, login):
    login("admin")
    text = "{{ business_name }}: help at {{ support_contact }}. Msg & data rates may apply. Reply STOP to stop."
    response = _save_consent_settings(client, support_phone="", notice_help=text)
    assert response.status_code == 302
    assert settings.get("notice_help") == text
    assert CONSENT_SETTINGS["support_email"] == settings.get("support_email")
