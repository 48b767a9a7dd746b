"""Messages: composing one from a record, finding them. Their statuses move through ``outbound``."""

import uuid
from datetime import datetime, timedelta

from ..config import config_value
from ..models import Message, SenderNumber, Signature, db, kind_of, owner_fields, utcnow
from . import consent, conversations, outbound, readiness, records, rendering, segments, senders, settings
from .errors import FieldError
from .search import YEARS


class MessageError(FieldError):
    """A message that cannot be saved as asked."""


def compose(owner, phone, sender, body, author, send_at=None, draft=False, now=None, conversation=None):
    """Save a message typed on a contact's or account's page, queued (or a draft).

    Refuses, naming the field: a number that is not the record's, cannot receive
    SMS or is not opted in; a sender the author may not use; an empty or
    over-long body; an unknown variable; a send date in the past; unless it is a
    draft, a variable empty for this record and settings that let no message go
    (``readiness``). Nothing is saved when it refuses. A queued message is dispatched once the caller commits.
    ``conversation``: the message answers it (its number may then be someone's own line, see
    ``senders.may_send_from``).
    """
    now = now or utcnow()
    records.sync(owner)  # the host may have changed the record's numbers since the form was shown
    if phone is None or phone not in owner.phone_numbers:
        raise MessageError("phone", "Choose one of this record's numbers to send to.")
    reason = consent.reasons(owner, getattr(sender, "e164", None))[phone]
    if reason:
        raise MessageError("phone", f"{phone.display} cannot be texted: {reason}.")
    if not senders.may_send_from(author, sender, conversation):
        raise MessageError("sender", "Choose a number you may send from.")
    body = (body or "").strip()
    if not body:
        raise MessageError("body", "Write a message.")
    try:
        rendering.check(body, kind_of(owner))
    except rendering.RenderError as error:
        raise MessageError("body", str(error)) from None
    if send_at is not None and send_at < now - timedelta(minutes=1):
        raise MessageError("send_at", "The send date is in the past: leave it empty to send now.")
    signature = default_signature("manual")
    count = _measure(body, owner, signature, blank=draft)
    status, hold_reason = ("draft", None) if draft else ("queued", None)
    awaiting = settings.get("consent_policy") == "request_consent" and consent.state_of(owner) in (
        "never_asked",
        "awaiting_reply",
    )
    if awaiting and not draft:
        status, hold_reason = "held", "awaiting_consent"
        if consent.state_of(owner) == "never_asked":
            consent.request(owner, phone, author.name, sender.e164)
    message = Message(
        kind="manual",
        status=status,
        hold_reason=hold_reason,
        body=body,
        encoding=count.encoding,
        segments=count.segments,
        phone_e164=phone.e164,
        sender_e164=sender.e164,
        author=author,
        signature=signature,
        send_at=send_at or now,
        client_ref=uuid.uuid4().hex,
        **owner_fields(owner),
    )
    db.session.add(message)
    db.session.flush()
    outbound.record_event(message, message.status, "user", actor=author)
    if status == "queued":
        outbound.schedule_dispatch(message.send_at, now)
    if not draft:
        conversations.note_outbound(message, author, now)
    return message


def _measure(body, owner, signature, blank=False):
    """Segments of the longest text this body can become (opt-out text included), refused past the limit, and
    unless ``blank``, refused with a variable empty for this record or settings that let no message go."""
    contact, account = (owner, None) if owner.kind == "contacts" else (None, owner)
    refused = None if blank else readiness.problem()
    if refused:
        raise MessageError("body", f"{refused}.")
    try:
        text = rendering.final_text(body, contact, account, signature, settings.get("opt_out_text"), blank=blank)
    except rendering.EmptyValue as error:
        raise MessageError("body", empty_error(error, owner.kind)) from None
    count = segments.count(text)
    limit = config_value("MAX_SEGMENTS")
    if count.segments > limit:
        raise MessageError(
            "body",
            (
                f"The message is too long: {count.segments} segments with the signature and opt-out text; "
                f"at most {limit} are allowed."
            ),
        )
    return count


def empty_error(error, module):
    """What a person reads about ``rendering.EmptyValue``: which variable is empty, for which record."""
    whose = "the signature's department" if error.name.startswith("department.") else f"this {module[:-1]}"
    return f"{error.placeholder} is empty for {whose}: fill it in, or take it out of the message."


