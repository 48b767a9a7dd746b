"""SMS consent pages: staff set a record's consent, customers set their own, the history, the report, the settings."""

import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest

from crm_sms.models import ConsentEvent, Message, db
from crm_sms.services import consent, settings
from tests.conftest import add_phone, record_of


def _errors(response):
    return [html.unescape(e) for e in re.findall(r'class="error"[^>]*>([^<]*)', response.text)]


def _events(owner=None):
    db.session.expire_all()
    stmt = db.select(ConsentEvent).order_by(ConsentEvent.id)
    if owner is not None:
        stmt = stmt.where(
            ConsentEvent.contact_id == owner.id if owner.kind == "contacts" else ConsentEvent.account_id == owner.id
        )
    return db.session.scalars(stmt).all()


def _state(owner):
    db.session.expire_all()
    return consent.state_of(owner)


def _staff_post(client, owner, kind="contacts", htmx=False, **fields):
    data = {f"consent-{key}": value for key, value in fields.items()}
    return client.post(f"/sms/consent/{kind}/{owner.id}", data=data, headers={"HX-Request": "true"} if htmx else {})


def _customer_post(client, contact, agree=True, phone=None):
    data = {"sms-phone_id": phone.id if phone else ""}
    if agree:
        data["sms-agree"] = "y"
    return client.post(f"/sms/consent/contacts/{contact.id}/preferred", data=data)


def _csv(response):
    return list(csv.DictReader(io.StringIO(response.text)))


# Staff, on the contact's edit page


def test_edit_page_shows_the_sms_messaging_form_to_staff(client, login, make_contact):
    login("agent")
    contact = make_contact()
    page = client.get(f"/contacts/{contact.host_id}/edit").text
    assert 'id="sms-consent"' in page
    assert "Consents to receive SMS/Text messages" in page
    assert f'action="/sms/consent/contacts/{contact.id}"' in page


def test_staff_opts_a_contact_in_at_the_chosen_number_which_becomes_the_preferred_sms(client, login, make_contact):
    login("agent", username="dana")
    contact = make_contact(numbers=("+14155550101", "+14155550102"))
    second = contact.phone_numbers[1]
    response = _staff_post(client, contact, choice="opt_in", phone_id=second.id, consent_type="Phone")
    assert response.status_code == 302 and response.location == f"/contacts/{contact.host_id}"
    assert _state(contact) == "opted_in"
    assert [p.preferred_sms for p in contact.phone_numbers] == [False, True]
    [event] = _events(contact)
    assert (event.new_state, event.e164, event.consent_type, event.source, event.changed_by) == (
        "opted_in",
        "+14155550102",
        "Phone",
        "staff",
        "dana",
    )
    page = client.get(f"/contacts/{contact.host_id}").text
    row = re.search(r"<tr>\s*<td class=\"phone\">\(415\) 555-0102.*?</tr>", page, re.DOTALL).group(0)
    assert "Preferred SMS" in row


def test_the_sms_number_defaults_to_the_primary_number_when_it_can_receive_sms(
    client, login, make_contact, phone_types
):
    login("agent")
    contact = make_contact(numbers=("+14155550101",))
    primary = add_phone(contact, "+14155550103", phone_types["Mobile"], is_primary=True)
    db.session.commit()
    page = client.get(f"/contacts/{contact.host_id}/edit").text
    assert re.search(rf'<option selected value="{primary.id}">', page)


def test_the_sms_number_defaults_to_the_first_that_can_receive_sms_when_the_primary_cannot(
    client, login, make_contact, phone_types
):
    login("agent")
    contact = make_contact(numbers=())
    add_phone(contact, "+14155550103", phone_types["Home"], is_primary=True)
    mobile = add_phone(contact, "+14155550104", phone_types["Mobile"])
    db.session.commit()
    page = client.get(f"/contacts/{contact.host_id}/edit").text
    select = re.search(r'<select[^>]*name="consent-phone_id".*?</select>', page, re.DOTALL).group(0)
    assert re.findall(r'<option[^>]*value="(\d+)"', select) == [str(mobile.id)]
    assert f'<option selected value="{mobile.id}">' in select


