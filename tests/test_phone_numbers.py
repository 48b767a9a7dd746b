import pytest
import sqlalchemy as sa

from crm_sms.crm.models import PhoneNumber
from crm_sms.models import db
from crm_sms.services import phone_numbers, records
from crm_sms.services.phone_numbers import PhoneNumberError
from tests.conftest import add_phone, builtin, record_of


def _count():
    """The built-in CRM's numbers (its own page adds them)."""
    return db.session.scalar(db.select(db.func.count(PhoneNumber.id)))


@pytest.mark.parametrize("typed", ["(415) 555-0101", "415.555.0101", "+1 415 555 0101", "14155550101"])
def test_typed_numbers_are_stored_as_e164_with_region_and_time_zone(app, typed):
    assert phone_numbers.parse(typed) == ("+14155550101", "US", "America/Los_Angeles")


def test_canadian_numbers_are_allowed_by_default(app):
    assert phone_numbers.parse("+1 416 555 0111")[:2] == ("+14165550111", "CA")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Enter a phone number."),
        ("call me", "“call me” is not a phone number."),
        ("12", "“12” is not a valid phone number: check the digits and the country code."),
        ("+1 555 555 5555", "is not a valid phone number"),
        (
            "+44 20 7946 0000",
            "+44 (United Kingdom) numbers are not allowed: only numbers from United States and Canada can receive SMS.",
        ),
    ],
)
def test_a_number_that_cannot_be_kept_gets_a_clear_error(app, typed, message):
    with pytest.raises(PhoneNumberError) as error:
        phone_numbers.parse(typed)
    assert message in str(error.value)


def test_allowed_regions_come_from_the_setting(make_app):
    with make_app(CRM_SMS_ALLOWED_REGIONS="GB").app_context():
        assert phone_numbers.parse("+44 20 7946 0000")[1] == "GB"
        with pytest.raises(PhoneNumberError, match="only numbers from United Kingdom"):
            phone_numbers.parse("+1 415 555 0101")


def test_adding_a_number_on_the_contact_page_stores_it(client, login, make_contact, phone_types):
    login("agent")
    contact = builtin(make_contact(numbers=()))
    response = client.post(
        f"/contacts/{contact.id}/phones",
        data={"phone-new-number": "(415) 555-0177", "phone-new-type_id": phone_types["Mobile"].id},
    )
    assert response.location == f"/contacts/{contact.id}"
    db.session.refresh(contact)
    [phone] = contact.phone_numbers
    assert (phone.e164, phone.region, phone.is_primary) == ("+14155550177", "US", True)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("+44 20 7946 0000", "+44 (United Kingdom) numbers are not allowed"),
        ("555", "is not a valid phone number"),
        ("", "Enter a phone number."),
    ],
)
def test_a_bad_number_gets_a_form_error_and_nothing_is_saved(client, login, make_contact, phone_types, typed, message):
    login("agent")
    contact = make_contact()
    before = _count()
    response = client.post(
        f"/contacts/{contact.host_id}/phones",
        headers={"HX-Request": "true"},
        data={"phone-new-number": typed, "phone-new-type_id": phone_types["Mobile"].id},
    )
    assert response.status_code == 422
    assert 'id="phone-numbers"' in response.text and "<html" not in response.text
    assert f'<option value="{phone_types["Mobile"].id}"' in response.text  # the form comes back whole
    assert message in response.text.replace("&#39;", "'")
    assert _count() == before


def test_the_same_number_twice_on_one_record_is_refused(client, login, make_contact, phone_types):
    login("agent")
    contact = make_contact(numbers=("+14155550101",))
    response = client.post(
        f"/contacts/{contact.host_id}/phones",
        data={"phone-new-number": "415 555 0101", "phone-new-type_id": phone_types["Home"].id},
    )
    assert response.status_code == 422
    assert "+14155550101 is already one of this record" in response.text.replace("&#39;", "'")
    assert _count() == 1


