import phonenumbers

from .base import UtcDateTime, db, only_where, utcnow


class PhoneNumber(db.Model):
    """A number of a host record as crm_sms knows it: normalised, with what it tells and its SMS flags.

    A number the host no longer has stays (``current`` false) with its messages and consent history;
    if it comes back it is the same row again.
    """

    __tablename__ = "crm_sms_phone_numbers"

    id = db.Column(db.Integer, primary_key=True)
    record_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="CASCADE"), nullable=False)
    # The host's slot for it ("mobile", "phone:17"): a new number in the same slot replaces this one.
    key = db.Column(db.String(64))
    label = db.Column(db.String(40), nullable=False, default="")
    e164 = db.Column(db.String(16), nullable=False, index=True)
    region = db.Column(db.String(2), nullable=False)
    # The number's own time zone when it has exactly one (for quiet hours).
    time_zone = db.Column(db.String(64))
    sms_capable = db.Column(db.Boolean, nullable=False, default=True)
    is_primary = db.Column(db.Boolean, nullable=False, default=False)
    # Set only by the SMS consent settings; read-only everywhere else.
    preferred_sms = db.Column(db.Boolean, nullable=False, default=False)
    current = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    record = db.relationship("Record", back_populates="numbers")

    __table_args__ = (
        db.UniqueConstraint("record_id", "e164", name="uq_crm_sms_phone_numbers_record_e164"),
        db.Index("uq_crm_sms_phone_numbers_preferred_sms", "record_id", unique=True, **only_where("preferred_sms")),
    )

    @property
    def owner(self):
        return self.record

    @property
    def display(self):
        """The number as people write it in its own country."""
        return format_e164(self.e164)

    def __repr__(self):
        return f"<PhoneNumber {self.id} {self.e164}{'' if self.current else ' (old)'}>"


def format_e164(e164):
    """A stored number as people write it: national style in North America, else international."""
    parsed = phonenumbers.parse(e164)
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(parsed, style.NATIONAL if parsed.country_code == 1 else style.INTERNATIONAL)
