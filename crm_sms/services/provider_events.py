"""What the SMS provider tells us: delivery receipts and inbound messages.

The webhooks and the simulator both end here, so a simulated report takes the
same path as a real one.
"""

from flask import current_app

from .. import signals


def provider():
    return current_app.extensions["crm_sms"].provider


def receive_receipt(params):
    """Read a delivery receipt (WebhookError if malformed) and announce it."""
    receipt = provider().parse_receipt(params)
    signals.receipt_received.send(current_app._get_current_object(), receipt=receipt)
    return receipt


def receive_inbound(params):
    """Read an inbound message (WebhookError if malformed) and announce it."""
    inbound = provider().parse_inbound(params)
    signals.message_received.send(current_app._get_current_object(), inbound=inbound)
    return inbound
