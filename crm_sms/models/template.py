from .base import UtcDateTime, db, utcnow

#: The kinds of record a template is written for; its variables follow (``rendering.MODULES``).
MODULES = ("contacts", "accounts")


class Template(db.Model):
    """A message text managers write once and agents pick in the compose form.

    ``body`` keeps its variables (``{{ contact.first_name }}``); they are filled
    when a message is sent. A locked template is the saved text of a mass
    message: changing it would make the sent messages disagree with it.
    """

    # Not "templates": a host CRM often has a table of that name for its e-mail templates.
    __tablename__ = "crm_sms_templates"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    module = db.Column(db.String(16), nullable=False)
    body = db.Column(db.Text, nullable=False)
    locked = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    created_by_id = db.Column(db.Integer, db.ForeignKey("crm_sms_users.id", ondelete="SET NULL"))

    created_by = db.relationship("Person")

    __table_args__ = (db.CheckConstraint("module IN ('contacts', 'accounts')", name="module"),)

    def __repr__(self):
        return f"<Template {self.id} {self.name!r} {self.module}{' locked' if self.locked else ''}>"
