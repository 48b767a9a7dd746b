"""crm_sms's own rows for the host's records: kept in step with the host, whatever the host does to its numbers."""

import pytest
from flask import Flask

from crm_sms import CrmSms, Host, Phone
from crm_sms.crm import BuiltinHost
from crm_sms.crm.models import Contact, User
from crm_sms.crm.services import phones
from crm_sms.host import HostError
from crm_sms.models import Consent, ConsentEvent, Message, PhoneNumber, Record, db
from crm_sms.services import consent, messages, provider_events, records
from tests.conftest import builtin
from tests.fakes.vonage import inbound


@pytest.fixture
def sender(make_sender):
    return make_sender("+16285550100")


@pytest.fixture
def agent(make_user):
    return make_user("grace", "agent")


def use_host(app, host):
    """Serve ``host`` from now on in this app (as ``CrmSms(app, host=...)`` would)."""
    host.check()
    app.extensions["crm_sms"].host = host


def test_link_makes_one_record_per_host_record_and_takes_its_name_account_and_numbers(app, make_contact, make_account):
    acme = make_account("Acme")
    ada = make_contact("Ada", "Lovelace", numbers=("+14155550101", "+14155550102"), account=acme)
    assert records.link(builtin(ada)) is ada  # the same row again
    assert (ada.kind, ada.host_id, ada.name, ada.account) == ("contacts", str(builtin(ada).id), "Ada Lovelace", acme)
    assert [(p.e164, p.label, p.sms_capable, p.is_primary, p.current) for p in ada.phone_numbers] == [
        ("+14155550101", "Mobile", True, True, True),
        ("+14155550102", "Mobile", True, False, True),
    ]
    assert db.session.scalar(db.select(db.func.count(Record.id))) == 2


def test_a_number_changed_on_the_host_form_is_the_one_texted_next(app, make_contact, opt_in, sender, agent):
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    old = ada.phone_numbers[0]
    messages.compose(ada, old, sender, "Before", agent)
    db.session.commit()

    contact = builtin(ada)
    phones.update(contact.phone_numbers[0], "(415) 555-0199", contact.phone_numbers[0].type)  # the CRM's own form
    db.session.commit()

    records.sync(ada)
    [new] = ada.phone_numbers
    assert new.e164 == "+14155550199" and new.preferred_sms  # the slot's new number takes the old one's place
    assert (old.current, old.preferred_sms) == (False, False)  # kept, with its history
    consent.opt_in(ada, new, "Email", "staff", "tester", notify=False)
    message = messages.compose(ada, new, sender, "After", agent)
    db.session.commit()
    assert message.phone_e164 == "+14155550199"
    # The old number keeps its consent history and its messages.
    assert db.session.scalar(db.select(db.func.count(ConsentEvent.id)).where(ConsentEvent.e164 == "+14155550101")) == 1
    assert db.session.scalar(db.select(Message.phone_e164).where(Message.body == "Before")) == "+14155550101"


def test_the_old_number_is_refused_once_the_host_changed_it(app, make_contact, opt_in, sender, agent):
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    old = ada.phone_numbers[0]
    contact = builtin(ada)
    phones.update(contact.phone_numbers[0], "+14155550199", contact.phone_numbers[0].type)
    db.session.commit()
    with pytest.raises(messages.MessageError, match="Choose one of this record's numbers"):
        messages.compose(ada, old, sender, "To the old number", agent)  # compose syncs first


def test_a_number_that_said_stop_stays_opted_out_on_whichever_record_it_appears(
    app, make_contact, opt_in, phone_types, sender, agent
):
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    provider_events.receive_inbound(inbound("STOP", msisdn="14155550101", to="16285550100"))
    db.session.commit()
    bea = make_contact("Bea", "Moved", numbers=())
    phones.add(builtin(bea), "+1 415 555 0101", phone_types["Mobile"])  # the number turns up on another record
    db.session.commit()
    records.sync(bea)
    assert consent.reasons(bea)[bea.phone_numbers[0]] == consent.SUPPRESSED
    assert consent.state_of(ada) == "opted_out"


