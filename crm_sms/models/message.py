import uuid

from .base import UtcDateTime, db, only_where, utcnow

STATUSES = (
    "draft",
    "queued",
    "held",
    "sending",
    "sent",
    "delivered",
    "undeliverable",
    "failed",
    "canceled",
    "unknown",
    "received",
)
#: A message in one of these never changes status again.
FINAL = frozenset({"delivered", "undeliverable", "failed", "canceled", "received"})
#: How the UI names each status (seed 000 and 002 words).
LABELS = {
    "draft": "Draft",
    "queued": "In queue",
    "held": "Pending",
    "sending": "In progress",
    "sent": "Sent",
    "delivered": "Delivered",
    "undeliverable": "Undeliverable",
    "failed": "Failed",
    "canceled": "Canceled",
    "unknown": "Unknown",
    "received": "Received",
}
HOLD_REASONS = {
    "quiet_hours": "Quiet hours",
    "awaiting_consent": "Awaiting consent",
    "insufficient_funds": "Insufficient funds",
}


class Message(db.Model):
    """One SMS, outbound or inbound. Its status changes only through services.messages."""

    __tablename__ = "crm_sms_messages"

    id = db.Column(db.Integer, primary_key=True)
    direction = db.Column(db.String(8), nullable=False, default="outbound")
    # manual (typed by a user), campaign, triggered, or automatic (a consent notice)
    kind = db.Column(db.String(12), nullable=False, default="manual")
    status = db.Column(db.String(16), nullable=False)
    hold_reason = db.Column(db.String(32))
    body = db.Column(db.Text, nullable=False)  # as written, variables and all
    rendered_body = db.Column(db.Text)  # as sent: variables filled in, signature and opt-out text added
    encoding = db.Column(db.String(8))
    segments = db.Column(db.Integer)
    contact_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"))
    account_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"))
    phone_e164 = db.Column(db.String(16), nullable=False)  # the other party: recipient, or inbound sender
    sender_e164 = db.Column(db.String(16), nullable=False)  # our number
    author_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="SET NULL"))
    signature_id = db.Column(db.Integer, db.ForeignKey("crm_sms_signatures.id", ondelete="SET NULL"))
    send_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    client_ref = db.Column(db.String(40), nullable=False, unique=True)
    provider_id = db.Column(db.String(64))
    price = db.Column(db.Numeric(12, 6))
    reject_reason = db.Column(db.String(255))
    # What an inbound message reads as, for people to act on: "possible_opt_out" (services.replies.handle_reply)
    flag = db.Column(db.String(32))
    # Set just before the provider is called: a claimed message without it was never handed over.
    attempted_at = db.Column(UtcDateTime)
    sent_at = db.Column(UtcDateTime)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    status_changed_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    campaign_id = db.Column(db.Integer, db.ForeignKey("crm_sms_campaigns.id", ondelete="SET NULL"))

    contact = db.relationship("Record", foreign_keys=[contact_id])
    account = db.relationship("Record", foreign_keys=[account_id])
    author = db.relationship("Person")
    signature = db.relationship("Signature")
    campaign = db.relationship("Campaign")
    events = db.relationship(
        "MessageEvent",
        back_populates="message",
        order_by="MessageEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Partial where most rows would hold NULL, so a campaign's bulk insert maintains only the indexes it
    # needs; campaign_id is served by uq_messages_campaign_phone, a number's messages by the conversation index.
    __table_args__ = (
        db.Index("ix_crm_sms_messages_due", "status", "send_at"),
        db.Index("ix_crm_sms_messages_contact", "contact_id", "created_at", **only_where("contact_id IS NOT NULL")),
        db.Index("ix_crm_sms_messages_account", "account_id", "created_at", **only_where("account_id IS NOT NULL")),
        db.Index("ix_crm_sms_messages_conversation", "phone_e164", "sender_e164", "created_at"),
        # A number's campaign and mass messages by when they go: the frequency cap reads them a chunk at a time.
        db.Index("ix_crm_sms_messages_bulk_phone", "phone_e164", "send_at", **only_where("kind = 'campaign'")),
        db.Index("ix_crm_sms_messages_provider_id", "provider_id", **only_where("provider_id IS NOT NULL")),
        # The provider may deliver one inbound message twice at once; only one is kept.
        db.Index(
            "uq_crm_sms_messages_inbound_provider_id", "provider_id", unique=True, **only_where("direction = 'inbound'")
        ),
        # A campaign never texts one number twice, however many of its recipients share it.
        db.Index(
            "uq_crm_sms_messages_campaign_phone",
            "campaign_id",
            "phone_e164",
            unique=True,
            **only_where("campaign_id IS NOT NULL"),
        ),
    )

    @property
    def label(self):
        if self.status == "held" and self.hold_reason:
            return f"Pending: {HOLD_REASONS.get(self.hold_reason, self.hold_reason)}"
        return LABELS[self.status]

    @property
    def final(self):
        return self.status in FINAL

    @property
    def text(self):
        """What the recipient reads (or read)."""
        return self.rendered_body or self.body

    def __repr__(self):
        return f"<Message {self.id} {self.direction} {self.status} {self.phone_e164}>"


class MessageEvent(db.Model):
    """Append-only: every change of a message's status, and provider answers that changed nothing."""

    __tablename__ = "crm_sms_message_events"

    id = db.Column(db.Integer, primary_key=True)
    message_id = db.Column(
        db.Integer, db.ForeignKey("crm_sms_messages.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status = db.Column(db.String(16), nullable=False)
    at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    source = db.Column(db.String(16), nullable=False)  # user, worker, provider, sweep
    actor_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="SET NULL"))
    code = db.Column(db.String(16))
    note = db.Column(db.String(255))
    payload = db.Column(db.JSON)

    message = db.relationship("Message", back_populates="events")
    actor = db.relationship("Person")

    def __repr__(self):
        return f"<MessageEvent {self.message_id} {self.status} {self.source}>"


class ProviderReceipt(db.Model):
    """Every delivery receipt as received, once; kept until its message is known."""

    __tablename__ = "crm_sms_provider_receipts"

    id = db.Column(db.Integer, primary_key=True)
    dedup_key = db.Column(db.String(64), nullable=False, unique=True)
    provider_id = db.Column(db.String(64), nullable=False, index=True)
    client_ref = db.Column(db.String(40), index=True)
    status = db.Column(db.String(16), nullable=False)
    code = db.Column(db.String(16))
    reason = db.Column(db.String(255))
    payload = db.Column(db.JSON, nullable=False)
    received_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    message_id = db.Column(db.Integer, db.ForeignKey("crm_sms_messages.id", ondelete="CASCADE"), index=True)

    def __repr__(self):
        return f"<ProviderReceipt {self.provider_id} {self.status} message={self.message_id}>"


class InboundPart(db.Model):
    """One part of a concatenated inbound message; kept after the join, to recognise the same part sent again."""

    __tablename__ = "crm_sms_inbound_parts"

    id = db.Column(db.Integer, primary_key=True)
    sender = db.Column(db.String(16), nullable=False)
    concat_ref = db.Column(db.String(32), nullable=False)
    part = db.Column(db.Integer, nullable=False)
    total = db.Column(db.Integer, nullable=False)
    text = db.Column(db.Text, nullable=False)
    provider_id = db.Column(db.String(64), nullable=False, index=True)
    payload = db.Column(db.JSON, nullable=False)
    received_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    joined_at = db.Column(UtcDateTime)  # when its message was stored

    __table_args__ = (db.UniqueConstraint("sender", "concat_ref", "part", name="uq_crm_sms_inbound_parts_part"),)

    def __repr__(self):
        return f"<InboundPart {self.sender} {self.concat_ref} {self.part}/{self.total}>"


class SimulatedReport(db.Model):
    """A report the simulator owes (a receipt, a reply), due at ``due_at``; deleted once delivered.

    Its job waits in Redis, but the row is the truth: the sweep delivers one whose job was lost.
    """

    __tablename__ = "crm_sms_simulated_reports"

    #: Chosen by the sender (no flush, so no write lock, until the send's own commit).
    id = db.Column(db.String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    kind = db.Column(db.String(16), nullable=False)
    params = db.Column(db.JSON, nullable=False)
    due_at = db.Column(UtcDateTime, nullable=False, index=True)

    def __repr__(self):
        return f"<SimulatedReport {self.id} {self.kind} due={self.due_at}>"
