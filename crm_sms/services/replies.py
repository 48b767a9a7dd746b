"""Replies that are keywords (STOP, START, HELP and kin) or read as a wish to stop: what each one does.

Each change of state is confirmed once; YES and the numeric answers count only while a consent request to the
number is pending; a reply that reads as a wish to stop is flagged for its owner (``possible_opt_outs``).
"""

from datetime import timedelta

from ..models import Message, db, utcnow
from . import consent, conversations, keywords, notices, outbound, settings, suppressions

#: The flag of an inbound message that is no keyword but reads as a wish to stop.
POSSIBLE_OPT_OUT = "possible_opt_out"
#: A number is answered HELP at most once in this time (a loop of HELPs is not a loop of answers).
HELP_EVERY = timedelta(hours=1)


def handle_reply(inbound_message):
    """Act on a keyword reply (STOP, START, HELP and kin); flag one that reads as a wish to stop.

    Returns the kind acted on ("opt_out", "opt_in", "help"), or None for an ordinary message. YES and the
    numeric answers count only while a consent request to the number is pending; so does a possible opt-out
    (it refuses the request), which otherwise is flagged for the owner, or opted out at once when the admin's
    ``possible_opt_out_action`` says so. Each change of state is confirmed once: a STOP from a number already
    suppressed, or a START from one already in, changes and sends nothing. HELP is answered once an hour at most.
    """
    e164 = inbound_message.phone_e164
    pending = request_pending(e164)
    kind = keywords.classify(inbound_message.body, consent_answer=pending)
    if kind is None and keywords.reads_as_opt_out(inbound_message.body):
        inbound_message.flag = POSSIBLE_OPT_OUT
        if pending or settings.get("possible_opt_out_action") == "opt_out":
            kind = "opt_out"
    if kind == "opt_out":
        opt_out_number(inbound_message, "sms_reply", "Unknown")
    elif kind == "opt_in":
        _opt_in_number(inbound_message)
    elif kind == "help":
        _answer_help(inbound_message)
    return kind


def request_pending(e164):
    """Whether a consent request to this number awaits its answer (policy "request consent")."""
    return settings.get("consent_policy") == "request_consent" and any(
        consent.state_of(owner) == "awaiting_reply" for owner, _ in consent.owners_of(e164)
    )


def opt_out_number(cause, source, changed_by):
    """The number that sent ``cause`` asked to stop: it is suppressed, every owner opted out (the audit citing
    ``cause``), every message waiting for it canceled, and the opt-out confirmed, once.

    A number already suppressed gets no second confirmation: one still waiting is kept. Returns whether the
    number was not suppressed before.
    """
    already = suppressions.newest(cause.phone_e164, cause.sender_e164)
    consent.revoke(cause, source, changed_by, keep_notices_since=already.since if already else None)
    if already is None:
        _answer("notice_opt_out", cause)
    else:
        _unanswered(cause, "already opted out: not confirmed again")
    return already is None


def _opt_in_number(cause):
    e164 = cause.phone_e164
    changed = bool(consent.resume(cause))
    answered = False  # a YES to our consent request gets the request flow's own confirmation (seed 001)
    for owner, phone in consent.owners_of(e164):
        state = consent.state_of(owner)
        answered = answered or state == "awaiting_reply"
        if phone.sms_capable and state != "opted_in":
            consent.opt_in(owner, phone, "SMS response", "sms_reply", "Unknown", cause, notify=False)
            changed = True
    if not changed:
        _unanswered(cause, "already opted in: nothing changed")
        return
    _answer("notice_confirmed" if answered else "notice_opt_in", cause)
    release_awaiting(e164)  # after the confirmation, so it is read first


def _answer_help(cause):
    if notices.sent_since("notice_help", cause.phone_e164, utcnow() - HELP_EVERY):
        _unanswered(cause, "HELP answered within the hour: not again")
    else:
        _answer("notice_help", cause)


def _answer(name, cause):
    notices.send(name, cause.phone_e164, cause.contact or cause.account, cause.sender_e164, cause=cause)


def _unanswered(cause, why):
    outbound.record_event(cause, cause.status, "system", note=f"{why} (no automatic answer)")


def release_awaiting(e164):
    """Queue the messages that waited for this number's consent (due now, or when scheduled if later)."""
    now = utcnow()
    waiting = db.session.execute(
        db.select(Message.id, Message.direction).where(
            Message.phone_e164 == e164, Message.status == "held", Message.hold_reason == "awaiting_consent"
        )
    ).all()
    outgoing = [id for id, direction in waiting if direction == "outbound"]
    incoming = [id for id, direction in waiting if direction == "inbound"]
    shown = outbound.bulk_transition(incoming, "received", "system", note="consent given: shown", hold_reason=None)
    for message in db.session.scalars(db.select(Message).where(Message.id.in_(shown)).order_by(Message.id)):
        conversations.note_inbound(message)
    moved = outbound.bulk_transition(
        outgoing,
        "queued",
        "system",
        note="consent given",
        hold_reason=None,
        send_at=db.case((Message.send_at < now, db.literal(now, Message.send_at.type)), else_=Message.send_at),
    )
    if moved:
        outbound.schedule_dispatch(now)
    return moved
