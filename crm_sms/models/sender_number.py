from .base import db


class SenderNumber(db.Model):
    """A number we send from: the account's default, or a user's own."""

    __tablename__ = "crm_sms_sender_numbers"

    id = db.Column(db.Integer, primary_key=True)
    e164 = db.Column(db.String(16), nullable=False, unique=True)
    label = db.Column(db.String(80))
    sms = db.Column(db.Boolean, nullable=False, default=True)
    mms = db.Column(db.Boolean, nullable=False, default=False)
    mps = db.Column(db.Float, nullable=False, default=1.0)  # messages per second the carrier allows it
    user_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="SET NULL"), index=True)
    is_default = db.Column(db.Boolean, nullable=False, default=False)
    active = db.Column(db.Boolean, nullable=False, default=True)

    user = db.relationship("Person")

    def __repr__(self):
        return f"<SenderNumber {self.e164} user={self.user_id} default={self.is_default}>"
