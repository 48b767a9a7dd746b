"""Contacts: the people the business texts."""

from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from ...models import db
from ...services.search import digits_of
from ..models import Contact, PhoneNumber


def search(query=None, account_id=None):
    """A select of contacts matching ``query`` (name, email, city or phone digits), by last name."""
    stmt = db.select(Contact).options(selectinload(Contact.account), selectinload(Contact.phone_numbers))
    if query:
        conditions = [
            (Contact.first_name + " " + Contact.last_name).icontains(query, autoescape=True),
            (Contact.last_name + " " + Contact.first_name).icontains(query, autoescape=True),
            Contact.email.icontains(query, autoescape=True),
            Contact.city.icontains(query, autoescape=True),
        ]
        digits = digits_of(query)
        if digits:
            conditions.append(
                Contact.id.in_(
                    db.select(PhoneNumber.contact_id).where(PhoneNumber.e164.contains(digits, autoescape=True))
                )
            )
        stmt = stmt.where(or_(*conditions))
    if account_id:
        stmt = stmt.where(Contact.account_id == account_id)
    return stmt.order_by(Contact.last_name, Contact.first_name, Contact.id)


def save(contact, **fields):
    """Create (``contact`` None) or update a contact from form fields."""
    if contact is None:
        contact = Contact()
        db.session.add(contact)
    for name, value in fields.items():
        setattr(contact, name, value)
    db.session.flush()
    return contact
