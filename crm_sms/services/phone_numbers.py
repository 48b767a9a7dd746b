"""Phone numbers: parsing what people type into E.164, and keeping a record's numbers."""

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezones

from ..config import config_value
from ..models import PhoneNumber, PhoneType, db


class PhoneNumberError(ValueError):
    """What someone typed is not a number crm_sms can keep; the message says why."""


def country_name(region):
    example = phonenumbers.example_number(region)
    return geocoder.country_name_for_number(example, "en") if example else region


def region_of(e164):
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


def _join(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse(raw, region=None):
    """Parse a typed number into (e164, region, time zone) or raise PhoneNumberError.

    The number must be valid and its country one of ``CRM_SMS_ALLOWED_REGIONS``.
    """
    raw = (raw or "").strip()
    if not raw:
        raise PhoneNumberError("Enter a phone number.")
    try:
        number = phonenumbers.parse(raw, region or config_value("DEFAULT_REGION"))
    except phonenumbers.NumberParseException:
        raise PhoneNumberError(f"“{raw}” is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(f"“{raw}” is not a valid phone number: check the digits and the country code.")
    number_region = phonenumbers.region_code_for_number(number)
    allowed = config_value("ALLOWED_REGIONS")
    if number_region not in allowed:
        names = _join([country_name(r) for r in allowed])
        raise PhoneNumberError(
            f"+{number.country_code} ({country_name(number_region)}) numbers are not allowed: "
            f"only numbers from {names} can receive SMS."
        )
    zones = [z for z in phone_timezones.time_zones_for_number(number) if z != "Etc/Unknown"]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, number_region, zones[0] if len(zones) == 1 else None


def add(owner, raw, phone_type, is_primary=False):
    """Add a number to a contact or an account; refuses one it already has."""
    e164, region, zone = parse(raw)
    if any(p.e164 == e164 for p in owner.phone_numbers):
        raise PhoneNumberError(f"{e164} is already one of this record's numbers.")
    phone = PhoneNumber(e164=e164, region=region, time_zone=zone, type=phone_type)
    owner.phone_numbers.append(phone)
    if is_primary or len(owner.phone_numbers) == 1:
        _make_primary(owner, phone)
    db.session.flush()
    return phone


def update(phone, raw, phone_type, is_primary=False):
    """Change a number's digits, type or primary flag."""
    e164, region, zone = parse(raw)
    if any(p.e164 == e164 and p is not phone for p in phone.owner.phone_numbers):
        raise PhoneNumberError(f"{e164} is already one of this record's numbers.")
    phone.e164, phone.region, phone.time_zone, phone.type = e164, region, zone, phone_type
    if is_primary:
        _make_primary(phone.owner, phone)
    db.session.flush()
    return phone


def remove(phone):
    """Delete a number; the next one becomes primary if it was."""
    owner = phone.owner
    owner.phone_numbers.remove(phone)
    if phone.is_primary and owner.phone_numbers:
        _make_primary(owner, owner.phone_numbers[0])
    db.session.flush()


def set_preferred_sms(contact, phone):
    """Flag ``phone`` (or none) as the contact's one preferred SMS number.

    Only the SMS consent settings call this; the phone forms show the flag read-only.
    """
    if phone is not None and phone.contact_id != contact.id:
        raise PhoneNumberError("That number is not one of this contact's numbers.")
    for other in contact.phone_numbers:
        if other.preferred_sms and other is not phone:
            other.preferred_sms = False
    db.session.flush()  # clear the old flag first: the unique index allows one
    if phone is not None:
        phone.preferred_sms = True
        db.session.flush()


def sms_numbers(owner):
    """The owner's numbers whose type can receive SMS, preferred and primary first."""
    return sorted(
        (p for p in owner.phone_numbers if p.type.sms_capable),
        key=lambda p: (not p.preferred_sms, not p.is_primary, p.id),
    )


def phone_types():
    """Every kind of number, the SMS-capable ones first (the forms default to the first)."""
    return db.session.scalars(db.select(PhoneType).order_by(PhoneType.sms_capable.desc(), PhoneType.name)).all()


def _make_primary(owner, phone):
    for other in owner.phone_numbers:
        other.is_primary = other is phone


def save_phone_type(phone_type, name, sms_capable):
    """Create (``phone_type`` None) or update a kind of number; names are unique."""
    name = (name or "").strip()
    if not name:
        raise PhoneNumberError("A phone type needs a name.")
    clash = db.session.scalar(db.select(PhoneType).where(PhoneType.name == name))
    if clash is not None and clash is not phone_type:
        raise PhoneNumberError(f"There is already a phone type called {name!r}.")
    if phone_type is None:
        phone_type = PhoneType()
        db.session.add(phone_type)
    phone_type.name, phone_type.sms_capable = name, bool(sms_capable)
    db.session.flush()
    return phone_type
