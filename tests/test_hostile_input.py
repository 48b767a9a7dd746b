"""Input the database cannot store gets a 4xx saying why, never a 500, on SQLite and on PostgreSQL.

First each example of issue 16's finding 5, then a property test (hypothesis) that throws arbitrary text,
numbers and JSON at every form of the app and at both webhooks. PostgreSQL is the stricter database (it
refuses NUL bytes and values longer than their column, where SQLite stores them): run this file with
DATABASE_URL set too.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_sms.models import CampaignRecipient, InboundPart, Message, MessageEvent, ProviderReceipt, db
from tests.blueprints.test_webhooks import INBOUND_URL, SIGNED, STATUS_URL, nothing_stored, pushed  # noqa: F401
from tests.conftest import PASSWORD
from tests.fakes.vonage import SIGNATURE_SECRET, inbound, receipt, sign

THEM = "14155550101"  # the contact's number, as Vonage writes it
OURS = "16285550100"


def _post(client, url, params, shape):
    if shape == "JSON":
        return client.post(url, data=params if isinstance(params, str) else json.dumps(params),
                           content_type="application/json")
    return client.post(url, data=params)


def _error(response):
    return response.get_json()["error"]


# Webhooks: NUL bytes and control characters

@pytest.mark.parametrize("shape", ["form", "JSON"])
@pytest.mark.parametrize("url, params, field", [
    (INBOUND_URL, inbound("hi"), "text"),
    (INBOUND_URL, inbound("hi"), "msisdn"),
    (INBOUND_URL, inbound("hi"), "messageId"),
    (STATUS_URL, receipt("0A00000000000001", client_ref="ref"), "messageId"),
    (STATUS_URL, receipt("0A00000000000001", client_ref="ref"), "client-ref"),
])
def test_a_nul_byte_in_a_webhook_field_is_refused_naming_the_field(pushed, shape, url, params, field):
    client = pushed()

    response = _post(client, url, {**params, field: f"{params[field]}\x00"}, shape)

    assert response.status_code == 400
    assert field in _error(response)
    assert nothing_stored()


@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x7f"])
def test_a_control_character_in_a_webhook_field_is_refused(pushed, character):
    client = pushed()

    response = client.post(INBOUND_URL, data={**inbound("hi"), "messageId": f"0A{character}1"})

    assert response.status_code == 400
    assert "messageId" in _error(response)


def test_line_breaks_and_tabs_in_an_inbound_text_are_kept(pushed):
    client = pushed()

    response = client.post(INBOUND_URL, data=inbound("Line one\r\nLine\ttwo"))

    assert response.status_code == 204
    assert db.session.scalar(db.select(Message.body)) == "Line one\r\nLine\ttwo"


def test_a_lone_surrogate_in_a_json_webhook_is_refused(pushed):
    client = pushed()
    body = json.dumps({**inbound("hi"), "text": "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800")

    response = _post(client, INBOUND_URL, body, "JSON")

    assert response.status_code == 400
    assert "text" in _error(response)
    assert nothing_stored()


def test_a_nul_byte_in_a_field_name_is_refused(pushed):
    client = pushed()

    response = _post(client, INBOUND_URL, {**inbound("hi"), "extra\x00": "x"}, "JSON")

    assert response.status_code == 400
    assert nothing_stored()


# Webhooks: values longer than their column

def _length(column):
    return column.type.length


# (url, field, the column that keeps it, a value of n characters as it arrives)
LONG_FIELDS = [
    (INBOUND_URL, "msisdn", Message.phone_e164, lambda n: "1" * (n - 1)),  # stored with a leading +
    (INBOUND_URL, "to", Message.sender_e164, lambda n: "1" * (n - 1)),
    (INBOUND_URL, "messageId", Message.provider_id, lambda n: "A" * n),
    (INBOUND_URL, "concat-ref", InboundPart.concat_ref, lambda n: "R" * n),
    (STATUS_URL, "messageId", ProviderReceipt.provider_id, lambda n: "A" * n),
    (STATUS_URL, "client-ref", ProviderReceipt.client_ref, lambda n: "c" * n),
    (STATUS_URL, "err-code", ProviderReceipt.code, lambda n: "9" * n),
]


def _event(url, field, value):
    if url == STATUS_URL:
        params = receipt("0A00000000000001", client_ref="ref", status="failed")
    else:
        params = inbound("Part one", concat=("R1", 2, 1)) if field == "concat-ref" else inbound("hi")
    return {**params, field: value}


@pytest.mark.parametrize("shape", ["form", "JSON"])
@pytest.mark.parametrize("url, field, column, value", LONG_FIELDS)
def test_a_webhook_field_longer_than_its_column_is_refused_naming_the_field(pushed, shape, url, field, column, value):
    client = pushed()

    response = _post(client, url, _event(url, field, value(_length(column) + 1)), shape)

    assert response.status_code == 400
    assert _error(response) == f"{field} is longer than {_length(column)} characters"
    assert nothing_stored()


@pytest.mark.parametrize("url, field, column, value", LONG_FIELDS)
def test_a_webhook_field_as_long_as_its_column_is_stored(pushed, url, field, column, value):
    client = pushed()

    response = client.post(url, data=_event(url, field, value(_length(column))))

    assert response.status_code == 204
    stored = ProviderReceipt if url == STATUS_URL else InboundPart if field == "concat-ref" else Message
    assert db.session.scalar(db.select(db.func.count()).select_from(stored)) == 1


# Webhooks: numbers that are not finite

@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e999"])
@pytest.mark.parametrize("url, params, field", [
    (STATUS_URL, receipt("0A00000000000001"), "price"),
    (STATUS_URL, receipt("0A00000000000001"), "err-code"),
    (INBOUND_URL, inbound("hi", concat=("R1", 2, 1)), "concat-total"),
    (INBOUND_URL, inbound("hi", concat=("R1", 2, 1)), "concat-part"),
])
def test_a_json_number_that_is_not_finite_is_refused_naming_the_field(pushed, number, url, params, field):
    client = pushed()
    body = json.dumps({**params, field: "PLACEHOLDER"}).replace('"PLACEHOLDER"', number)

    response = _post(client, url, body, "JSON")

    assert response.status_code == 400
    assert _error(response) == f"{field} is not a finite number"
    assert nothing_stored()


@pytest.mark.parametrize("value", ["Infinity", "NaN", "1e999", "0", "256", "-1", "2.5", "9" * 5000, "٣"])
@pytest.mark.parametrize("field", ["concat-total", "concat-part"])
def test_a_part_count_that_is_not_a_whole_number_from_1_to_255_is_refused(pushed, value, field):
    client = pushed()

    response = client.post(INBOUND_URL, data={**inbound("hi", concat=("R1", 2, 1)), field: value})

    assert response.status_code == 400
    assert _error(response) == f"{field} must be a whole number from 1 to 255"
    assert nothing_stored()


def test_a_json_part_count_written_as_a_whole_float_is_read(pushed):
    client = pushed()
    first, second = (inbound(text, concat=("R1", 2, part)) for part, text in ((1, "Hello "), (2, "there")))

    answers = [_post(client, INBOUND_URL, {**params, "concat-total": 2.0}, "JSON") for params in (first, second)]

    assert [a.status_code for a in answers] == [204, 204]
    assert db.session.scalar(db.select(Message.body)) == "Hello there"


def test_a_price_that_is_not_finite_in_a_form_receipt_is_ignored_not_stored(pushed):
    client = pushed()

    response = client.post(STATUS_URL, data={**receipt("0A00000000000001"), "price": "Infinity"})

    assert response.status_code == 204
    assert db.session.scalar(db.select(ProviderReceipt.status)) == "delivered"


# Webhooks: signatures

@pytest.mark.parametrize("sig", ["ü" * 64, "\u00e9", "ａ" * 64])
def test_a_non_ascii_signature_is_refused_as_wrong(pushed, sig):
    client = pushed(**SIGNED)

    response = client.post(STATUS_URL, data={**receipt("0A00000000000001", secret="sigsecret", method="sha256"),
                                             "sig": sig})

    assert response.status_code == 401
    assert nothing_stored()


def test_a_signature_in_capitals_is_still_accepted(pushed):
    client = pushed(**SIGNED)
    params = receipt("0A00000000000001", secret="sigsecret", method="sha256")

    response = client.post(STATUS_URL, data={**params, "sig": params["sig"].upper()})

    assert response.status_code == 204


# Pages: control characters in forms and query strings

def _says_control_character(response, field):
    return "control character" in response.text and f"“{field}”" in response.text


def test_a_nul_byte_in_the_login_username_answers_a_clear_400_page(client, make_user):
    make_user("agent")

    response = client.post("/login", data={"username": "agent\x00", "password": PASSWORD})

    assert response.status_code == 400
    assert _says_control_character(response, "username")
    assert "<html" in response.text  # a page, with the site's layout


@pytest.mark.parametrize("url", [
    "/contacts?q=a%00b", "/accounts?q=a%00b", "/sms/inbox?q=a%00b", "/sms/templates/records?q=a%00b",
    "/sms/messages?sender=%2B1%00", "/sms/consent/report?since=2026%00",
])
def test_a_nul_byte_in_a_search_box_answers_400_naming_it(client, login, url):
    login("admin")

    response = client.get(url)

    assert response.status_code == 400
    assert _says_control_character(response, re.search(r"\?(\w+)=", url).group(1))


def test_a_nul_byte_in_a_form_answers_400_and_stores_nothing(client, login):
    from crm_sms.models import Contact

    login("admin")

    response = client.post("/contacts/new", data={"first_name": "Ada\x00", "last_name": "Lovelace"})

    assert response.status_code == 400
    assert _says_control_character(response, "first_name")
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 0


def test_a_nul_byte_in_a_field_name_answers_400(client, login):
    login("admin")

    response = client.post("/contacts/new", data={"first_name": "Ada", "last_name": "Lovelace", "x\x00": "1"})

    assert response.status_code == 400
    assert _says_control_character(response, "x?")


def test_the_guard_leaves_other_text_alone(client, login):
    login("admin")

    response = client.post("/contacts/new", data={"first_name": "Zoë 🙂", "last_name": "O'Brien\tJr"})

    assert response.status_code == 302


# Pages: numbers no column can hold

LISTS = ["/contacts", "/accounts", "/sms/messages", "/sms/inbox", "/sms/campaigns", "/sms/consent/report"]


@pytest.mark.parametrize("page", ["99999999999999999999", "-5", "0", "abc", "1e999", "2147483648"])
@pytest.mark.parametrize("url", LISTS)
def test_any_page_number_answers_a_page(client, login, url, page):
    login("admin")

    response = client.get(url, query_string={"page": page})

    assert response.status_code == 200


@pytest.mark.parametrize("arg", ["mpage", "rpage"])
def test_a_campaigns_page_numbers_are_clamped_too(client, login, campaign, arg):
    login("admin")

    response = client.get(f"/sms/campaigns/{campaign.id}", query_string={arg: "99999999999999999999"})

    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/contacts/99999999999999999999", "/contacts/2147483648",
                                 "/sms/messages/99999999999999999999", "/sms/campaigns/2147483648/edit"])
def test_an_id_no_table_can_hold_is_not_found(client, login, url):
    login("admin")

    assert client.get(url).status_code == 404


def test_an_out_of_range_filter_is_ignored(client, login):
    login("admin")

    response = client.get("/sms/messages", query_string={"campaign": "99999999999999999999"})

    assert response.status_code == 200


@pytest.mark.parametrize("field", ["template_id", "sender_id", "signature_id"])
def test_an_out_of_range_choice_is_a_form_error(client, login, field):
    login("admin")

    response = client.post("/sms/campaigns/new", data={"name": "Spring", "module": "contacts",
                                                      field: "99999999999999999999"})

    assert response.status_code == 422
    assert "could not coerce" in response.text


def test_out_of_range_ids_in_a_list_of_ticks_are_skipped(client, login, campaign, make_contact):
    contact = make_contact()
    login("admin")

    response = client.post(f"/sms/campaigns/{campaign.id}/recipients/add",
                           data={"record_ids": ["99999999999999999999", str(contact.id)]})

    assert response.status_code == 302
    assert db.session.scalars(db.select(CampaignRecipient.contact_id)).all() == [contact.id]
