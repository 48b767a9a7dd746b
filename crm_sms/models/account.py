from .base import UtcDateTime, db, utcnow

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
        "PhoneNumber", back_populates="account", cascade="all, delete-orphan", order_by="PhoneNumber.id"
    )

    def __repr__(self):
        return f"<Account {self.id} {self.name!r}>"