def test_opting_in_without_a_consent_type_is_refused_and_nothing_changes(client, login, make_contact):
    login("agent")
    contact = make_contact()
    response = _staff_post(
        client, contact, htmx=True, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type=""
    )
    assert response.status_code == 422
    assert _errors(response) == [
        "Choose how the customer gave consent (Email, Phone or Paper): "
        "you must be able to produce that proof on demand."
    ]
    assert _state(contact) == "never_asked" and _events() == []


def test_a_number_of_another_contact_is_refused_and_nothing_changes(client, login, make_contact):
    login("agent")
    contact = make_contact()
    other = make_contact("Alan", "Turing", numbers=("+14155550199",))
    response = _staff_post(client, contact, choice="opt_in", phone_id=other.phone_numbers[0].id, consent_type="Email")
    assert response.status_code == 422
    assert _errors(response) == ["That number is not one of this record's numbers: choose one from the list."]
    assert _state(contact) == "never_asked" and _state(other) == "never_asked" and _events() == []
    assert not other.phone_numbers[0].preferred_sms


def test_staff_adds_a_new_number_while_opting_in_and_it_becomes_the_sms_number(
    client, login, make_contact, phone_types
):
    login("agent")
    contact = make_contact()
    response = _staff_post(
        client,
        contact,
        choice="opt_in",
        phone_id=contact.phone_numbers[0].id,
        consent_type="Paper",
        new_number="(415) 555-0177",
        new_type_id=phone_types["Mobile"].id,
    )
    assert response.status_code == 302
    db.session.expire_all()
    added = contact.phone_numbers[1]
    assert (added.e164, added.preferred_sms, consent.consent_of(contact).phone_number) == ("+14155550177", True, added)


def test_a_foreign_new_number_is_refused_with_the_reason_and_nothing_is_added(client, login, make_contact, phone_types):
    login("agent")
    contact = make_contact()
    response = _staff_post(
        client,
        contact,
        choice="opt_in",
        consent_type="Email",
        new_number="+44 20 7946 0000",
        new_type_id=phone_types["Mobile"].id,
    )
    assert response.status_code == 422
    assert _errors(response) == [
        "+44 (United Kingdom) numbers are not allowed: only numbers from United States and Canada can receive SMS."
    ]
    db.session.expire_all()
    assert len(contact.phone_numbers) == 1 and _events() == []


def test_staff_opts_a_contact_out_and_the_audit_names_them(client, login, make_contact, opt_in):
    login("manager", username="morgan")
    contact = opt_in(make_contact())
    response = _staff_post(client, contact, choice="opt_out")
    assert response.status_code == 302
    assert _state(contact) == "opted_out"
    event = _events(contact)[-1]
    assert (event.old_state, event.new_state, event.source, event.changed_by) == (
        "opted_in",
        "opted_out",
        "staff",
        "morgan",
    )


def test_saving_the_same_consent_again_records_nothing(client, login, make_contact, opt_in):
    login("agent")
    contact = opt_in(make_contact())
    response = _staff_post(
        client, contact, htmx=True, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Email"
    )
    assert response.status_code == 200 and "Nothing changed." in response.text
    assert len(_events(contact)) == 1


