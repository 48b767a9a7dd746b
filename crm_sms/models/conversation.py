from .base import UtcDateTime, db, utcnow

#: What can happen to a conversation (each is a ConversationEvent).
EVENTS = {
    "opened": "Opened",
    "owned": "Became the owner",
    "subscribed": "Joined",
    "left": "Left",
    "pooled": "Unanswered: released to the pool",
    "unowned": "In the pool: nobody owns it",
    "taken": "Taken from the pool",
    "answered": "Answered",
    "opted_out": "Opted the number out (it asked to stop)",
}


class Conversation(db.Model):
    """Every message both ways between one contact number and one of our sender numbers.

    Its messages are the rows of ``messages`` with the same two numbers; this row
    keeps who owns it, whether an inbound message waits for an answer, and a copy of
    the last message so the inbox lists conversations without reading messages.
    """

    __tablename__ = "crm_sms_conversations"

    id = db.Column(db.Integer, primary_key=True)
    phone_e164 = db.Column(db.String(16), nullable=False)  # the contact's number
    sender_e164 = db.Column(db.String(16), nullable=False)  # ours
    contact_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"), index=True)
    account_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"), index=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="SET NULL"))
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    last_message_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    last_text = db.Column(db.String(200), nullable=False, default="")
    last_direction = db.Column(db.String(8), nullable=False, default="outbound")
    # When the oldest inbound message still unanswered arrived; None once someone answers.
    awaiting_since = db.Column(UtcDateTime)
    # When it went to the unanswered pool, where any agent may take it; None once someone does.
    pooled_at = db.Column(UtcDateTime)
    # When it goes to the pool if still unanswered: public minutes after the message, or after an agent took it.
    due_at = db.Column(UtcDateTime)

    contact = db.relationship("Record", foreign_keys=[contact_id])
    account = db.relationship("Record", foreign_keys=[account_id])
    owner = db.relationship("Person")
    subscriptions = db.relationship(
        "Subscription", back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        db.UniqueConstraint("phone_e164", "sender_e164", name="uq_crm_sms_conversations_numbers"),
        db.Index("ix_crm_sms_conversations_owner", "owner_id", "last_message_at"),
        db.Index("ix_crm_sms_conversations_pooled", "pooled_at", "last_message_at"),
        db.Index("ix_crm_sms_conversations_last", "last_message_at"),
        db.Index("ix_crm_sms_conversations_due", "due_at"),
    )

    @property
    def record(self):
        return self.contact or self.account

    @property
    def title(self):
        return self.record.name if self.record is not None else self.phone_e164

    @property
    def unanswered(self):
        return self.awaiting_since is not None

    def __repr__(self):
        return f"<Conversation {self.id} {self.phone_e164}↔{self.sender_e164} owner={self.owner_id}>"


class Subscription(db.Model):
    """A user other than the owner who follows a conversation and is alerted by it."""

    __tablename__ = "crm_sms_conversation_subscriptions"

    id = db.Column(db.Integer, primary_key=True)
    conversation_id = db.Column(
        db.Integer, db.ForeignKey("crm_sms_conversations.id", ondelete="CASCADE"), nullable=False
    )
    user_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="CASCADE"), nullable=False, index=True)
    since = db.Column(UtcDateTime, nullable=False, default=utcnow)

    conversation = db.relationship("Conversation", back_populates="subscriptions")
    user = db.relationship("Person")

    __table_args__ = (
        db.UniqueConstraint("conversation_id", "user_id", name="uq_crm_sms_conversation_subscriptions_user"),
    )

    def __repr__(self):
        return f"<Subscription conversation={self.conversation_id} user={self.user_id}>"


class ConversationEvent(db.Model):
    """Append-only: every move of a conversation (owner, subscribers, pool, answers) and who made it."""

    __tablename__ = "crm_sms_conversation_events"

    id = db.Column(db.Integer, primary_key=True)
    conversation_id = db.Column(
        db.Integer, db.ForeignKey("crm_sms_conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = db.Column(db.String(12), nullable=False)
    at = db.Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    # Who acted; for "pooled", the owner who left it unanswered.
    user_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="SET NULL"))
    # For "answered": seconds from the first unanswered inbound message to the answer.
    seconds = db.Column(db.Float)

    user = db.relationship("Person")

    @property
    def label(self):
        return EVENTS[self.kind]

    def __repr__(self):
        return f"<ConversationEvent {self.conversation_id} {self.kind} user={self.user_id}>"


class Notification(db.Model):
    """An alert to one user: a message arrived (or a colleague sent one) in a conversation they follow."""

    __tablename__ = "crm_sms_notifications"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="CASCADE"), nullable=False)
    conversation_id = db.Column(
        db.Integer, db.ForeignKey("crm_sms_conversations.id", ondelete="CASCADE"), nullable=False
    )
    message_id = db.Column(db.Integer, db.ForeignKey("crm_sms_messages.id", ondelete="CASCADE"), nullable=False)
    at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UtcDateTime)

    conversation = db.relationship("Conversation")
    message = db.relationship("Message")

    __table_args__ = (
        db.Index("ix_crm_sms_notifications_unread", "user_id", "read_at", "conversation_id"),
        db.Index("ix_crm_sms_notifications_user", "user_id", "at"),
        db.Index("ix_crm_sms_notifications_message", "message_id"),
    )

    def __repr__(self):
        return f"<Notification user={self.user_id} message={self.message_id}{' read' if self.read_at else ''}>"
