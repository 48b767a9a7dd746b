from .base import UtcDateTime, db, utcnow


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
        "PhoneNumber", back_populates="contact", cascade="all, delete-orphan", order_by="PhoneNumber.id"
    )

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def __repr__(self):
        return f"<Contact {self.id} {self.full_name!r}>"
