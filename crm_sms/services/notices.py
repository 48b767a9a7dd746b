"""Automatic messages (consent confirmations, HELP answers, consent requests): texts an admin sets.

An automatic message is exempt from the consent check: it is how an opt-out
is confirmed (the one message allowed after STOP). One that cannot go (a
setting it needs is blank) is kept as a failed message saying why.
"""

import logging
import uuid
from datetime import timedelta

from ..models import Message, MessageEvent, SenderNumber, db, owner_fields, utcnow
from . import outbound, readiness, rendering, segments, settings

log = logging.getLogger(__name__)

#: A change made on the web texts a number at most once in this long (every automatic message to it counts).
WEB_INTERVAL = timedelta(hours=1)
#: The variables an automatic message may use.
PLACEHOLDERS = ("business_name", "employee_name", "support_contact", "support_phone", "support_email")


def values(employee_name=""):
    """What an automatic message's variables are filled from: the admin's settings and the employee's name
    (the business's when no employee is named). ``support_contact`` is the support phone, the email, or both."""
    stored = settings.get_all()
    return {
        "business_name": stored["business_name"],
        "support_contact": readiness.support_contact(stored),
        "support_phone": stored["support_phone"],
        "support_email": stored["support_email"],
        "employee_name": (employee_name or "").strip() or stored["business_name"],
    }


def text(name, employee_name="", blank=True):
    """The automatic message ``name`` as the admin wrote it, its variables filled in; ``blank=False``: raises
    ``rendering.EmptyValue`` naming a variable that would be filled with nothing."""
    return rendering.fill_in(settings.get(name), values(employee_name), blank=blank)


def problem(name, employee_name=""):
    """Why the automatic message ``name`` cannot go now (a setting it needs is blank), or None."""
    found = readiness.problem(contact=name == "notice_help")
    if found is None:
        try:
            text(name, employee_name, blank=False)
        except rendering.EmptyValue as error:
            found = f"This automatic text quotes {error.placeholder}, which is empty: set it in SMS settings"
    return found


def send(name, to_e164, owner=None, sender_e164=None, employee_name="", cause=None):
    """Queue the automatic message ``name`` to a number, from ``sender_e164`` (else the default sender).

    While a setting it needs is blank (``problem``) it is made failed, the reason kept on it and logged,
    never queued with a blank in it.
    """
    sender_e164 = sender_e164 or default_sender()
    if sender_e164 is None:
        log.warning("automatic message %s to %s not sent: no default sender number", name, to_e164)
        return None  # no number to send from: nothing can be sent, the audit still holds the change
    refused = problem(name, employee_name)
    body = text(name, employee_name)
    count = segments.count(body)
    now = utcnow()
    message = Message(
        kind="automatic",
        status="failed" if refused else "queued",
        reject_reason=refused,
        body=body,
        rendered_body=body,
        encoding=count.encoding,
        segments=count.segments,
        phone_e164=to_e164,
        sender_e164=sender_e164,
        send_at=now,
        client_ref=uuid.uuid4().hex,
        **owner_fields(owner),
    )
    db.session.add(message)
    db.session.flush()
    note = _note(name) + (f" after #{cause.id}" if cause else "")
    if refused:
        log.warning("automatic message %s to %s not sent: %s", name, to_e164, refused)
        outbound.record_event(message, "failed", "system", note=f"{note}; not sent: {refused}")
        return message
    outbound.record_event(message, "queued", "system", note=note)
    outbound.schedule_dispatch(now, now)
    return message


def default_sender():
    """The number automatic messages go from when no other is named (None when there is none)."""
    return db.session.scalar(db.select(SenderNumber.e164).where(SenderNumber.is_default, SenderNumber.active))


def web_notice_due(e164, now=None):
    """Whether a change made on the web may text the number now: no automatic message to it in WEB_INTERVAL.

    One indexed lookup, so ten toggles in an hour send one text.
    """
    since = (now or utcnow()) - WEB_INTERVAL
    recent = db.select(Message.id).where(
        Message.phone_e164 == e164, Message.kind == "automatic", Message.created_at >= since
    )
    return not db.session.scalar(db.select(recent.exists()))


def sent_since(name, to_e164, since):
    """Whether the automatic message ``name`` was queued to this number at or after ``since`` (and is going)."""
    return (
        db.session.scalar(
            db.select(MessageEvent.id)
            .join(Message, MessageEvent.message_id == Message.id)
            .where(
                Message.phone_e164 == to_e164,
                Message.kind == "automatic",
                Message.status.not_in(("canceled", "failed")),
                Message.created_at >= since,
                MessageEvent.note.startswith(_note(name) + " ", autoescape=True) | (MessageEvent.note == _note(name)),
            )
            .limit(1)
        )
        is not None
    )


def _note(name):
    return f"automatic: {name}"
