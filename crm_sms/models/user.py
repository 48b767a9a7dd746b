import secrets

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .base import UtcDateTime, db, utcnow

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
