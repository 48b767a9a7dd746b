"""SMS consent: who may be texted at which number, every change audited.

Rules: only an opted-in contact or account is texted, and only at its one
preferred SMS number; a suppressed number (it replied STOP) is never texted,
whoever has it, from the senders the opt-out scope says (``suppressions``). Only the
number lifts its own STOP. The pipeline asks again when it claims a message.

Under the "sender" scope a STOP to one sender leaves the records' consent as it
was (other senders may still text them): each record's audit gets the opt-out of
that sender (an "opted_out" event whose ``sender_e164`` names it; the record's state
stays, and the opt-in report does not count it as a change).
"""

from flask import current_app

from .. import signals
from ..config import config_value
from ..models import (
    Consent,
    ConsentEvent,
    Message,
    PhoneNumber,
    SenderNumber,
    db,
    owner_fields,
    utcnow,
)
from ..models.consent import CHANNEL_OF_SOURCE
from . import notices, outbound, phone_numbers, settings, suppressions

NOT_OPTED_IN = "Not opted in to SMS"
OPTED_OUT = "Opted out of SMS"
SUPPRESSED = "Opted out: this number replied STOP"
NOT_PREFERRED = "Not the preferred SMS number"
NOT_SMS_TYPE = "This type of number cannot receive SMS"


class StopInForce(ValueError):
    """An opt-in that would lift a STOP the number itself sent: only a keyword from that number lifts it."""


def consent_of(owner):
    """The owner's consent row (None when never asked)."""
    column = Consent.contact_id if owner.kind == "contacts" else Consent.account_id
    return db.session.scalar(db.select(Consent).where(column == owner.id))


def reasons(owner, sender_e164=None):
    """{phone number: why it cannot be texted, or None} for each of the owner's numbers, from ``sender_e164`` (without
    one, a STOP to one sender only, under the "sender" scope, does not count: the dispatcher checks each sender)."""
    consent = consent_of(owner)
    suppressed = suppressions.blocked_numbers({phone.e164 for phone in owner.phone_numbers}, sender_e164)
    policy = settings.get("consent_policy")
    result = {}
    allowed = config_value("ALLOWED_REGIONS")
    for phone in owner.phone_numbers:
        if not phone.sms_capable:
            result[phone] = NOT_SMS_TYPE
        elif phone.region not in allowed:
            result[phone] = f"numbers from {phone_numbers.country_name(phone.region)} are not allowed"
        elif phone.e164 in suppressed:
            result[phone] = SUPPRESSED
        else:
            result[phone] = _consent_reason(consent, phone.e164, policy)
    return result


def blocked(messages):
    """{message id: reason} for the outbound messages that may not go now (one query each kind, not per message)."""
    found, scope = suppressions.rows({m.phone_e164 for m in messages}), suppressions.scope()
    suppressed = {}  # {message id: when the last STOP that reaches it was said}
    for m in messages:
        rows = suppressions.blocking(found.get(m.phone_e164, []), m.sender_e164, scope)
        if rows:
            suppressed[m.id] = max(r.since for r in rows)
    contact_ids = {m.contact_id for m in messages if m.contact_id}
    account_ids = {m.account_id for m in messages if m.account_id}
    consents = {}
    if contact_ids or account_ids:
        # populate_existing: a dispatch job keeps its session across batches (no expiry on commit), and an
        # opt-out committed meanwhile by another process must not hide behind a row it loaded earlier.
        rows = db.session.scalars(
            db.select(Consent)
            .where(Consent.contact_id.in_(contact_ids) | Consent.account_id.in_(account_ids))
            .options(db.joinedload(Consent.phone_number))
            .execution_options(populate_existing=True)
        )
        consents = {("c", r.contact_id) if r.contact_id else ("a", r.account_id): r for r in rows}
    result = {}
    allowed = config_value("ALLOWED_REGIONS")
    policy = settings.get("consent_policy")
    for message in messages:
        key = ("c", message.contact_id) if message.contact_id else ("a", message.account_id)
        if message.kind == "automatic":
            # A notice may follow the opt-out it confirms (or answer a HELP sent after it), but one written
            # before the opt-out, that raced past its cancel (an opt-in confirmation, a request), does not go.
            row = consents.get(key)
            opted_out_at = row.changed_at if row is not None and row.state == "opted_out" else None
            if message.id in suppressed and message.created_at < suppressed[message.id]:
                result[message.id] = SUPPRESSED
            elif opted_out_at is not None and message.created_at < opted_out_at:
                result[message.id] = OPTED_OUT
            continue
        region = phone_numbers.region_of(message.phone_e164)
        if region not in allowed:
            result[message.id] = f"Numbers from {phone_numbers.country_name(region)} are not allowed"
        elif message.id in suppressed:
            result[message.id] = SUPPRESSED
        elif message.contact_id or message.account_id:
            reason = _consent_reason(consents.get(key), message.phone_e164, policy)
            if reason:
                result[message.id] = reason
    return result


