from .base import db


class Department(db.Model):
    """A team the business answers from; signatures quote its phone and email."""

    __tablename__ = "crm_sms_departments"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), unique=True, nullable=False)
    phone = db.Column(db.String(16))
    email = db.Column(db.String(254))

    def __repr__(self):
        return f"<Department {self.id} {self.name!r}>"
