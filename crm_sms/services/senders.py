"""Sender numbers: the account's default numbers and each user's own."""

import math

from ..models import SenderNumber, db
from . import phone_numbers

#: The most messages per second a number may be set to send (a short code allows about 100; tests and benches
#: set the most to take the sender's limit out of the way).
MAX_MPS = 100_000


class SenderError(ValueError):
    pass


def for_user(user):
    """The numbers ``user`` may send from: their own first, then the account's defaults, then the rest."""
    rows = db.session.scalars(db.select(SenderNumber).where(
        SenderNumber.active, SenderNumber.sms,
        (SenderNumber.user_id == user.id) | SenderNumber.user_id.is_(None),
    ))
    return sorted(rows, key=lambda s: (s.user_id != user.id, not s.is_default, s.e164))


def save(sender, e164, label=None, user=None, is_default=False, mps=1.0, mms=False, active=True):
    """Create (``sender`` None) or update a sender number; one default for the account."""
    number = phone_numbers.parse(e164)[0]
    clash = db.session.scalar(db.select(SenderNumber).where(SenderNumber.e164 == number))
    if clash is not None and clash is not sender:
        raise SenderError(f"{number} is already a sender number.")
    if not (math.isfinite(mps) and 0 < mps <= MAX_MPS):
        raise SenderError(f"Messages per second must be more than 0 and at most {MAX_MPS}.")
    if is_default:
        db.session.execute(db.update(SenderNumber).where(SenderNumber.is_default).values(is_default=False))
    if sender is None:
        sender = SenderNumber()
        db.session.add(sender)
    sender.e164, sender.label, sender.user, sender.is_default = number, label, user, is_default
    sender.mps, sender.mms, sender.sms, sender.active = mps, mms, True, active
    db.session.flush()
    return sender
