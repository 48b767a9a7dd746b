"""The built-in CRM's tables: users, contacts, accounts and their phone numbers.

Only ``crm_sms.crm`` uses these; the rest of crm_sms sees them through ``BuiltinHost``.
"""

import secrets

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..models.base import UtcDateTime, db, utcnow
from ..models.phone_number import format_e164

ACCOUNT_TYPES = ("Customer", "Prospect", "Partner", "Supplier")


class Account(db.Model):
    __tablename__ = "accounts"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, index=True)
    type = db.Column(db.String(40), nullable=False, default="Customer")
    industry = db.Column(db.String(80))
    city = db.Column(db.String(120))
    email = db.Column(db.String(254))
    website = db.Column(db.String(200))
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    contacts = db.relationship("Contact", back_populates="account", order_by="Contact.last_name")
    phone_numbers = db.relationship(
        "crm_sms.crm.models.PhoneNumber",
        back_populates="account",
        cascade="all, delete-orphan",
        order_by="crm_sms.crm.models.PhoneNumber.id",
    )

    def __repr__(self):
        return f"<Account {self.id} {self.name!r}>"


class Contact(db.Model):
    __tablename__ = "contacts"

    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    first_name = db.Column(db.String(100), nullable=False)
    last_name = db.Column(db.String(100), nullable=False, index=True)
    title = db.Column(db.String(100))
    email = db.Column(db.String(254))
    city = db.Column(db.String(120))
    # Ready to be dialled by the host's call campaigns; texting a contact clears it.
    ready = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    account = db.relationship("Account", back_populates="contacts")
    phone_numbers = db.relationship(
        "crm_sms.crm.models.PhoneNumber",
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by="crm_sms.crm.models.PhoneNumber.id",
    )

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def __repr__(self):
        return f"<Contact {self.id} {self.full_name!r}>"


class PhoneType(db.Model):
    """A kind of number (Mobile, Office, Home...); an admin marks which can receive SMS."""

    __tablename__ = "phone_types"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), unique=True, nullable=False)
    sms_capable = db.Column(db.Boolean, nullable=False, default=False)

    def __repr__(self):
        return f"<PhoneType {self.name!r} sms={self.sms_capable}>"


class PhoneNumber(db.Model):
    """A number on a contact or on an account, stored as E.164 (the built-in CRM's form parses what is typed)."""

    __tablename__ = "phone_numbers"

    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    type_id = db.Column(db.Integer, db.ForeignKey("phone_types.id"), nullable=False)
    e164 = db.Column(db.String(16), nullable=False, index=True)
    region = db.Column(db.String(2), nullable=False)
    is_primary = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    type = db.relationship("PhoneType")
    contact = db.relationship("Contact", back_populates="phone_numbers")
    account = db.relationship("Account", back_populates="phone_numbers")

    __table_args__ = (
        db.CheckConstraint("(contact_id IS NULL) <> (account_id IS NULL)", name="one_owner"),
        db.UniqueConstraint("contact_id", "e164", name="uq_phone_numbers_contact_e164"),
        db.UniqueConstraint("account_id", "e164", name="uq_phone_numbers_account_e164"),
    )

    @property
    def owner(self):
        return self.contact or self.account

    @property
    def display(self):
        """The number as people write it in its own country."""
        return format_e164(self.e164)

    def __repr__(self):
        return f"<PhoneNumber {self.id} {self.e164}>"


ROLES = ("admin", "manager", "agent", "customer")


def new_session_token():
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    email = db.Column(db.String(254), nullable=True)
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(20), nullable=False)
    # A customer user is the person behind one contact; staff have none.
    contact_id = db.Column(db.Integer, db.ForeignKey("contacts.id", ondelete="SET NULL"), unique=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    # What a session or remember-me cookie names instead of the id: a new one ends every session the old one opened.
    session_token = db.Column(db.String(64), unique=True, nullable=False, default=new_session_token)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    contact = db.relationship("Contact", foreign_keys=[contact_id])

    __table_args__ = (db.CheckConstraint("role IN ('admin', 'manager', 'agent', 'customer')", name="role"),)

    @property
    def is_active(self):
        return self.active

    @property
    def is_customer(self):
        return self.role == "customer"

    def get_id(self):
        return self.session_token

    def end_sessions(self):
        """Every session and remember-me cookie of this user stops logging anyone in."""
        self.session_token = new_session_token()

    def set_password(self, password):
        """A new password ends every session opened with the old one."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def __repr__(self):
        return f"<User {self.id} {self.username!r} {self.role}>"
