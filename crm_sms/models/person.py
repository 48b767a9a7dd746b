from .base import UtcDateTime, db, utcnow


class Person(db.Model):
    """A host user crm_sms knows: the author, owner, subscriber or actor its own rows point at.

    Tied to the host's user by the host's primary key as a string (``host_id``), never by a foreign key
    into the host's table. ``name``, ``role`` and ``contact_id`` are as the host last said
    (``services.people.person_for`` refreshes them once per request).
    """

    __tablename__ = "crm_sms_users"

    id = db.Column(db.Integer, primary_key=True)
    host_id = db.Column(db.String(64), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False, default="")
    # What the consent log may name a customer by (the ``customer_changed_by`` setting), if the host has one.
    email = db.Column(db.String(254))
    # The role the host gave last; None: no SMS access.
    role = db.Column(db.String(20))
    # A customer's own contact. records part: re-pointed at crm_sms_records (the column keeps its name).
    contact_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"), index=True)
    created_at = db.Column(UtcDateTime, nullable=False, default=utcnow)

    contact = db.relationship("Record", foreign_keys=[contact_id])

    #: A Person is only ever a logged-in host user (Flask-Login's anonymous user has no Person).
    is_authenticated = True

    @property
    def is_customer(self):
        return self.role == "customer"

    def __repr__(self):
        return f"<Person {self.id} {self.name!r} {self.role} host={self.host_id}>"
