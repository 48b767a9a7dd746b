"""What the SMS provider tells us: delivery receipts and inbound messages.

The webhooks and the simulator both end here, so a simulated report takes the
same path as a real one.
"""

from flask import current_app

from .. import signals
from ..extension import state
from ..models import InboundPart, Message, MessageEvent, ProviderReceipt
from . import consent, conversations, inbound, receipts


def _limits(**columns):
    """{field: most characters}: the shortest of the columns each field is stored in."""
    return {name: min(column.type.length for column in stored) for name, stored in columns.items()}


#: How long each field of a receipt or an inbound message may be: what the columns that keep it hold.
RECEIPT_LIMITS = _limits(
    provider_id=(ProviderReceipt.provider_id, Message.provider_id),
    client_ref=(ProviderReceipt.client_ref, Message.client_ref),
    code=(ProviderReceipt.code, MessageEvent.code),
)
INBOUND_LIMITS = _limits(
    provider_id=(Message.provider_id, InboundPart.provider_id),
    sender=(Message.phone_e164, InboundPart.sender),
    to=(Message.sender_e164,),
    concat_ref=(InboundPart.concat_ref,),
)


def provider():
    return state.provider


def receive_receipt(params):
    """Read a delivery receipt (WebhookError if malformed or too long to store), apply it once, and announce it."""
    receipt = provider().parse_receipt(params, RECEIPT_LIMITS)
    message = receipts.record(receipt)
    signals.receipt_received.send(current_app._get_current_object(), receipt=receipt, message=message)
    return receipt


def receive_inbound(params):
    """Read an inbound message (WebhookError if malformed or too long to store), store it once, act on a keyword,
    and announce it."""
    parsed = provider().parse_inbound(params, INBOUND_LIMITS)
    message = inbound.record(parsed)
    if message is not None:
        keyword = consent.handle_reply(message)
        held = keyword is None and consent.hold_inbound(message)
        if not held:  # a message hidden until its sender consents is not announced either
            conversations.note_inbound(message, keyword)
            signals.message_received.send(current_app._get_current_object(), inbound=parsed, message=message)
    return message
