"""Consent on the web against a number's own STOP, the hourly notice limit, and the proof each change keeps."""

import csv
import html
import io
import re
from datetime import UTC, datetime

from crm_sms.blueprints import sms_settings_forms
from crm_sms.models import ConsentEvent, Message, Suppression, db
from crm_sms.services import consent, consent_log, notices, provider_events, settings
from tests.blueprints.test_consent import CONSENT_SETTINGS
from tests.conftest import add_phone, record_of
from tests.fakes.vonage import inbound

STRANGER = "+14155550177"  # someone else's number, which replied STOP
OURS = "+16285550100"
HINT = "This number replied STOP. Only the person with it can opt back in, by texting START to (628) 555-0100."


def _stop(number=STRANGER, to=OURS):
    provider_events.receive_inbound(inbound("STOP", msisdn=number.lstrip("+"), to=to.lstrip("+")))
    db.session.commit()


def _errors(response):
    return [html.unescape(e) for e in re.findall(r'class="error"[^>]*>([^<]*)', response.text)]


def _events(owner):
    db.session.expire_all()
    return db.session.scalars(
        db.select(ConsentEvent).where(ConsentEvent.contact_id == owner.id).order_by(ConsentEvent.id)
    ).all()


def _automatic_to(e164):
    db.session.expire_all()
    return db.session.scalars(db.select(Message).where(Message.kind == "automatic", Message.phone_e164 == e164)).all()


def _customer_post(client, contact, agree=True, phone=None, version=None):
    data = {"sms-phone_id": phone.id if phone else ""}
    if agree:
        data["sms-agree"] = "y"
    if version:
        data["sms-wording_version"] = version
    return client.post(f"/sms/consent/contacts/{contact.id}/preferred", data=data, follow_redirects=True)


def _staff_post(client, owner, **fields):
    data = {f"consent-{key}": value for key, value in fields.items()}
    return client.post(f"/sms/consent/contacts/{owner.id}", data=data, headers={"HX-Request": "true"})


# Only the number lifts its own STOP


def test_a_customer_who_adds_someone_elses_stopped_number_cannot_opt_it_in(
    client, login, make_contact, make_sender, phone_types
):
    make_sender(OURS)
    make_contact("Stella", "Stranger", numbers=(STRANGER,))
    _stop()
    customer = login("customer")
    contact = record_of(customer)
    added = add_phone(contact, STRANGER, phone_types["Mobile"])
    db.session.commit()
    texts_before = len(_automatic_to(STRANGER))  # the STOP's own confirmation
    for _ in range(10):  # ten toggles send nothing and change nothing
        response = _customer_post(client, contact, phone=added)
        assert response.status_code == 422
        assert _errors(response) == [HINT]
    assert consent.state_of(contact) == "never_asked" and _events(contact) == []
    assert db.session.get(Suppression, (STRANGER, "")) is not None
    assert len(_automatic_to(STRANGER)) == texts_before


