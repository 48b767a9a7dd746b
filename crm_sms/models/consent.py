from .base import UtcDateTime, db, utcnow

STATES = ("never_asked", "opted_in", "opted_out", "awaiting_reply")
STATE_LABELS = {
    "never_asked": "Never asked",
    "opted_in": "Opted in",
    "opted_out": "Opted out",
    "awaiting_reply": "Awaiting reply",
}
TYPES = ("Email", "Phone", "Paper", "Web", "SMS response")
SOURCES = ("staff", "customer_web", "sms_reply", "import")
#: How a change reached us (ConsentEvent.channel), as the audit names it.
CHANNELS = {
    "web_form": "Staff web form",
    "customer_portal": "Customer portal",
    "sms_reply": "SMS reply",
    "sms_request": "SMS consent request",
    "import": "Import",
    "api": "API",
}
#: The channel of a change whose caller names none, by its source.
CHANNEL_OF_SOURCE = {
    "staff": "web_form",
    "customer_web": "customer_portal",
    "sms_reply": "sms_reply",
    "import": "import",
}
#: ``Suppression.sender_e164`` of a suppression that covers every sender number of the business.
ALL_SENDERS = ""


class Consent(db.Model):
    """The current SMS consent of a contact or an account: at most one row each."""

    __tablename__ = "crm_sms_consents"

    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="CASCADE"), unique=True)
    account_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="CASCADE"), unique=True)
    state = db.Column(db.String(16), nullable=False, default="never_asked")
    phone_number_id = db.Column(db.Integer, db.ForeignKey("crm_sms_phone_numbers.id", ondelete="SET NULL"))
    consent_type = db.Column(db.String(16))
    source = db.Column(db.String(16))
    changed_at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    contact = db.relationship("Record", foreign_keys=[contact_id])
    account = db.relationship("Record", foreign_keys=[account_id])
    phone_number = db.relationship("crm_sms.models.phone_number.PhoneNumber", foreign_keys=[phone_number_id])

    __table_args__ = (db.CheckConstraint("(contact_id IS NULL) <> (account_id IS NULL)", name="one_owner"),)

    @property
    def label(self):
        return STATE_LABELS[self.state]

    def __repr__(self):
        return f"<Consent contact={self.contact_id} account={self.account_id} {self.state}>"


class ConsentEvent(db.Model):
    """Append-only audit of every change of consent or preferred number (proof of consent)."""

    __tablename__ = "crm_sms_consent_events"

    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"), index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"), index=True)
    e164 = db.Column(db.String(16))
    old_state = db.Column(db.String(16))
    new_state = db.Column(db.String(16), nullable=False)
    old_e164 = db.Column(db.String(16))
    consent_type = db.Column(db.String(16))
    source = db.Column(db.String(16), nullable=False)
    changed_by = db.Column(db.String(254), nullable=False)
    message_id = db.Column(db.Integer, db.ForeignKey("crm_sms_messages.id", ondelete="SET NULL"))
    at = db.Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    # Proof that outlives what it cites: the words the person saw (a form's text) or sent (their SMS), copied here
    # so deleting the message or editing the setting cannot erase them; a form's text also has a version (a hash).
    wording = db.Column(db.Text)
    wording_version = db.Column(db.String(64))
    channel = db.Column(db.String(16))
    sender_e164 = db.Column(db.String(16))  # an opt-out for this sender number only ("sender" scope); else None

    contact = db.relationship("Record", foreign_keys=[contact_id])

    def __repr__(self):
        return f"<ConsentEvent contact={self.contact_id} {self.old_state}->{self.new_state} by {self.changed_by}>"


class Suppression(db.Model):
    """A number that said STOP: nothing goes to it from ``sender_e164`` (ALL_SENDERS: from any of our numbers),
    whichever contact has it. Which senders a row blocks is read under the ``opt_out_scope`` setting."""

    __tablename__ = "crm_sms_suppressions"

    e164 = db.Column(db.String(16), primary_key=True)
    # Part of the key, so never NULL: ALL_SENDERS ("") stands for every sender.
    sender_e164 = db.Column(db.String(16), primary_key=True, default=ALL_SENDERS, server_default=ALL_SENDERS)
    since = db.Column(UtcDateTime, nullable=False, default=utcnow)
    source = db.Column(db.String(16), nullable=False)

    def __repr__(self):
        return f"<Suppression {self.e164} from {self.sender_e164 or 'all'} since {self.since:%Y-%m-%d}>"
