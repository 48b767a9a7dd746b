"""The built-in CRM as a host: crm_sms sees its own contacts and accounts through the same seam as any CRM's."""

from flask import url_for
from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from ..host import Host, Phone
from ..models import db
from ..services.search import digits_of
from .models import Account, Contact, PhoneNumber, PhoneType, User
from .services import contacts, phones

CONTACT_FIELDS = ("first_name", "last_name", "full_name", "title", "email", "city")
ACCOUNT_FIELDS = ("name", "type", "industry", "city", "email", "website")
#: The roles whose users may be given conversations and sender numbers.
STAFF_ROLES = ("admin", "manager", "agent")


class BuiltinHost(Host):
    """crm_sms's own CRM (``CrmSms(app)`` with no host)."""

    contact_model = Contact
    account_model = Account
    user_model = User
    variables = {"contacts": CONTACT_FIELDS, "accounts": ACCOUNT_FIELDS}
    filters = {"contacts": {"city": "City", "type": "Account type"}, "accounts": {"city": "City", "type": "Type"}}

    def name(self, record):
        return record.full_name if isinstance(record, Contact) else record.name

    def url(self, record):
        if isinstance(record, Contact):
            return url_for("contacts.show", contact_id=record.id)
        return url_for("accounts.show", account_id=record.id)

    def phones(self, record):
        ordered = sorted(record.phone_numbers, key=lambda p: (not p.is_primary, p.id))
        return [Phone(p.e164, p.type.name, p.type.sms_capable, key=f"phone:{p.id}") for p in ordered]

    def account_of(self, contact):
        return contact.account

    def values(self, record):
        fields = CONTACT_FIELDS if isinstance(record, Contact) else ACCOUNT_FIELDS
        return {name: _text(getattr(record, name)) for name in fields}

    def search(self, kind, query, text=None, city=None, type=None, **filters):
        model = self.model(kind)
        if text:
            if model is Contact:
                names = [Contact.first_name + " " + Contact.last_name, Contact.last_name + " " + Contact.first_name]
            else:
                names = [Account.name]
            conditions = [c.icontains(text, autoescape=True) for c in names]
            conditions += [model.email.icontains(text, autoescape=True), model.city.icontains(text, autoescape=True)]
            digits = digits_of(text)
            if digits:
                owner = PhoneNumber.contact_id if model is Contact else PhoneNumber.account_id
                numbers = db.select(owner).where(PhoneNumber.e164.contains(digits, autoescape=True))
                conditions.append(model.id.in_(numbers))
            query = query.where(or_(*conditions))
        if city:
            query = query.where(db.func.lower(model.city) == city.strip().lower())
        if type:
            if model is Contact:
                query = query.where(Contact.account_id.in_(db.select(Account.id).where(Account.type == type)))
            else:
                query = query.where(Account.type == type)
        # By name, as the built-in CRM's lists show them.
        if model is Contact:
            return query.order_by(Contact.last_name, Contact.first_name, Contact.id)
        return query.order_by(Account.name, Account.id)

    def load_options(self, kind):
        model = self.model(kind)
        options = [selectinload(model.phone_numbers).joinedload(PhoneNumber.type)]
        if model is Contact:
            account = selectinload(Contact.account)
            options.append(account.selectinload(Account.phone_numbers).joinedload(PhoneNumber.type))
        return options

    def texted(self, kind, host_ids):
        if kind == "contacts" and host_ids:
            ids = [int(i) for i in host_ids]
            db.session.execute(db.update(Contact).where(Contact.id.in_(ids)).values(ready=False))

    def phone_kinds(self):
        return [(t.id, t.name) for t in phones.phone_types() if t.sms_capable]

    def create_contact(self, first_name, last_name, number, phone_kind):
        contact = contacts.save(None, first_name=first_name, last_name=last_name)
        phones.add(contact, number, _phone_type(phone_kind))
        return contact

    def add_phone(self, record, number, phone_kind):
        return phones.add(record, number, _phone_type(phone_kind))

    # users

    def role(self, user):
        return user.role if user.active else None

    def contact_of(self, user):
        return user.contact

    def user_name(self, user):
        return user.username

    def staff(self):
        return db.session.scalars(
            db.select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True)).order_by(User.username)
        ).all()


def _phone_type(phone_kind):
    phone_type = db.session.get(PhoneType, phone_kind) if phone_kind else None
    if phone_type is None or not phone_type.sms_capable:
        raise phones.PhoneNumberError("Choose a type of number that can receive SMS.")
    return phone_type


def _text(value):
    return None if value is None else str(value)
