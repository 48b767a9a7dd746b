"""Triggered messages: the rules that map a host's events to saved messages, and every event fired."""

import re

from .base import UtcDateTime, db, utcnow

#: An event name: lower-case words, digits and underscores joined by dots (``payment.received``).
EVENT_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


class TriggerRule(db.Model):
    """When the host fires ``event``, text the contact (or account) ``template``, from ``sender``, signed.

    No sender or signature means the account's default sender and the default
    signature for bulk messages, as they are when the event fires.
    """

    __tablename__ = "crm_sms_trigger_rules"

    id = db.Column(db.Integer, primary_key=True)
    event = db.Column(db.String(80), nullable=False, unique=True)
    module = db.Column(db.String(16), nullable=False)  # who is texted: "contacts" or "accounts"
    template_id = db.Column(db.Integer, db.ForeignKey("crm_sms_templates.id", ondelete="SET NULL"))
    sender_id = db.Column(db.Integer, db.ForeignKey("crm_sms_sender_numbers.id", ondelete="SET NULL"))
    signature_id = db.Column(db.Integer, db.ForeignKey("crm_sms_signatures.id", ondelete="SET NULL"))
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    # The backref lets the ORM clear template_id when a template is deleted (SQLite does not enforce SET NULL).
    template = db.relationship("Template", backref=db.backref("trigger_rules"))
    sender = db.relationship("SenderNumber")
    signature = db.relationship("Signature")

    __table_args__ = (db.CheckConstraint("module IN ('contacts', 'accounts')", name="module"),)

    def __repr__(self):
        return f"<TriggerRule {self.id} {self.event!r} template={self.template_id}{'' if self.active else ' off'}>"


class TriggerFire(db.Model):
    """One event the host fired, and what came of it: a message, or the reason there is none.

    (event, key) is unique: a host that fires again with the same key (a
    retried transaction) gets the first outcome back, never a second message.
    Events fired without a key are all kept.
    """

    __tablename__ = "crm_sms_trigger_fires"

    id = db.Column(db.Integer, primary_key=True)
    event = db.Column(db.String(80), nullable=False)
    key = db.Column(db.String(120))
    contact_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"))
    account_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"))
    message_id = db.Column(db.Integer, db.ForeignKey("crm_sms_messages.id", ondelete="SET NULL"))
    reason = db.Column(db.String(255))  # why no message was made; empty when one was
    fields = db.Column(db.JSON)  # what else the host passed, for the record
    at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    contact = db.relationship("Record", foreign_keys=[contact_id])
    account = db.relationship("Record", foreign_keys=[account_id])
    message = db.relationship("Message")

    __table_args__ = (
        db.UniqueConstraint("event", "key", name="uq_crm_sms_trigger_fires_event_key"),
        db.Index("ix_crm_sms_trigger_fires_at", "at"),
    )

    def __repr__(self):
        return f"<TriggerFire {self.id} {self.event!r} key={self.key!r} message={self.message_id}>"
