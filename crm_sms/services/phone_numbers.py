"""Phone numbers: parsing what people type into E.164, and a record's numbers as crm_sms keeps them."""

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezones

from ..config import config_value
from ..models import db


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
    e164, number_region, zone = normalize(raw, region)
    allowed = config_value("ALLOWED_REGIONS")
    if number_region not in allowed:
        names = _join([country_name(r) for r in allowed])
        raise PhoneNumberError(
            f"+{phonenumbers.parse(e164).country_code} ({country_name(number_region)}) numbers are not allowed: "
            f"only numbers from {names} can receive SMS."
        )
    return e164, number_region, zone


def normalize(raw, region=None):
    """A number in any format people write (national ones in ``region``, else ``CRM_SMS_DEFAULT_REGION``) as
    (e164, region, time zone); PhoneNumberError when it is not a valid number. Any country."""
    raw = (raw or "").strip()
    if not raw:
        raise PhoneNumberError("Enter a phone number.")
    try:
        number = phonenumbers.parse(raw, region or config_value("DEFAULT_REGION"))
    except phonenumbers.NumberParseException:
        raise PhoneNumberError(f"“{raw}” is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(f"“{raw}” is not a valid phone number: check the digits and the country code.")
    zones = [z for z in phone_timezones.time_zones_for_number(number) if z != "Etc/Unknown"]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(number), zones[0] if len(zones) == 1 else None


def set_preferred_sms(record, phone):
    """Flag ``phone`` (or none) as the record's one preferred SMS number.

    Only the SMS consent settings call this; the phone lists show the flag read-only.
    """
    if phone is not None and phone.record_id != record.id:
        raise PhoneNumberError("That number is not one of this contact's numbers.")
    for other in record.numbers:
        if other.preferred_sms and other is not phone:
            other.preferred_sms = False
    db.session.flush()  # clear the old flag first: the unique index allows one
    if phone is not None:
        phone.preferred_sms = True
        db.session.flush()


def sms_numbers(owner):
    """The record's current numbers that can receive SMS, preferred and primary first."""
    return sorted(
        (p for p in owner.phone_numbers if p.sms_capable),
        key=lambda p: (not p.preferred_sms, not p.is_primary, p.id),
    )
