from .base import db

#: The only signature texts allowed (seed 002); rendering.signature_text fills the variables from the department.
TEXTS = (
    "Reply STOP to unsubscribe.",
    "Need something else? Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
    "Looking for more information? Call {{ department.phone }}. Email {{ department.email }}. "
    "Reply STOP to unsubscribe.",
    "Have a question? Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
    "Need to chat? Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
    "We're here to help! Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
)


class Signature(db.Model):
    __tablename__ = "crm_sms_signatures"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    department_id = db.Column(db.Integer, db.ForeignKey("crm_sms_departments.id", ondelete="RESTRICT"), nullable=False)
    text = db.Column(db.String(255), nullable=False)
    default_for_manual = db.Column(db.Boolean, nullable=False, default=False)
    default_for_bulk = db.Column(db.Boolean, nullable=False, default=False)

    department = db.relationship("Department")

    def __repr__(self):
        return f"<Signature {self.id} {self.name!r}>"