def test_editing_a_number_reparses_it_and_moves_the_primary_flag(client, login, make_contact, phone_types):
    login("agent")
    record = make_contact(numbers=("+14155550101", "+14155550102"))
    first, second = builtin(record).phone_numbers
    response = client.post(
        f"/phones/{second.id}/edit",
        data={
            f"phone-{second.id}-number": "(212) 555-0199",
            f"phone-{second.id}-type_id": phone_types["Home"].id,
            f"phone-{second.id}-is_primary": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(first), db.session.refresh(second)
    assert (second.e164, second.type.name) == ("+12125550199", "Home")
    assert second.is_primary and not first.is_primary
    records.sync(record)  # crm_sms takes the edit in: the new number, its time zone, the slot's new type
    [number] = [p for p in record.phone_numbers if p.e164 == "+12125550199"]
    assert (number.time_zone, number.label, number.sms_capable, number.is_primary) == (
        "America/New_York",
        "Home",
        False,
        True,
    )


def test_editing_to_a_foreign_number_is_refused_and_keeps_the_old_one(client, login, make_contact, phone_types):
    login("agent")
    phone = builtin(make_contact(numbers=("+14155550101",))).phone_numbers[0]
    response = client.post(
        f"/phones/{phone.id}/edit",
        data={f"phone-{phone.id}-number": "+33 1 23 45 67 89", f"phone-{phone.id}-type_id": phone_types["Mobile"].id},
    )
    assert response.status_code == 422
    assert "+33 (France) numbers are not allowed" in response.text
    db.session.refresh(phone)
    assert phone.e164 == "+14155550101"


def test_removing_the_primary_number_promotes_the_next(client, login, make_contact):
    login("agent")
    contact = builtin(make_contact(numbers=("+14155550101", "+14155550102")))
    first, second = contact.phone_numbers
    assert client.post(f"/phones/{first.id}/delete").status_code == 302
    db.session.refresh(contact)
    assert contact.phone_numbers == [second] and second.is_primary


def test_account_numbers_are_kept_like_contact_numbers(client, login, make_account, phone_types):
    login("agent")
    account = builtin(make_account(numbers=()))
    client.post(
        f"/accounts/{account.id}/phones",
        data={"phone-new-number": "+1 (212) 555-0101", "phone-new-type_id": phone_types["Office"].id},
    )
    db.session.refresh(account)
    assert [p.e164 for p in account.phone_numbers] == ["+12125550101"]


def test_preferred_sms_cannot_be_set_from_the_phone_form(client, login, make_contact, phone_types):
    login("agent")
    record = make_contact()
    phone = builtin(record).phone_numbers[0]
    client.post(
        f"/phones/{phone.id}/edit",
        data={
            f"phone-{phone.id}-number": phone.e164,
            f"phone-{phone.id}-type_id": phone_types["Mobile"].id,
            f"phone-{phone.id}-preferred_sms": "y",
            "preferred_sms": "y",
        },
    )
    records.sync(record)
    assert [p.preferred_sms for p in record.phone_numbers] == [False]


def test_preferred_sms_flag_is_shown_read_only_on_the_phone_list(client, login, make_contact):
    login("agent")
    contact = make_contact(numbers=("+14155550101", "+14155550102"))
    phone_numbers.set_preferred_sms(contact, contact.phone_numbers[1])
    db.session.commit()
    page = client.get(f"/contacts/{contact.host_id}").text
    assert page.count("Preferred SMS") == 1
    assert 'name="phone-new-preferred_sms"' not in page


def test_a_contact_has_at_most_one_preferred_sms_number(app, make_contact):
    contact = make_contact(numbers=("+14155550101", "+14155550102"))
    first, second = contact.phone_numbers
    phone_numbers.set_preferred_sms(contact, first)
    phone_numbers.set_preferred_sms(contact, second)
    db.session.commit()
    assert (first.preferred_sms, second.preferred_sms) == (False, True)
    first.preferred_sms = True
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_preferred_sms_number_must_be_the_contacts_own(app, make_contact):
    contact = make_contact(numbers=("+14155550101",))
    other = make_contact("Alan", "Turing", numbers=("+14155550102",))
    with pytest.raises(PhoneNumberError, match="not one of this contact's numbers"):
        phone_numbers.set_preferred_sms(contact, other.phone_numbers[0])


def test_sms_numbers_are_the_sms_capable_ones_preferred_first(app, make_contact, phone_types):
    contact = make_contact(numbers=("+14155550101", "+14155550102"))
    add_phone(contact, "+14155550103", phone_types["Home"])
    phone_numbers.set_preferred_sms(contact, contact.phone_numbers[1])
    assert [p.e164 for p in phone_numbers.sms_numbers(contact)] == ["+14155550102", "+14155550101"]


def test_customer_adds_a_number_to_their_own_contact(client, login, phone_types):
    customer = login("customer")
    response = client.post(
        f"/contacts/{record_of(customer).host_id}/phones",
        data={"phone-new-number": "+1 416 555 0123", "phone-new-type_id": phone_types["Mobile"].id},
    )
    assert response.status_code == 302
    assert "+14165550123" in [p.e164 for p in builtin(record_of(customer)).phone_numbers]


def test_customer_cannot_touch_another_contacts_numbers(client, login, make_contact, phone_types):
    login("customer")
    other = make_contact("Other", "Person", numbers=("+14155550188",))
    phone = builtin(other).phone_numbers[0]
    before = _count()
    assert (
        client.post(
            f"/contacts/{other.host_id}/phones",
            data={"phone-new-number": "+1 416 555 0123", "phone-new-type_id": phone_types["Mobile"].id},
        ).status_code
        == 404
    )
    assert client.post(f"/phones/{phone.id}/delete").status_code == 404
    assert client.get(f"/phones/{phone.id}/edit").status_code == 404
    assert _count() == before


def test_customer_cannot_touch_account_numbers(client, login, make_account):
    login("customer")
    account = make_account()
    assert client.post(f"/phones/{builtin(account).phone_numbers[0].id}/delete").status_code == 404