def opt_in(owner, phone, consent_type, source, changed_by, message=None, notify=True, **proof):
    """Opt the owner in at ``phone`` (made its preferred SMS number); lifts the number's suppression.

    Raises StopInForce, changing nothing, when the number's own STOP keeps every sender from it and the change
    is not that number's reply (``source`` "sms_reply"). A web change lifts no STOP the number sent (a STOP to one
    sender only stays). The contact is told by an automatic message unless ``notify`` is false (an import), or the
    default sender may not text the number. ``proof``: ``wording``, ``wording_version``, ``channel`` of the audit.
    """
    if source != "sms_reply":
        stop = suppressions.newest(phone.e164, source="sms_reply")
        if stop is not None:
            raise StopInForce(suppressions.restart_hint(stop, notices.default_sender()))
    if phone not in owner.phone_numbers:
        raise phone_numbers.PhoneNumberError("That number is not one of this record's numbers.")
    if not phone.sms_capable:
        raise phone_numbers.PhoneNumberError(
            f"{phone.display} is a {phone.label or ''} number, which cannot receive SMS."
        )
    consent = _consent_row(owner)
    event = _event(owner, consent, "opted_in", phone.e164, consent_type, source, changed_by, message, **proof)
    consent.state, consent.phone_number, consent.consent_type, consent.source = "opted_in", phone, consent_type, source
    consent.changed_at = event.at
    if owner.kind == "contacts":
        phone_numbers.set_preferred_sms(owner, phone)
    if source != "sms_reply":
        suppressions.lift(phone.e164, keep_sources=("sms_reply",))
    db.session.flush()
    if notify and not suppressions.blocked_numbers({phone.e164}, notices.default_sender()):
        notices.send("notice_opt_in", phone.e164, owner)
    return event


def opt_out(owner, source, changed_by, consent_type=None, message=None, notify=True, e164=None, **proof):
    """Opt the owner out; the preferred number stays flagged, so the audit shows which one.

    The audit names ``e164`` (the number that replied STOP) or else the preferred number. Every message
    waiting for the owner is canceled; the contact is told (the one message allowed).
    """
    consent = _consent_row(owner)
    preferred = consent.phone_number.e164 if consent.phone_number else None
    event = _event(owner, consent, "opted_out", e164 or preferred, consent_type, source, changed_by, message, **proof)
    consent.state, consent.consent_type, consent.source, consent.changed_at = (
        "opted_out",
        consent_type,
        source,
        event.at,
    )
    db.session.flush()
    cancel_waiting(owner=owner)
    if preferred and notify:
        notices.send("notice_opt_out", preferred, owner)
    return event


