"""What the built-in CRM's pages share."""

from flask import url_for

from ...models import PhoneNumber as SmsNumber
from ...models import Record, db
from ...services.auth import can
from ..models import Contact


def kind_of(owner):
    """ "contacts" or "accounts" for a built-in contact or account."""
    return "contacts" if isinstance(owner, Contact) else "accounts"


def owner_url(owner):
    """The page of a built-in contact or account."""
    kind = kind_of(owner)
    return url_for(f"{kind}.show", **{f"{kind[:-1]}_id": owner.id})


def preferred_numbers(owner):
    """The numbers of ``owner`` that crm_sms has as its preferred SMS number (the phone list shows the flag)."""
    return set(
        db.session.scalars(
            db.select(SmsNumber.e164)
            .join(Record, Record.id == SmsNumber.record_id)
            .where(Record.kind == kind_of(owner), Record.host_id == str(owner.id), SmsNumber.preferred_sms)
        )
    )


def can_see_contact(user, contact):
    """Staff with crm.view see every contact; a customer (a built-in user) sees only their own."""
    return can(user, "crm.view") or (can(user, "self.manage") and user.contact_id == contact.id)


def can_edit_contact(user, contact):
    return can(user, "crm.edit") or (can(user, "self.manage") and user.contact_id == contact.id)
