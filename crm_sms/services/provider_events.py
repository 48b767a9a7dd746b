"""What the SMS provider tells us: delivery receipts and inbound messages.

The webhooks and the simulator both end here, so a simulated report takes the
same path as a real one.
"""

from flask import current_app

from .. import signals
from ..extension import state
from . import consent, conversations, inbound, receipts


def provider():
    return state.provider


def receive_receipt(params):
    """Read a delivery receipt (WebhookError if malformed), apply it once, and announce it."""
    receipt = provider().parse_receipt(params)
    message = receipts.record(receipt)
    signals.receipt_received.send(current_app._get_current_object(), receipt=receipt, message=message)
    return receipt


def receive_inbound(params):
    """Read an inbound message (WebhookError if malformed), store it once, act on a keyword, and announce it."""
    parsed = provider().parse_inbound(params)
    message = inbound.record(parsed)
    if message is not None:
        keyword = consent.handle_reply(message)
        held = keyword is None and consent.hold_inbound(message)
        if not held:  # a message hidden until its sender consents is not announced either
            conversations.note_inbound(message, keyword)
            signals.message_received.send(current_app._get_current_object(), inbound=parsed, message=message)
    return message