def cancel_waiting(e164=None, reason=OPTED_OUT, owner=None, sender_e164=None, keep_notices_since=None):
    """Cancel every queued or held outbound message to a number, or to an owner (or both: to that owner there);
    with ``sender_e164``, only those from that sender.

    Automatic ones too (an opt-in confirmation, a consent request): nothing written before an opt-out may
    arrive after it. Callers queue the opt-out confirmation afterwards; ``keep_notices_since`` keeps the automatic
    ones written since then (that confirmation, for a repeated STOP). The dispatcher checks again at claim time.
    """
    if e164 is None and owner is None:
        raise ValueError("cancel_waiting needs a number or an owner")
    stmt = db.select(Message.id).where(Message.direction == "outbound", Message.status.in_(("queued", "held")))
    if e164 is not None:
        stmt = stmt.where(Message.phone_e164 == e164)
    if owner is not None:
        stmt = stmt.where((Message.contact_id if owner.kind == "contacts" else Message.account_id) == owner.id)
    if sender_e164 is not None:
        stmt = stmt.where(Message.sender_e164 == sender_e164)
    if keep_notices_since is not None:
        stmt = stmt.where(~((Message.kind == "automatic") & (Message.created_at >= keep_notices_since)))
    ids = list(db.session.scalars(stmt))
    return outbound.bulk_transition(ids, "canceled", "system", note=reason, reject_reason=reason)


def revoke(cause, source="sms_reply", changed_by="Unknown", keep_notices_since=None):
    """The number that sent ``cause`` (its STOP) is suppressed for the scope in force, and every message waiting
    for it from the senders it no longer hears from canceled. Every-sender scope: each record with the number is
    opted out. "sender" scope: their consent stays; each record's audit notes the opt-out of that sender.
    """
    e164 = cause.phone_e164
    only = suppress(e164, sender_e164=cause.sender_e164)
    for owner, _ in owners_of(e164):
        if only:
            _sender_event(owner, "opted_out", cause, source, changed_by)
        elif getattr(consent_of(owner), "state", None) != "opted_out":
            opt_out(owner, source, changed_by, "SMS response", cause, notify=False, e164=e164)
    cancel_waiting(e164, sender_e164=only, keep_notices_since=keep_notices_since)
    db.session.flush()


def resume(inbound_message):
    """The number's START (its reply ``inbound_message``): lifts what keeps that sender from it (every sender,
    under the every-sender scope). A STOP to that sender alone lifted is noted in each opted-in record's audit
    (the others are opted in by the caller, which audits that). Returns the senders lifted ("" for all)."""
    e164 = inbound_message.phone_e164
    lifted = suppressions.lift(e164, inbound_message.sender_e164)
    if suppressions.scope() == "sender" and inbound_message.sender_e164 in lifted:
        for owner, _ in owners_of(e164):
            consent = consent_of(owner)
            if consent is not None and consent.state == "opted_in":
                _sender_event(owner, "opted_in", inbound_message, "sms_reply", "Unknown")
    db.session.flush()
    return lifted


def _sender_event(owner, new_state, cause, source, changed_by):
    """Audit a reply that changed consent to its sender only ("sender" scope): the record's own state stays."""
    consent, e164 = _consent_row(owner), cause.phone_e164
    _event(owner, consent, new_state, e164, "SMS response", source, changed_by, cause, sender_e164=cause.sender_e164)


def request(owner, phone, employee_name, sender_e164=None, inbound_first=False):
    """Ask the owner by SMS for consent (policy "request consent"): their state becomes awaiting reply.

    The audit names the employee whose message asked, or "Unknown" (an SMS) when the contact texted first.
    """
    consent = _consent_row(owner)
    source, changed_by = ("sms_reply", "Unknown") if inbound_first else ("staff", employee_name or "Unknown")
    name = "notice_request_mo" if inbound_first else "notice_request_mt"
    wording = notices.text(name, employee_name)
    event = _event(
        owner, consent, "awaiting_reply", phone.e164, None, source, changed_by, None, wording, channel="sms_request"
    )
    consent.state, consent.phone_number, consent.changed_at = "awaiting_reply", phone, event.at
    db.session.flush()
    notices.send(name, phone.e164, owner, sender_e164, employee_name=employee_name)
    return event