def send_draft(message, author, now=None):
    """Queue a draft for sending (its number's consent is checked again when it is claimed); refused, like
    ``compose``, with a variable empty for its record or settings that let no message go."""
    if message.status != "draft":
        raise MessageError("body", f"Only a draft can be sent; this message is {message.label.lower()}.")
    owner = message.contact or message.account
    if owner is not None:
        _measure(message.body, owner, message.signature)
    outbound.transition(message, "queued", "user", actor=author)
    outbound.schedule_dispatch(message.send_at, now)
    conversations.note_outbound(message, author, now)


def reply(conversation, body, author, send_at=None, now=None):
    """Text the conversation's contact from the conversation's own number (MessageError when refused).

    Consent, length and variables are checked as on the contact's page; the author answers the
    conversation (and takes it from the pool) once the caller commits.
    """
    owner = conversation.record
    if owner is None:
        raise MessageError("body", "This number belongs to no contact yet: create one to reply.")
    phone = next((p for p in owner.phone_numbers if p.e164 == conversation.phone_e164), None)
    if phone is None:
        raise MessageError("body", f"{conversation.phone_e164} is no longer one of {conversation.title}'s numbers.")
    sender = db.session.scalar(
        db.select(SenderNumber).where(SenderNumber.e164 == conversation.sender_e164, SenderNumber.active)
    )
    if sender is None:
        raise MessageError("body", f"{conversation.sender_e164} is no longer one of our sender numbers.")
    return compose(owner, phone, sender, body, author, send_at=send_at, now=now, conversation=conversation)


def default_signature(purpose):
    column = Signature.default_for_manual if purpose == "manual" else Signature.default_for_bulk
    return db.session.scalar(db.select(Signature).where(column).options(db.joinedload(Signature.department)))


#: An inbound message waiting for its sender's consent is not shown to anyone (seed 001).
_shown = db.not_(db.and_(Message.direction == "inbound", Message.status == "held"))


def readable_by(reader):
    """A condition on messages: those ``reader`` may read (the one rule for pages, lists, exports and ids).

    Not a message in a conversation they may not read, not someone else's draft (a draft is its author's), and
    not a message of a record the host does not let them see.
    """
    return db.and_(
        _shown,
        conversations.messages_readable_by(reader),
        db.or_(Message.status != "draft", Message.author_id == reader.id),
        records.visible_condition(reader, Message.contact_id, Message.account_id),
    )


def for_record(owner, reader):
    """A select of the record's messages ``reader`` may read, newest first."""
    column = Message.contact_id if owner.kind == "contacts" else Message.account_id
    return (
        db.select(Message)
        .where(column == owner.id, readable_by(reader))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )


def readable(message, reader):
    """Whether ``reader`` may read the message (see ``readable_by``)."""
    return db.session.scalar(db.select(Message.id).where(Message.id == message.id, readable_by(reader))) is not None


def between(phone_e164, sender_e164):
    """A select of the messages both ways between a contact's number and one of ours, newest first."""
    return (
        db.select(Message)
        .where(Message.phone_e164 == phone_e164, Message.sender_e164 == sender_e164, _shown)
        .order_by(Message.created_at.desc(), Message.id.desc())
    )


def search(reader, status=None, since=None, until=None, sender=None, campaign_id=None):
    """A select of every message ``reader`` may read for the sent messages page, newest first."""
    stmt = (
        db.select(Message)
        .where(readable_by(reader))
        .options(db.joinedload(Message.contact), db.joinedload(Message.account), db.joinedload(Message.campaign))
    )
    if status:
        stmt = stmt.where(Message.status == status)
    if since:
        stmt = stmt.where(Message.created_at >= since)
    if until:
        stmt = stmt.where(Message.created_at < until)
    if sender:
        stmt = stmt.where(Message.sender_e164 == sender)
    if campaign_id:
        stmt = stmt.where(Message.campaign_id == campaign_id)
    return stmt.order_by(Message.created_at.desc(), Message.id.desc())


def as_of(value):
    """A date typed in a filter, as the start of that day in UTC (None when empty, not a date, or not in YEARS)."""
    try:
        day = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day.replace(tzinfo=utcnow().tzinfo) if day and day.year in YEARS else None


def thread(conversation, limit=100):
    """The conversation's latest messages, oldest first (as a chat reads)."""
    latest = db.session.scalars(
        between(conversation.phone_e164, conversation.sender_e164)
        .where(Message.status != "draft")
        .options(db.joinedload(Message.author))
        .limit(limit)
    ).all()
    return latest[::-1]
