"""The triggered messages tab of the settings: admins map host events to saved messages."""

import html
import re

import pytest

import crm_sms
from crm_sms.models import TriggerRule, db
from crm_sms.models.signature import TEXTS
from crm_sms.services import departments, signatures, templates, triggers


def _field_errors(response, name):
    """The error messages shown on the form field whose input is called ``name``."""
    for label in re.findall(r'<label class="field[^"]*">(.*?)</label>', response.text, re.DOTALL):
        if f'name="{name}"' in label:
            return [html.unescape(e) for e in re.findall(r'<span class="error">([^<]*)</span>', label)]
    raise AssertionError(f"no field {name!r} on the page")


def _rules():
    return db.session.scalars(db.select(TriggerRule).order_by(TriggerRule.event)).all()


@pytest.fixture
def saved(make_user):
    """A saved message for contacts and one for accounts."""
    author = make_user("writer", "manager")
    made = {
        "contacts": templates.save(None, "Payment received", "contacts", "Thanks {{ contact.first_name }}!", author),
        "accounts": templates.save(None, "Service restored", "accounts", "{{ account.name }}: back on.", author),
    }
    db.session.commit()
    return made


def _form(template, **fields):
    return {
        "event": "payment.received",
        "module": template.module,
        "template": template.id,
        "sender": 0,
        "signature": 0,
        "active": "y",
        **fields,
    }


@pytest.mark.parametrize("role", ["manager", "agent"])
def test_only_admins_see_the_page(client, login, role):
    login(role)
    assert client.get("/sms/settings/triggers").status_code == 403
    assert client.post("/sms/settings/triggers", data={"event": "x.y"}).status_code == 403
    assert _rules() == []


def test_the_page_is_a_tab_of_the_settings(client, login):
    login("admin")
    response = client.get("/sms/settings/triggers")
    assert response.status_code == 200
    assert re.search(r'href="/sms/settings/triggers"\s+aria-current="page">Triggered messages', response.text)


def test_an_admin_creates_a_rule_with_the_default_sender_and_signature(client, login, saved):
    login("admin")
    response = client.post("/sms/settings/triggers", data=_form(saved["contacts"]))
    assert response.status_code == 302
    [rule] = _rules()
    assert (rule.event, rule.module, rule.template, rule.sender, rule.signature, rule.active) == (
        "payment.received",
        "contacts",
        saved["contacts"],
        None,
        None,
        True,
    )
    page = client.get("/sms/settings/triggers").text
    assert "payment.received" in page and "Payment received" in page


def test_an_admin_edits_a_rule(client, login, saved, make_sender):
    login("admin")
    support = departments.save(None, "Support", "(415) 555-0100", "support@example.com")
    signature = signatures.save(None, "Short", support, TEXTS[0])
    sender = make_sender("+16285550199", is_default=False)
    rule = triggers.save(None, "payment.received", "contacts", saved["contacts"])
    db.session.commit()
    response = client.post(
        f"/sms/settings/triggers/{rule.id}",
        data=_form(saved["accounts"], event="service.restored", sender=sender.id, signature=signature.id, active=""),
    )
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.event, rule.module, rule.template, rule.sender, rule.signature, rule.active) == (
        "service.restored",
        "accounts",
        saved["accounts"],
        sender,
        signature,
        False,
    )


def test_an_admin_deletes_a_rule_and_its_event_then_sends_nothing(client, login, saved, make_contact, opt_in):
    login("admin")
    rule = triggers.save(None, "payment.received", "contacts", saved["contacts"])
    db.session.commit()
    response = client.post(f"/sms/settings/triggers/{rule.id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="trigger-rules"' in response.text and "<html" not in response.text
    assert "Deleted the rule for payment.received" in response.text
    assert _rules() == []
    fired = crm_sms.trigger("payment.received", contact=opt_in(make_contact()))
    assert fired.reason == triggers.NO_RULE


def test_a_saved_message_for_the_other_module_is_refused_naming_the_field(client, login, saved):
    login("admin")
    response = client.post("/sms/settings/triggers", data=_form(saved["accounts"], module="contacts"))
    assert response.status_code == 422
    assert _field_errors(response, "template") == [
        "“Service restored” is written for accounts, and this rule texts contacts: choose a saved message for contacts."
    ]
    assert _rules() == []


@pytest.mark.parametrize("event", ["Payment Received", "payment..received", "payment.received!", ".payment"])
def test_a_malformed_event_name_is_refused(client, login, saved, event):
    login("admin")
    response = client.post("/sms/settings/triggers", data=_form(saved["contacts"], event=event))
    assert response.status_code == 422
    [error] = _field_errors(response, "event")
    assert error.startswith("An event name is lower-case letters, digits and underscores")
    assert _rules() == []


def test_a_second_rule_for_one_event_is_refused(client, login, saved):
    login("admin")
    triggers.save(None, "payment.received", "contacts", saved["contacts"])
    db.session.commit()
    response = client.post("/sms/settings/triggers", data=_form(saved["contacts"]))
    assert response.status_code == 422
    assert _field_errors(response, "event") == ["There is already a rule for payment.received: edit that one."]


def test_a_rule_needs_a_saved_message(client, login, saved):
    login("admin")
    response = client.post("/sms/settings/triggers", data={**_form(saved["contacts"]), "template": 0})
    assert response.status_code == 422
    assert _field_errors(response, "template") == ["Choose the saved message to send."]


def test_events_fired_without_a_rule_and_their_outcome_are_listed(client, login, saved, make_contact):
    login("admin")
    crm_sms.trigger("invoice.overdue", contact=make_contact())
    db.session.commit()
    page = client.get("/sms/settings/triggers").text
    assert 'id="unmapped-events"' in page and "<code>invoice.overdue</code>" in page
    assert "Not sent: " + triggers.NO_RULE in page


def test_the_sent_messages_page_labels_a_triggered_message(client, login, saved, make_contact, opt_in, make_sender):
    login("admin")
    make_sender(is_default=True)
    triggers.save(None, "payment.received", "contacts", saved["contacts"])
    fired = crm_sms.trigger("payment.received", contact=opt_in(make_contact()))
    db.session.commit()
    page = client.get("/sms/messages").text
    assert page.count(">Triggered</span>") == 1
    assert "triggered by an event" in client.get(f"/sms/messages/{fired.message.id}").text
