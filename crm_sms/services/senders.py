"""Sender numbers: the account's default numbers and each user's own."""

import math

from ..models import SenderNumber, db
from . import conversations, phone_numbers
from .auth import can

#: The most messages per second a number may be set to send (a short code allows about 100; tests and benches
#: set the most to take the sender's limit out of the way).
MAX_MPS = 100_000


class SenderError(ValueError):
    pass


def may_send_from(user, sender, conversation=None):
    """Whether ``user`` may send from ``sender``: the one sender rule (compose, drafts, replies, campaigns, triggers).

    An active SMS number shared by the account (no user) serves everyone who may send; a user's own line
    serves that user alone, never another agent, a manager's campaign or a trigger (``user`` None: a message
    nobody typed, from shared numbers only). One exception: answering ``conversation`` on its own number, for
    someone who may read it (the pool hands an unanswered conversation to whoever answers it).
    """
    if sender is None or not sender.active or not sender.sms:
        return False
    if user is not None and not can(user, "sms.send"):
        return False
    if sender.user_id is None or (user is not None and sender.user_id == user.id):
        return True
    return (
        user is not None
        and conversation is not None
        and conversation.sender_e164 == sender.e164
        and conversations.can_read(user, conversation)
    )


def for_user(user):
    """The numbers ``user`` may send from (``may_send_from``; ``user`` None: the shared ones): their own first,
    then the account's defaults, then the rest."""
    user_id = getattr(user, "id", None)
    rows = db.session.scalars(
        db.select(SenderNumber).where(
            SenderNumber.active,
            SenderNumber.sms,
            (SenderNumber.user_id == user_id) | SenderNumber.user_id.is_(None),
        )
    )
    return [
        s
        for s in sorted(rows, key=lambda s: (s.user_id != user_id, not s.is_default, s.e164))
        if may_send_from(user, s)
    ]


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
