from .base import UtcDateTime, db
from .phone_number import PhoneNumber


class Record(db.Model):
    """A host contact or account as crm_sms knows it: what messages, consent and conversations belong to.

    Tied to the host's row by ``(kind, host_id)``; ``services.records.link`` keeps the name, the account and the
    numbers in step with the host.
    """

    __tablename__ = "crm_sms_records"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(8), nullable=False)
    host_id = db.Column(db.String(64), nullable=False)
    # The host's display name when last synced (lists and reports show it without asking the host).
    name = db.Column(db.String(200), nullable=False, default="")
    # A contact's account.
    account_id = db.Column(db.Integer, db.ForeignKey("crm_sms_records.id", ondelete="SET NULL"), index=True)
    synced_at = db.Column(UtcDateTime)

    account = db.relationship("Record", remote_side=[id])
    numbers = db.relationship(
        PhoneNumber, back_populates="record", cascade="all, delete-orphan", order_by=PhoneNumber.id
    )

    __table_args__ = (
        db.UniqueConstraint("kind", "host_id", name="uq_crm_sms_records_kind_host_id"),
        db.CheckConstraint("kind IN ('contacts', 'accounts')", name="kind"),
    )

    #: Numbers the host has on the record that could not be read ([(label, number as stored, why)]), set by
    #: ``records.link``: the panel shows them instead of failing.
    unreadable = ()

    @property
    def is_contact(self):
        return self.kind == "contacts"

    @property
    def phone_numbers(self):
        """The numbers the host record has now (the ones crm_sms may text), in the host's order."""
        return [number for number in self.numbers if number.current]

    def __repr__(self):
        return f"<Record {self.kind} {self.host_id} {self.name!r}>"


def kind_of(owner):
    """ "contacts" or "accounts": the kind a record is (URLs, variables, templates)."""
    return owner.kind


def owner_fields(owner):
    """The keyword that ties a new row to its record: {"contact": r}, {"account": r}, or {} for none."""
    if owner is None:
        return {}
    return {"contact": owner} if owner.kind == "contacts" else {"account": owner}