def test_staff_cannot_opt_a_stopped_number_in_and_are_told_how_it_can_be(client, login, make_contact, make_sender):
    make_sender(OURS)
    contact = make_contact("Stella", "Stranger", numbers=(STRANGER,))
    _stop()
    login("agent")
    response = _staff_post(client, contact, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Phone")
    assert response.status_code == 422 and _errors(response) == [HINT]
    assert consent.state_of(contact) == "opted_out"
    assert db.session.get(Suppression, (STRANGER, "")) is not None


def test_staff_typing_a_stopped_number_as_a_new_one_are_refused_and_nothing_is_added(
    client, login, make_contact, make_sender, phone_types
):
    make_sender(OURS)
    make_contact("Stella", "Stranger", numbers=(STRANGER,))
    _stop()
    login("agent")
    contact = make_contact("Ada", "Lovelace", numbers=("+14155550101",))
    response = _staff_post(
        client,
        contact,
        choice="opt_in",
        consent_type="Phone",
        new_number=STRANGER,
        new_type_id=phone_types["Mobile"].id,
    )
    assert response.status_code == 422 and _errors(response) == [HINT]
    db.session.expire_all()
    assert [p.e164 for p in contact.phone_numbers] == ["+14155550101"]


# One automatic text an hour


def test_two_customer_toggles_within_the_hour_send_one_text_and_say_so(client, login, make_sender):
    make_sender(OURS)
    customer = login("customer")
    contact = record_of(customer)
    first = _customer_post(client, contact, phone=contact.phone_numbers[0])
    assert "No text was sent" not in first.text
    _customer_post(client, contact, agree=False)
    third = _customer_post(client, contact, phone=contact.phone_numbers[0])
    assert [m.body for m in _automatic_to("+14155550142")] == [notices.text("notice_opt_in")]
    assert "Opted in to SMS at (415) 555-0142. No text was sent: (415) 555-0142 already got an automatic text" in (
        html.unescape(third.text)
    )
    assert [e.new_state for e in _events(contact)] == ["opted_in", "opted_out", "opted_in"]  # every change kept


def test_two_staff_changes_within_the_hour_send_one_text(client, login, make_contact, make_sender):
    make_sender(OURS)
    login("agent")
    contact = make_contact(numbers=("+14155550101",))
    phone_id = contact.phone_numbers[0].id
    _staff_post(client, contact, choice="opt_in", phone_id=phone_id, consent_type="Email")
    response = _staff_post(client, contact, choice="opt_out")
    assert "Opted out of SMS. No text was sent" in html.unescape(response.text)
    assert len(_automatic_to("+14155550101")) == 1
    opted_out = _events(contact)[-1]
    assert (opted_out.channel, opted_out.wording) == ("web_form", None)  # staff attest to nothing when stopping


# The wording each change keeps


def test_the_staff_form_shows_the_attestation_and_the_event_keeps_it_with_its_version(client, login, make_contact):
    settings.put("business_name", "Acme Fiber")
    db.session.commit()
    login("agent", username="dana")
    contact = make_contact(numbers=("+14155550101",))
    page = html.unescape(client.get(f"/sms/consent/contacts/{contact.id}").text)
    wording = consent_log.staff_text()
    assert "from Acme Fiber" in wording and wording in page
    version = re.search(r'name="consent-wording_version"[^>]*value="([^"]+)"', page).group(1)
    _staff_post(
        client,
        contact,
        choice="opt_in",
        phone_id=contact.phone_numbers[0].id,
        consent_type="Paper",
        wording_version=version,
    )
    [event] = _events(contact)
    assert (event.wording, event.wording_version, event.channel, event.changed_by) == (
        wording,
        version,
        "web_form",
        "dana",
    )


def test_the_customer_event_keeps_the_legal_text_shown_even_after_it_changes(client, login):
    settings.put("business_name", "Acme Fiber")
    db.session.commit()
    customer = login("customer", username="casey")
    contact = record_of(customer)
    page = client.get(f"/sms/consent/contacts/{contact.id}/preferred").text
    version = re.search(r'name="sms-wording_version"[^>]*value="([^"]+)"', page).group(1)
    shown = consent_log.legal_text()
    _customer_post(client, contact, phone=contact.phone_numbers[0], version=version)
    settings.put("customer_legal_text", "Something else entirely.")
    db.session.commit()
    [event] = _events(contact)
    assert (event.wording, event.wording_version, event.channel) == (shown, version, "customer_portal")
    assert event.wording_version == consent_log.version(shown)


def test_a_form_whose_wording_changed_while_open_is_refused(client, login):
    customer = login("customer")
    contact = record_of(customer)
    page = client.get(f"/sms/consent/contacts/{contact.id}/preferred").text
    version = re.search(r'name="sms-wording_version"[^>]*value="([^"]+)"', page).group(1)
    settings.put("customer_legal_text", "New terms from {{ business_name }}.")
    db.session.commit()
    response = _customer_post(client, contact, phone=contact.phone_numbers[0], version=version)
    assert response.status_code == 422
    assert _errors(response) == ["The wording changed while this form was open: read it again and save again."]
    assert "New terms from" in response.text and _events(contact) == []


def test_the_record_csv_shows_channel_wording_version_and_who(client, login, make_contact, make_sender):
    make_sender(OURS)
    login("agent", username="dana")
    contact = make_contact(numbers=(STRANGER,))
    _staff_post(client, contact, choice="opt_in", phone_id=contact.phone_numbers[0].id, consent_type="Email")
    _stop()
    rows = list(csv.DictReader(io.StringIO(client.get(f"/sms/consent/contacts/{contact.id}/log.csv").text)))
    assert [(r["channel"], r["wording"], r["changed by"]) for r in rows] == [
        ("Staff web form", consent_log.staff_text(), "dana"),
        ("SMS reply", "STOP", "Unknown"),
    ]
    assert rows[0]["wording version"] == consent_log.version(consent_log.staff_text())
    assert rows[1]["wording version"] == "" and rows[1]["sender (opt-out of this number only)"] == ""


def test_the_history_shows_the_wording_and_a_sender_only_opt_out(client, login, make_contact, make_sender):
    make_sender(OURS)
    settings.put("opt_out_scope", "sender")
    db.session.commit()
    login("agent")
    contact = make_contact(numbers=(STRANGER,))
    _stop()
    page = html.unescape(client.get(f"/sms/consent/contacts/{contact.id}/history").text)
    assert "Opted out of\n          texts from (628) 555-0100 only" in page and "“STOP”" in page


# The opt-out scope setting


def test_admin_chooses_the_opt_out_scope_both_ways(client, login):
    login("admin")
    for scope in ("sender", "all"):
        response = client.post(
            "/sms/settings/consent",
            data={f"consent-{k}": v for k, v in {**CONSENT_SETTINGS, "opt_out_scope": scope}.items()},
        )
        assert response.status_code == 302
        db.session.expire_all()
        assert settings.get("opt_out_scope") == scope
    assert "revoke-all rule takes effect on 2027-01-31" in client.get("/sms/settings").text


def test_sender_scope_is_refused_once_the_revoke_all_rule_is_in_force(client, login, monkeypatch):
    login("admin")
    monkeypatch.setattr(sms_settings_forms, "utcnow", lambda: datetime(2027, 1, 31, 12, tzinfo=UTC))
    response = client.post(
        "/sms/settings/consent",
        data={f"consent-{k}": v for k, v in {**CONSENT_SETTINGS, "opt_out_scope": "sender"}.items()},
    )
    assert response.status_code == 422
    assert "the FCC's revoke-all rule makes an opt-out cover every sender number" in html.unescape(response.text)
    db.session.expire_all()
    assert settings.get("opt_out_scope") == "all"