def test_numbers_in_any_format_are_normalised_and_an_unreadable_one_is_named(app, make_contact, login, client):
    class FreeFormatHost(BuiltinHost):
        def phones(self, record):
            return [
                Phone("(415) 555-0101", "Mobile", key="mobile"),
                Phone("+44 20 7946 0000", "Office", sms=False, key="office"),
                Phone("call me maybe", "Home", key="home"),
            ]

    use_host(app, FreeFormatHost())
    ada = make_contact("Ada", "Lovelace", numbers=())
    assert [(p.e164, p.region, p.key, p.sms_capable) for p in ada.phone_numbers] == [
        ("+14155550101", "US", "mobile", True),
        ("+442079460000", "GB", "office", False),
    ]
    [(label, number, why)] = ada.unreadable
    assert (label, number) == ("Home", "call me maybe") and "not a phone number" in why

    login("agent")
    page = client.get(f"/sms/contacts/{ada.id}/panel", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "“call me maybe” cannot be read" in page.text


def test_a_record_with_no_numbers_gets_a_clear_panel(app, make_contact, login, client):
    ada = make_contact("Ada", "Lovelace", numbers=())
    login("agent")
    page = client.get(f"/sms/contacts/{ada.id}/panel", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "has no number that can receive SMS" in page.text


class Garbled(BuiltinHost):
    """A host whose phones() answers what is not a number list."""

    def phones(self, record):
        return [42]


def test_a_host_that_answers_garbage_gets_a_panel_that_says_so_not_a_500(app, make_contact, login, client):
    ada = make_contact("Ada", "Lovelace")
    use_host(app, Garbled())
    login("agent")
    page = client.get(f"/contacts/{ada.host_id}")
    assert page.status_code == 200
    assert "SMS is not available on this record: Garbled.phones() gave 42" in page.text


def test_a_host_missing_a_method_fails_at_init_naming_it():
    class Incomplete(Host):
        contact_model = Contact
        user_model = User

        def name(self, record):
            return "x"

    with pytest.raises(HostError) as error:
        CrmSms(Flask(__name__), host=Incomplete())
    message = str(error.value)
    assert "Incomplete is not a complete crm_sms host" in message
    for missing in ("url()", "phones()", "role()", "staff()"):
        assert missing in message
    assert "name()" not in message


def test_a_host_without_a_contact_model_is_told_so():
    class NoModels(BuiltinHost):
        contact_model = None

    with pytest.raises(HostError, match="contact_model"):
        NoModels().check()


class ParisOnly(BuiltinHost):
    """An owner-only style CRM: staff see the contacts of Paris only."""

    def visible(self, user, kind, query):
        if kind == "contacts":
            return query.where(Contact.city == "Paris")
        return query


def test_staff_see_and_text_only_the_records_the_host_shows_them(
    app, make_contact, opt_in, sender, agent, login, client
):
    use_host(app, ParisOnly())
    seen = opt_in(make_contact("Amelie", "Poulain", numbers=("+14155550101",), city="Paris"))
    hidden = opt_in(make_contact("Hank", "Hidden", numbers=("+14155550102",), city="Lyon"))
    messages.compose(seen, seen.phone_numbers[0], sender, "To Paris", agent)
    messages.compose(hidden, hidden.phone_numbers[0], sender, "To Lyon", agent)
    db.session.commit()

    login("manager")  # reads every conversation: only the host's rule hides anything
    assert client.get(f"/sms/contacts/{seen.id}/panel").status_code == 200
    assert client.get(f"/sms/contacts/{hidden.id}/panel").status_code == 404
    sent = client.post(
        f"/sms/contacts/{hidden.id}/messages",
        data={"sms-phone_id": hidden.phone_numbers[0].id, "sms-sender_id": sender.id, "sms-body": "Hi"},
    )
    assert sent.status_code == 404
    listed = client.get("/sms/messages").text
    assert "Amelie Poulain" in listed and "Hank Hidden" not in listed
    export = client.get("/sms/messages.csv").text
    assert "To Paris" in export and "To Lyon" not in export


def test_consent_rows_point_at_crm_sms_numbers(app, make_contact, opt_in):
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    row = db.session.scalar(db.select(Consent).where(Consent.contact_id == ada.id))
    assert isinstance(row.phone_number, PhoneNumber) and row.phone_number.record is ada


def test_empty_columns_are_no_numbers_and_plain_strings_are_taken(app, make_contact):
    class ColumnsHost(BuiltinHost):
        def phones(self, record):
            return ["+1 415 555 0101", ("(415) 555-0102", "Office", False), Phone(None, "Home"), Phone("", "Fax")]

    use_host(app, ColumnsHost())
    ada = make_contact("Ada", "Lovelace", numbers=())
    assert [(p.e164, p.label, p.sms_capable) for p in ada.phone_numbers] == [
        ("+14155550101", "Phone", True),
        ("+14155550102", "Office", False),
    ]
    assert ada.unreadable == []
