"""Possible opt-outs: replies that are no keyword but read as a wish to stop ("please stop texting me").

``replies.handle_reply`` flags them (``Message.flag``) and the owner is alerted as for any reply; the
conversation shows the flag with one click that opts the number out, as its STOP would have.
"""

from ..models import ConversationEvent, db, utcnow
from . import outbound, replies, suppressions
from .errors import FieldError


class PossibleOptOutError(FieldError):
    """The click cannot opt the number out (the message is no possible opt-out, or the number is out already)."""


def is_open(conversation):
    """Whether the conversation's number may still be opted out by a click (it has not been yet)."""
    return suppressions.newest(conversation.phone_e164, conversation.sender_e164) is None


def opt_out(conversation, message, user):
    """``user`` opts out the number that sent ``message``, a possible opt-out in ``conversation``, as its STOP would:
    suppressed, every owner opted out (audited as changed by ``user``, citing the message), everything waiting
    canceled, one confirmation; the message's events and the conversation's history name ``user`` too. Raises
    PossibleOptOutError before changing anything."""
    if message.flag != replies.POSSIBLE_OPT_OUT or (message.phone_e164, message.sender_e164) != (
        conversation.phone_e164,
        conversation.sender_e164,
    ):
        raise PossibleOptOutError("message", "That message is not a possible opt-out in this conversation.")
    if not is_open(conversation):
        raise PossibleOptOutError("message", f"{conversation.phone_e164} is already opted out: nothing to do.")
    replies.opt_out_number(message, "staff", user.name)
    outbound.record_event(message, message.status, "user", actor=user, note="possible opt-out: number opted out")
    db.session.add(ConversationEvent(conversation_id=conversation.id, kind="opted_out", user_id=user.id, at=utcnow()))
