import phonenumbers

from .base import UtcDateTime, db, only_where, utcnow


class PhoneType(db.Model):
    """A kind of number (Mobile, Office, Home...); an admin marks which can receive SMS."""

    __tablename__ = "phone_types"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), unique=True, nullable=False)
    sms_capable = db.Column(db.Boolean, nullable=False, default=False)

    def __repr__(self):
        return f"<PhoneType {self.name!r} sms={self.sms_capable}>"


class PhoneNumber(db.Model):
    """A number on a contact or on an account, stored as E.164 with what it tells."""

    __tablename__ = "phone_numbers"

    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    type_id = db.Column(db.Integer, db.ForeignKey("phone_types.id"), nullable=False)
    e164 = db.Column(db.String(16), nullable=False, index=True)
    region = db.Column(db.String(2), nullable=False)
    # The number's own time zone when it has exactly one (for quiet hours).
    time_zone = db.Column(db.String(64))
    is_primary = db.Column(db.Boolean, nullable=False, default=False)
    # Set only by the SMS consent settings; read-only everywhere else.
    preferred_sms = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    type = db.relationship("PhoneType")
    contact = db.relationship("Contact", back_populates="phone_numbers")
    account = db.relationship("Account", back_populates="phone_numbers")

    __table_args__ = (
        db.CheckConstraint("(contact_id IS NULL) <> (account_id IS NULL)", name="one_owner"),
        db.UniqueConstraint("contact_id", "e164", name="uq_phone_numbers_contact_e164"),
        db.UniqueConstraint("account_id", "e164", name="uq_phone_numbers_account_e164"),
        db.Index(
            "uq_phone_numbers_preferred_sms",
            "contact_id",
            unique=True,
            **only_where("preferred_sms"),
        ),
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


def format_e164(e164):
    """A stored number as people write it: national style in North America, else international."""
    parsed = phonenumbers.parse(e164)
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(parsed, style.NATIONAL if parsed.country_code == 1 else style.INTERNATIONAL)
