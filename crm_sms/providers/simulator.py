"""A provider with no network: accepts every message and reports back a moment later.

Its reports are Vonage-shaped receipts and inbound messages, handed to
``report(delay, kind, params)`` (the app enqueues them as jobs), so they reach
the same code a real provider's webhooks reach.
"""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from . import vonage_format
from .base import Provider, SendResult

PRICE = Decimal("0.00790000")


class SimulatorProvider(Provider):
    name = "simulator"

    def __init__(self, report, delay=1.0, fail_numbers=(), reply=None):
        self._report = report
        self._delay = delay
        self._fail_numbers = set(fail_numbers)
        self._reply = reply

    def send(self, sms):
        provider_id = uuid.uuid4().hex[:16].upper()
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        failing = sms.to in self._fail_numbers
        self._report(
            self._delay,
            "receipt",
            {
                "msisdn": sms.to.lstrip("+"),
                "to": sms.sender.lstrip("+"),
                "network-code": "310260",
                "messageId": provider_id,
                "price": str(PRICE),
                "status": "failed" if failing else "delivered",
                "err-code": "3" if failing else "0",
                "client-ref": sms.client_ref,
                "message-timestamp": now,
            },
        )
        if self._reply and not failing:
            self._report(
                self._delay * 2,
                "inbound",
                {
                    "msisdn": sms.to.lstrip("+"),
                    "to": sms.sender.lstrip("+"),
                    "messageId": uuid.uuid4().hex[:16].upper(),
                    "text": self._reply,
                    "type": "text",
                    "message-timestamp": now,
                },
            )
        return SendResult("accepted", provider_id=provider_id, code="0", price=PRICE)

    def parse_receipt(self, params, limits=None):
        return vonage_format.parse_receipt(params, limits)

    def parse_inbound(self, params, limits=None):
        return vonage_format.parse_inbound(params, limits)

    def signature_problem(self, params, now=None):
        return None
