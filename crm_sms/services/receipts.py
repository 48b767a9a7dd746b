"""Delivery receipts: each applied once, in order of meaning, never lost.

A receipt is stored once (a repeat is recognised by its content and
ignored). It is applied to its message, found by provider id or client
reference, once the send has been recorded; until then it waits and the
dispatcher applies it as soon as it records the send.
"""

import hashlib
import json

from ..models import Message, ProviderReceipt, conflict_insert, db
from . import outbound

#: Fields that change when the provider sends the same receipt again.
_VOLATILE = {"sig", "timestamp", "nonce"}


def record(receipt):
    """Store a receipt and apply it if its message is ready. Returns the message, or None (waiting or repeat)."""
    content = {k: v for k, v in sorted(receipt.raw.items()) if k not in _VOLATILE}
    key = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    insert = conflict_insert(ProviderReceipt)
    row_id = db.session.scalar(
        insert.values(
            dedup_key=key,
            provider_id=receipt.provider_id,
            client_ref=receipt.client_ref,
            status=receipt.status,
            code=receipt.code,
            reason=receipt.reason,
            payload=receipt.raw,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(ProviderReceipt.id)
    )
    if row_id is None:
        return None  # the same receipt again
    match = Message.provider_id == receipt.provider_id
    if receipt.client_ref:
        match = db.or_(match, Message.client_ref == receipt.client_ref)
    message = db.session.scalar(db.select(Message).where(match).with_for_update())
    if message is None or message.status == "sending":
        return None  # the send is not recorded yet: the dispatcher applies it when it is
    _apply(message, db.session.get(ProviderReceipt, row_id))
    return message


def apply_waiting(sent):
    """Apply the receipts that arrived while these messages were being sent (one query for all).

    A receipt is found by provider id or by client reference: a long message has one provider id per
    part, and only the first is kept on the message.
    """
    by_provider_id = {m.provider_id: m for m in sent if m.provider_id}
    by_client_ref = {m.client_ref: m for m in sent}
    if not by_client_ref:
        return
    waiting = db.session.scalars(
        db.select(ProviderReceipt)
        .where(
            db.or_(ProviderReceipt.provider_id.in_(by_provider_id), ProviderReceipt.client_ref.in_(by_client_ref)),
            ProviderReceipt.message_id.is_(None),
        )
        .order_by(ProviderReceipt.id)
    ).all()
    for row in waiting:
        _apply(by_provider_id.get(row.provider_id) or by_client_ref[row.client_ref], row)


def _apply(message, row):
    row.message_id = message.id
    payload, code, reason = row.payload, row.code, row.reason
    if row.status in ("delivered", "undeliverable"):
        fields = {"reject_reason": reason} if row.status == "undeliverable" else {}
        outbound.transition(message, row.status, "provider", code=code, note=reason, payload=payload, **fields)
    elif row.status == "sent" and message.status == "unknown":
        outbound.transition(message, "sent", "provider", code=code, payload=payload)
    else:  # accepted/buffered/unknown after we already know it was sent: worth keeping, changes nothing
        outbound.record_event(
            message, message.status, "provider", code=code, note=f"receipt: {row.status}", payload=payload
        )
    if message.provider_id is None:
        message.provider_id = row.provider_id
    db.session.flush()
