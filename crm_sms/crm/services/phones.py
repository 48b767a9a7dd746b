"""The built-in CRM's phone numbers: a contact's or account's numbers, and the kinds of number."""

from ...models import db
from ...services.phone_numbers import PhoneNumberError, parse
from ..models import PhoneNumber, PhoneType

__all__ = ["PhoneNumberError", "add", "update", "remove", "phone_types", "save_phone_type"]


def add(owner, raw, phone_type, is_primary=False):
    """Add a number to a contact or an account; refuses one it already has."""
    e164, region, _ = parse(raw)
    if any(p.e164 == e164 for p in owner.phone_numbers):
        raise PhoneNumberError(f"{e164} is already one of this record's numbers.")
    phone = PhoneNumber(e164=e164, region=region, type=phone_type)
    owner.phone_numbers.append(phone)
    if is_primary or len(owner.phone_numbers) == 1:
        _make_primary(owner, phone)
    db.session.flush()
    return phone


def update(phone, raw, phone_type, is_primary=False):
    """Change a number's digits, type or primary flag."""
    e164, region, _ = parse(raw)
    if any(p.e164 == e164 and p is not phone for p in phone.owner.phone_numbers):
        raise PhoneNumberError(f"{e164} is already one of this record's numbers.")
    phone.e164, phone.region, phone.type = e164, region, phone_type
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