def test_an_htmx_save_returns_the_form_fragment_and_reloads_the_history(client, login, make_contact):
    login("agent")
    contact = make_contact()
    response = _staff_post(
        client, contact, htmx=True, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Email"
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="sms-consent"' in response.text and "Opted in to SMS at (415) 555-0101." in response.text
    assert response.headers["HX-Trigger"] == "sms-consent-changed"
    history = client.get(f"/sms/consent/contacts/{contact.id}/history", headers={"HX-Request": "true"})
    assert history.text.count('class="consent-event"') == 1


def test_consent_type_is_read_only_after_the_customer_opted_in_on_the_web(client, login, make_contact):
    contact = make_contact()
    consent.opt_in(contact, contact.phone_numbers[0], "Web", "customer_web", "casey", notify=False)
    db.session.commit()
    login("agent")
    page = client.get(f"/contacts/{contact.host_id}/edit").text
    assert re.search(r'<strong id="consent-type-read-only">Web</strong>', page)
    assert 'name="consent-consent_type"' not in page


def test_consent_type_is_read_only_after_an_sms_reply_and_a_new_number_keeps_it(client, login, make_contact):
    contact = make_contact(numbers=("+14155550101", "+14155550102"))
    consent.opt_in(contact, contact.phone_numbers[0], "SMS response", "sms_reply", "Unknown", notify=False)
    db.session.commit()
    login("agent")
    assert re.search(
        r'<strong id="consent-type-read-only">SMS response</strong>',
        client.get(f"/contacts/{contact.host_id}/edit").text,
    )
    response = _staff_post(client, contact, choice="opt_in", phone_id=contact.phone_numbers[1].id)
    assert response.status_code == 302
    event = _events(contact)[-1]
    assert (event.e164, event.old_e164, event.consent_type) == ("+14155550102", "+14155550101", "SMS response")


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_every_staff_role_may_change_consent(client, login, make_contact, role):
    login(role)
    contact = make_contact()
    response = _staff_post(client, contact, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Email")
    assert response.status_code == 302 and _state(contact) == "opted_in"


def test_customers_cannot_use_the_staff_form_even_for_themselves(client, login):
    customer = login("customer")
    contact = record_of(customer)
    response = _staff_post(client, contact, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Email")
    assert response.status_code == 403
    assert _state(contact) == "never_asked"
    assert 'id="sms-consent"' not in client.get(f"/contacts/{contact.host_id}/edit").text


def test_opting_in_sends_one_automatic_confirmation_when_there_is_a_default_sender(
    client, login, make_contact, make_sender
):
    login("agent")
    make_sender()
    contact = make_contact()
    _staff_post(client, contact, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Email")
    db.session.expire_all()
    [message] = db.session.scalars(db.select(Message)).all()
    assert (message.kind, message.phone_e164, message.contact_id) == ("automatic", "+14155550101", contact.id)


def test_staff_opts_an_account_in_from_its_page(client, login, make_account):
    login("agent", username="dana")
    account = make_account()
    assert 'id="sms-consent"' in client.get(f"/accounts/{account.host_id}").text
    response = _staff_post(
        client, account, kind="accounts", choice="opt_in", phone_id=account.phone_numbers[0].id, consent_type="Email"
    )
    assert response.status_code == 302 and response.location == f"/accounts/{account.host_id}"
    assert _state(account) == "opted_in"
    assert [(e.account_id, e.changed_by) for e in _events()] == [(account.id, "dana")]


# Customer self-service


def test_customer_sees_my_preferred_sms_with_an_opt_in_link(client, login):
    customer = login("customer")
    page = client.get(f"/contacts/{customer.contact.host_id}").text
    assert "My preferred SMS" in page and "Not opted in." in page
    assert f'href="/sms/consent/contacts/{record_of(customer).id}/preferred">Opt in/Opt out</a>' in page


def test_edit_preferred_sms_shows_the_legal_text_with_the_business_name(client, login):
    customer = login("customer")
    settings.put("business_name", "Acme Fiber")
    db.session.commit()
    page = client.get(f"/sms/consent/contacts/{record_of(customer).id}/preferred").text
    assert "I agree to receive SMS/Text messages" in page
    assert "agree to receive text messages from Acme Fiber at the number you choose" in page
    assert 'name="sms-phone_id"' in page


def test_customer_opts_in_and_their_page_shows_the_number(client, login):
    customer = login("customer", username="casey")
    contact = record_of(customer)
    response = _customer_post(client, contact, phone=contact.phone_numbers[0])
    assert response.status_code == 302 and response.location == f"/contacts/{contact.host_id}"
    page = client.get(response.location).text
    assert "Opted in." in page and "Text messages go to <strong>(415) 555-0142</strong>" in page
    [event] = _events(contact)
    assert (event.new_state, event.consent_type, event.source, event.changed_by) == (
        "opted_in",
        "Web",
        "customer_web",
        "casey",
    )
    assert contact.phone_numbers[0].preferred_sms


def test_customer_change_is_logged_with_their_email_when_the_setting_says_so(client, login):
    settings.put("customer_changed_by", "email")
    db.session.commit()
    customer = login("customer", username="casey")
    _customer_post(client, record_of(customer), phone=record_of(customer).phone_numbers[0])
    assert [e.changed_by for e in _events()] == ["casey@example.com"]


def test_customer_opts_out_by_unticking_the_box(client, login, opt_in):
    customer = login("customer", username="casey")
    opt_in(record_of(customer))
    response = _customer_post(client, record_of(customer), agree=False)
    assert response.status_code == 302
    assert _state(record_of(customer)) == "opted_out"
    event = _events(record_of(customer))[-1]
    assert (event.new_state, event.source, event.changed_by) == ("opted_out", "customer_web", "casey")
    assert "Opted out." in client.get(response.location).text


def test_customer_cannot_change_another_contact(client, login, make_contact):
    login("customer")
    other = make_contact("Alan", "Turing", numbers=("+14155550199",))
    assert client.get(f"/sms/consent/contacts/{other.id}/preferred").status_code == 404
    response = _customer_post(client, other, phone=other.phone_numbers[0])
    assert response.status_code == 404
    assert _state(other) == "never_asked" and _events() == []


def test_customer_cannot_choose_a_number_that_is_not_theirs(client, login, make_contact):
    customer = login("customer")
    other = make_contact("Alan", "Turing", numbers=("+14155550199",))
    response = _customer_post(client, record_of(customer), phone=other.phone_numbers[0])
    assert response.status_code == 422
    assert _errors(response) == ["That number is not one of this record's numbers: choose one from the list."]
    assert _state(record_of(customer)) == "never_asked" and _events() == []


def test_customer_without_a_number_that_can_receive_sms_is_told_to_add_one(client, login, make_contact):
    contact = make_contact("Casey", "Customer", numbers=())
    login("customer", contact=contact)
    response = _customer_post(client, contact)
    assert response.status_code == 422
    assert _errors(response) == ["There is no number that can receive SMS: add a mobile number first."]


# The audit


def test_consent_history_shows_every_change_on_the_contact_page(client, login, make_contact, opt_in):
    contact = opt_in(make_contact())
    reply = Message(
        direction="inbound",
        status="received",
        body="STOP",
        phone_e164="+14155550101",
        sender_e164="+16285550100",
        contact=contact,
        client_ref="in-1",
    )
    db.session.add(reply)
    db.session.flush()
    consent.opt_out(contact, "sms_reply", "Unknown", "SMS response", reply, notify=False)
    db.session.commit()
    login("agent")
    page = client.get(f"/contacts/{contact.host_id}").text
    history = re.search(r'<section id="sms-consent-history".*?</section>', page, re.DOTALL).group(0)
    rows = re.findall(r'<tr class="consent-event">(.*?)</tr>', history, re.DOTALL)
    assert len(rows) == 2
    newest = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0])).strip()
    assert "Opted in → Opted out" in newest and "SMS response" in newest and "SMS reply" in newest
    assert "Unknown" in newest
    assert f'href="/sms/messages/{reply.id}"' in rows[0]
    assert "Never asked → Opted in" in rows[1] and "tester" in rows[1]


def test_customers_do_not_see_the_consent_history(client, login):
    customer = login("customer")
    assert "SMS consent history" not in client.get(f"/contacts/{customer.contact.host_id}").text
    assert client.get(f"/sms/consent/contacts/{customer.contact_id}/log.csv").status_code == 403


def test_record_csv_has_one_row_per_change_oldest_first(client, login, make_contact, opt_in):
    contact = opt_in(make_contact())
    consent.opt_out(contact, "staff", "dana", notify=False)
    db.session.commit()
    login("agent")
    response = client.get(f"/sms/consent/contacts/{contact.id}/log.csv")
    assert response.mimetype == "text/csv"
    rows = _csv(response)
    assert [(r["old state"], r["new state"], r["number"], r["consent type"], r["changed by"]) for r in rows] == [
        ("Never asked", "Opted in", "'+14155550101", "Email", "tester"),
        ("Opted in", "Opted out", "'+14155550101", "", "dana"),
    ]
    assert {r["record"] for r in rows} == {"Ada Lovelace"}


def test_csv_cells_typed_by_people_cannot_run_as_spreadsheet_formulas(client, login, make_contact, opt_in):
    contact = opt_in(make_contact('=HYPERLINK("http://x")', "Evil"))
    login("agent")
    [row] = _csv(client.get(f"/sms/consent/contacts/{contact.id}/log.csv"))
    assert row["record"] == '\'=HYPERLINK("http://x") Evil'
    assert row["number"] == "'+14155550101"  # a leading + starts a formula too


def test_the_all_records_csv_is_for_managers_and_holds_every_record(client, login, make_contact, make_account, opt_in):
    opt_in(make_contact())
    opt_in(make_account())
    login("manager")
    rows = _csv(client.get("/sms/consent/log.csv"))
    assert sorted((r["record type"], r["record"]) for r in rows) == [
        ("Account", "Acme Logistics"),
        ("Contact", "Ada Lovelace"),
    ]


def test_agents_cannot_export_every_record(client, login):
    login("agent")
    assert client.get("/sms/consent/log.csv").status_code == 403


# The opt-in report


@pytest.fixture
def four_contacts(make_contact, opt_in):
    """Ada opted in by staff (Email); Bea by SMS reply; Cy opted in then out on the web; Dot never asked."""
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    bea = make_contact("Bea", "Reply", numbers=("+14155550102",))
    consent.opt_in(bea, bea.phone_numbers[0], "SMS response", "sms_reply", "Unknown", notify=False)
    cy = make_contact("Cy", "Web", numbers=("+14155550103",))
    consent.opt_in(cy, cy.phone_numbers[0], "Web", "customer_web", "cy", notify=False)
    consent.opt_out(cy, "customer_web", "cy", "Web", notify=False)
    dot = make_contact("Dot", "Never", numbers=("+14155550104",))
    db.session.commit()
    return ada, bea, cy, dot


def _count(page, key):
    return int(re.search(rf'data-count="{key}">.*?<a [^>]*>(\d+)</a>', page, re.DOTALL).group(1))


def test_report_counts_contacts_by_state_type_and_source(client, login, four_contacts):
    login("manager")
    page = client.get("/sms/consent/report").text
    assert [_count(page, f"state-{s}") for s in ("opted_in", "opted_out", "awaiting_reply")] == [2, 1, 0]
    assert _count(page, "never-asked") == 1
    assert [_count(page, f"type-{t}") for t in ("Email", "Phone", "Paper", "Web", "SMS response", "none")] == [
        1,
        0,
        0,
        1,
        1,
        0,
    ]
    assert [_count(page, f"source-{s}") for s in ("staff", "customer_web", "sms_reply", "import")] == [1, 1, 1, 0]


def test_a_count_lists_the_contacts_behind_it_with_links(client, login, four_contacts):
    ada, bea, cy, dot = four_contacts
    login("manager")
    page = client.get("/sms/consent/report").text
    link = html.unescape(re.search(r'data-count="state-opted_in">.*?href="([^"#]+)', page, re.DOTALL).group(1))
    rows = client.get(link, headers={"HX-Request": "true"})
    assert "<html" not in rows.text and 'id="consent-report-rows"' in rows.text
    assert re.findall(r'<a href="/sms/records/(\d+)">', rows.text) == [str(bea.id), str(ada.id)]
    never = client.get("/sms/consent/report?never=1").text
    assert re.findall(r'class="report-row"><td><a href="/contacts/(\d+)">', never) == [dot.host_id]


def test_the_report_counts_only_changes_in_the_date_range(client, login, four_contacts):
    ada, bea, cy, dot = four_contacts
    db.session.execute(
        db.update(ConsentEvent)
        .where(ConsentEvent.contact_id == ada.id)
        .values(at=datetime(2024, 3, 10, 12, tzinfo=UTC))
    )
    db.session.commit()
    login("manager")
    page = client.get("/sms/consent/report?since=2024-03-01&until=2024-03-31").text
    assert _count(page, "state-opted_in") == 1 and _count(page, "state-opted_out") == 0
    assert 'data-count="never-asked"' not in page
    rows = client.get("/sms/consent/report?since=2024-03-01&until=2024-03-31&type=Email").text
    assert re.findall(r'<a href="/sms/records/(\d+)">', rows.split('id="consent-report-rows"')[1]) == [str(ada.id)]


def test_agents_cannot_see_the_report(client, login):
    login("agent")
    assert client.get("/sms/consent/report").status_code == 403


# Consent settings


CONSENT_SETTINGS = {
    "consent_policy": "request_consent",
    "keywords_opt_out": "STOP, QUIT",
    "keywords_opt_in": "START",
    "keywords_help": "HELP",
    "keywords_consent_yes": "YES, 1",
    "keywords_consent_no": "NO, 2",
    "possible_opt_out_action": "flag",
    "support_phone": "(415) 555-0100",
    "support_email": "help@example.com",
    "customer_legal_text": "I agree to texts from {{ business_name }}.",
    "customer_changed_by": "email",
    "staff_consent_text": "I confirm they agreed to texts from {{ business_name }}.",
    "opt_out_scope": "all",
    "notice_opt_in": "{{ business_name }}: subscribed. Reply STOP to stop.",
    "notice_opt_out": "{{ business_name }}: unsubscribed.",
    "notice_help": "{{ business_name }}: call {{ support_phone }} or {{ support_email }}.",
    "disclaimer_text": "This is {{ business_name }}. Reply STOP to opt out.",
    "notice_request_mt": "{{ employee_name }} wants to text you: reply YES or STOP.",
    "notice_request_mo": "You wrote to {{ employee_name }}: reply YES or STOP.",
    "notice_confirmed": "Opt in confirmed.",
    "notice_refused": "Opt out confirmed.",
}


def _save_consent_settings(client, **changes):
    data = {f"consent-{key}": value for key, value in {**CONSENT_SETTINGS, **changes}.items()}
    return client.post("/sms/settings/consent", data=data)


def _field_errors(response, name):
    for label in re.findall(r'<label class="field[^"]*">(.*?)</label>', response.text, re.DOTALL):
        if f'name="consent-{name}"' in label:
            return [html.unescape(e) for e in re.findall(r'<span class="error">([^<]*)</span>', label)]
    raise AssertionError(f"no field {name!r} on the page")


def test_admin_saves_the_consent_settings(client, login):
    login("admin")
    response = _save_consent_settings(client)
    assert response.status_code == 302 and response.location == "/sms/settings#consent"
    db.session.expire_all()
    assert settings.get("consent_policy") == "request_consent"
    assert settings.get("keywords_opt_out") == ["STOP", "QUIT"]
    assert settings.get("customer_changed_by") == "email"
    assert settings.get("notice_help") == "{{ business_name }}: call {{ support_phone }} or {{ support_email }}."


def test_settings_page_explains_each_consent_policy_in_one_line(client, login):
    login("admin")
    page = client.get("/sms/settings").text
    assert "Require opt-in: text only contacts who opted in beforehand." in page
    assert 'name="consent-consent_policy" type="radio" value="disclaimer"' in page


def test_an_unknown_placeholder_is_refused_naming_it(client, login):
    login("admin")
    response = _save_consent_settings(client, notice_help="Call {{ support_fone }}.")
    assert response.status_code == 422
    assert _field_errors(response, "notice_help") == [
        "Unknown variable {{ support_fone }}: automatic messages can use {{ business_name }}, {{ employee_name }}, "
        "{{ support_contact }}, {{ support_phone }}, {{ support_email }}."
    ]
    assert settings.get("consent_policy") == "require_opt_in"


@pytest.mark.parametrize(
    "text, error",
    [
        (
            "{business_name.__class__.__mro__}: subscribed.",
            "{business_name.__class__.__mro__} is not a variable: automatic messages can use {{ business_name }}",
        ),
        (
            "{business_name!r:>99999999}: subscribed.",
            "Write variables in double braces: {{ business_name }}, not {business_name!r:>99999999}.",
        ),
        ("{{ business_name.__class__ }}: subscribed.", "Unknown variable {{ business_name.__class__ }}: automatic"),
        ("{{ business_name!r:>99999999 }}: subscribed.", "{{ business_name!r:>99999999 }} is not a variable"),
    ],
)
def test_a_notice_that_reaches_into_python_or_pads_itself_is_refused_at_save(client, login, text, error):
    login("admin")
    response = _save_consent_settings(client, notice_opt_in=text)
    assert response.status_code == 422
    [shown] = _field_errors(response, "notice_opt_in")
    assert shown.startswith(error)
    assert settings.get("notice_opt_in") == settings.DEFAULTS["notice_opt_in"]


def test_a_hostile_legal_text_stored_before_renders_as_written_and_small(client, login):
    customer = login("customer")
    settings.put("customer_legal_text", "From {business_name.__class__.__mro__} {business_name!r:>99999999}.")
    db.session.commit()
    response = client.get(f"/sms/consent/contacts/{record_of(customer).id}/preferred")
    assert "From {business_name.__class__.__mro__} {business_name!r:&gt;99999999}." in response.text
    assert "class 'str'" not in response.text and len(response.data) < 100_000


def test_the_settings_page_names_the_variables_each_text_may_use(client, login):
    login("admin")
    page = html.unescape(client.get("/sms/settings").text)
    help_text = re.search(r'<p class="wide muted" id="text-variables">(.*?)</p>', page, re.DOTALL).group(1)
    assert " ".join(help_text.split()) == (
        "Variables are written in double braces and filled in when a text is sent: {{ business_name }}, "
        "{{ employee_name }}, {{ support_contact }}, {{ support_phone }}, {{ support_email }} ({{ business_name }}, "
        "{{ support_phone }}, {{ support_email }} in the legal text)."
    )


def test_the_legal_text_cannot_name_an_employee(client, login):
    login("admin")
    response = _save_consent_settings(client, customer_legal_text="Texts from {{ employee_name }}.")
    assert _field_errors(response, "customer_legal_text") == [
        "Unknown variable {{ employee_name }}: the legal text can use {{ business_name }}, {{ support_phone }}, "
        "{{ support_email }}."
    ]


def test_a_keyword_in_two_lists_is_refused(client, login):
    login("admin")
    response = _save_consent_settings(client, keywords_opt_in="START, stop")
    assert response.status_code == 422
    assert _field_errors(response, "keywords_opt_in") == [
        "“stop” is already one of the opt-out keywords: a word can be in one list only."
    ]
    assert settings.get("keywords_opt_in") == settings.DEFAULTS["keywords_opt_in"]


@pytest.mark.parametrize("key", ["keywords_opt_out", "keywords_opt_in", "keywords_help"])
def test_a_number_is_refused_as_a_keyword_at_any_time(client, login, key):
    login("admin")
    response = _save_consent_settings(client, **{key: "STOP, 3" if key == "keywords_opt_out" else "9"})
    assert response.status_code == 422
    [error] = _field_errors(response, key)
    assert "is a number" in error and "consent answer" in error
    assert settings.get(key) == settings.DEFAULTS[key]


def test_a_keyword_of_several_words_is_saved_and_a_number_is_a_consent_answer(client, login):
    login("admin")
    response = _save_consent_settings(client, keywords_opt_out="STOP, No more texts", keywords_consent_no="NO, 2, 3")
    assert response.status_code == 302
    assert settings.get("keywords_opt_out") == ["STOP", "No more texts"]
    assert settings.get("keywords_consent_no") == ["NO", "2", "3"]


def test_a_keyword_that_is_only_punctuation_or_emoji_is_refused(client, login):
    login("admin")
    response = _save_consent_settings(client, keywords_help="HELP, 🆘")
    assert _field_errors(response, "keywords_help") == [
        "“🆘” has no letter or digit: a keyword is a word people can type."
    ]


def test_a_consent_answer_in_an_always_read_list_is_refused(client, login):
    login("admin")
    response = _save_consent_settings(client, keywords_opt_in="START, yes!")
    assert response.status_code == 422
    assert _field_errors(response, "keywords_consent_yes") == [
        "“YES” is already one of the opt-in keywords: a word can be in one list only."
    ]


def test_admin_chooses_that_a_possible_opt_out_opts_out_at_once(client, login):
    login("admin")
    assert "reads as a wish to stop" in client.get("/sms/settings").text
    response = _save_consent_settings(client, possible_opt_out_action="opt_out")
    assert response.status_code == 302
    assert settings.get("possible_opt_out_action") == "opt_out"


def test_every_keyword_list_needs_a_word(client, login):
    login("admin")
    response = _save_consent_settings(client, keywords_help=" , ")
    assert _field_errors(response, "keywords_help") == ["Enter at least one help keyword."]


def test_every_automatic_text_is_required(client, login):
    login("admin")
    response = _save_consent_settings(client, notice_refused="")
    assert _field_errors(response, "notice_refused") == ["Enter the text: it is sent automatically."]


def test_a_text_quoting_the_support_phone_needs_one(client, login):
    login("admin")
    response = _save_consent_settings(client, support_phone="")
    assert _field_errors(response, "support_phone") == [
        "Answer to HELP quotes {{ support_phone }}: fill this in, or take it out of that text."
    ]


def test_agents_cannot_change_consent_settings(client, login):
    login("agent")
    assert _save_consent_settings(client).status_code == 403
    assert settings.get("consent_policy") == "require_opt_in"