def hold_inbound(inbound_message):
    """Under "request consent", hide an ordinary message from a never-asked or awaiting contact until they say YES.

    A never-asked one is sent the request ("You are trying to reach ..."), once. Returns True when held.
    A possible opt-out is never hidden. Call only for a message just stored (not a keyword): no one has seen it yet.
    """
    owner = inbound_message.contact or inbound_message.account
    if owner is None or inbound_message.flag or settings.get("consent_policy") != "request_consent":
        return False
    state = state_of(owner)
    if state not in ("never_asked", "awaiting_reply"):
        return False
    e164 = inbound_message.phone_e164
    phone = next((p for p in owner.phone_numbers if p.e164 == e164), None)
    if state == "never_asked" and (
        phone is None or not phone.sms_capable or suppressions.blocked_numbers({e164}, inbound_message.sender_e164)
    ):
        return False  # no request can go to it: show the message as it is
    inbound_message.status, inbound_message.hold_reason = "held", "awaiting_consent"
    outbound.record_event(inbound_message, "held", "system", note="hidden until the sender consents")
    if state == "never_asked":
        sender = db.session.scalar(db.select(SenderNumber).where(SenderNumber.e164 == inbound_message.sender_e164))
        employee = (
            sender.user.name if sender is not None and sender.user is not None else (settings.get("business_name"))
        )
        request(owner, phone, employee, sender_e164=inbound_message.sender_e164, inbound_first=True)
    db.session.flush()
    return True


def state_of(owner):
    consent = consent_of(owner)
    return consent.state if consent is not None else "never_asked"


def owners_of(e164):
    """Every (record, its number row) that has this number now (a number a record no longer has is left out)."""
    phones = db.session.scalars(
        db.select(PhoneNumber)
        .where(PhoneNumber.e164 == e164, PhoneNumber.current)
        .options(db.joinedload(PhoneNumber.record))
        .order_by(PhoneNumber.id)
    ).all()
    return [(phone.record, phone) for phone in phones]


def suppress(e164, source="sms_reply", sender_e164=None):
    """Never text this number again, whoever has it, until it opts back in: from ``sender_e164`` alone under the
    "sender" scope, else from any of our numbers. Returns that one sender, or None for all."""
    only = suppressions.add(e164, source, sender_e164)
    db.session.flush()
    return only


def _consent_reason(consent, e164, policy):
    state = consent.state if consent is not None else "never_asked"
    if state == "opted_out":
        return OPTED_OUT
    if state in ("never_asked", "awaiting_reply"):
        # Under "request consent" the message waits for a YES; under "disclaimer" none is needed.
        return None if policy in ("request_consent", "disclaimer") else NOT_OPTED_IN
    if consent.phone_number is None or consent.phone_number.e164 != e164:
        return NOT_PREFERRED
    return None


def _consent_row(owner):
    consent = consent_of(owner)
    if consent is None:
        consent = Consent(state="never_asked", **owner_fields(owner))
        db.session.add(consent)
    return consent


def _event(owner, consent, new_state, e164, consent_type, source, changed_by, message, wording=None, **proof):
    """Audit one change, with its proof: the words shown (``wording``, ``wording_version``) or, for an SMS, the
    message's own text; ``channel`` (else the source's); the one sender opted out of (``sender_e164``)."""
    old_e164 = consent.phone_number.e164 if consent.phone_number else None
    event = ConsentEvent(
        contact_id=owner.id if owner.kind == "contacts" else None,
        account_id=None if owner.kind == "contacts" else owner.id,
        e164=e164,
        old_state=consent.state,
        new_state=new_state,
        old_e164=old_e164,
        consent_type=consent_type,
        source=source,
        changed_by=changed_by,
        message_id=getattr(message, "id", None),
        at=utcnow(),
        wording=wording if wording is not None else getattr(message, "body", None),
        wording_version=proof.get("wording_version"),
        channel=proof.get("channel") or CHANNEL_OF_SOURCE.get(source),
        sender_e164=proof.get("sender_e164"),
    )
    db.session.add(event)
    signals.consent_changed.send(current_app._get_current_object(), owner=owner, event=event)
    return event
