"""Signatures: the closing line of a message, one of the fixed texts (seed 002), quoting a department."""

from ..models import Signature, db
from ..models.signature import TEXTS
from .errors import FieldError


class SignatureError(FieldError):
    """A signature that cannot be saved as asked."""


def all_signatures():
    """Every signature by name, with its department loaded (the list renders each one)."""
    return db.session.scalars(
        db.select(Signature).options(db.joinedload(Signature.department)).order_by(Signature.name)
    ).all()


def save(signature, name, department, text, default_for_manual=False, default_for_bulk=False):
    """Create (``signature`` None) or update a signature; flushes.

    Guarantees: the name is unique (ignoring case), the department is set, the
    text is one of ``TEXTS``, and at most one signature is the default for
    manual messages and one for bulk messages: making this one a default takes
    the flag from the one that had it. Nothing is written when it refuses.
    """
    name = (name or "").strip()
    if not name:
        raise SignatureError("name", "A signature needs a name.")
    clash = db.session.scalar(db.select(Signature).where(db.func.lower(Signature.name) == name.lower()))
    if clash is not None and clash is not signature:
        raise SignatureError("name", f"There is already a signature called “{clash.name}”.")
    if department is None:
        raise SignatureError("department", "Choose a department: its phone and email fill in the signature.")
    if text not in TEXTS:
        # Carriers register the texts a business sends; a signature is picked from the approved list only.
        raise SignatureError("text", "Choose one of the signature texts offered: no other text is allowed.")
    if default_for_manual:
        db.session.execute(db.update(Signature).where(Signature.default_for_manual).values(default_for_manual=False))
    if default_for_bulk:
        db.session.execute(db.update(Signature).where(Signature.default_for_bulk).values(default_for_bulk=False))
    if signature is None:
        signature = Signature()
        db.session.add(signature)
    signature.name, signature.department, signature.text = name, department, text
    signature.default_for_manual, signature.default_for_bulk = bool(default_for_manual), bool(default_for_bulk)
    db.session.flush()
    return signature
