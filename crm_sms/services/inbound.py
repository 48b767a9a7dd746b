"""Inbound messages: joined when split in parts, stored once, matched to the contact by number."""

import uuid
from datetime import timedelta

from ..models import InboundPart, Message, PhoneNumber, Record, conflict_insert, db, utcnow
from . import outbound
from .sweep import sweeper


def record(inbound):
    """Store an inbound message (or one of its parts). Returns the message, or None (a repeat, or parts missing)."""
    if inbound.concat_ref and inbound.concat_total > 1:
        joined = _join_parts(inbound)
        if joined is None:
            return None
        text, provider_id = joined
    else:
        text, provider_id = inbound.text, inbound.provider_id
    exists = db.session.scalar(
        db.select(Message.id).where(Message.direction == "inbound", Message.provider_id == provider_id)
    )
    if exists:
        return None
    contact, account = match_sender(inbound.sender)
    message = Message(
        direction="inbound",
        kind="inbound",
        status="received",
        body=text,
        rendered_body=text,
        phone_e164=inbound.sender,
        sender_e164=inbound.to,
        contact=contact,
        account=account,
        provider_id=provider_id,
        client_ref=uuid.uuid4().hex,
        send_at=inbound.at or utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    outbound.record_event(message, "received", "provider", payload=inbound.raw)
    return message


def match_sender(e164):
    """(contact, None) or (None, account): the ``Record`` with this number. One that has it now before one that had
    it; a contact before an account; then the one that prefers it for SMS; then the newest."""
    record = db.session.scalar(
        db.select(Record)
        .join(PhoneNumber, PhoneNumber.record_id == Record.id)
        .where(PhoneNumber.e164 == e164)
        .order_by(
            PhoneNumber.current.desc(),
            (Record.kind == "contacts").desc(),
            PhoneNumber.preferred_sms.desc(),
            Record.id.desc(),
        )
        .limit(1)
    )
    if record is None:
        return None, None
    return (record, None) if record.kind == "contacts" else (None, record)


def _join_parts(inbound):
    """Keep this part; when every part is in, return (whole text, the first part's id), else None."""
    if db.engine.dialect.name == "postgresql":
        # Parts arrive together: without this lock two requests each miss the other's uncommitted part and
        # neither joins them (SQLite already serialises writers).
        db.session.execute(
            db.select(
                db.func.pg_advisory_xact_lock(
                    db.func.hashtext(f"crm_sms.inbound_parts:{inbound.sender}:{inbound.concat_ref}")
                )
            )
        )
    if db.session.scalar(db.select(InboundPart.id).where(InboundPart.provider_id == inbound.provider_id)):
        return None  # this very part again: the provider re-sends until it hears 200
    # The provider reuses references: parts already joined under this one belong to an older message.
    db.session.execute(
        db.delete(InboundPart).where(
            InboundPart.sender == inbound.sender,
            InboundPart.concat_ref == inbound.concat_ref,
            InboundPart.joined_at.is_not(None),
        )
    )
    insert = conflict_insert(InboundPart)
    db.session.execute(
        insert.values(
            sender=inbound.sender,
            concat_ref=inbound.concat_ref,
            part=inbound.concat_part,
            total=inbound.concat_total,
            text=inbound.text,
            provider_id=inbound.provider_id,
            payload=inbound.raw,
        ).on_conflict_do_nothing(index_elements=["sender", "concat_ref", "part"])
    )
    parts = db.session.scalars(
        db.select(InboundPart)
        .where(
            InboundPart.sender == inbound.sender,
            InboundPart.concat_ref == inbound.concat_ref,
        )
        .order_by(InboundPart.part)
        .with_for_update()
    ).all()
    if len(parts) < inbound.concat_total:
        return None
    now = utcnow()
    for part in parts:
        part.joined_at = now
    return "".join(part.text for part in parts), parts[0].provider_id


@sweeper
def forget_joined_parts():
    """Joined parts are kept two days (the provider re-sends for one), then deleted."""
    result = db.session.execute(db.delete(InboundPart).where(InboundPart.joined_at < utcnow() - timedelta(days=2)))
    return result.rowcount
