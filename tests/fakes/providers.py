"""A provider double for pipeline tests: records every send and answers as told."""

from decimal import Decimal

from crm_sms.providers import Provider, SendResult, vonage_format


class RecordingProvider(Provider):
    name = "recording"

    def __init__(self, *outcomes):
        self.sent = []
        self._outcomes = list(outcomes)

    def answer(self, *outcomes):
        """The next sends answer these SendResults (then: accepted)."""
        self._outcomes.extend(outcomes)

    def send(self, sms):
        self.sent.append(sms)
        if self._outcomes:
            return self._outcomes.pop(0)
        return SendResult(
            "accepted",
            provider_id=f"ID{len(self.sent):05d}",
            code="0",
            price=Decimal("0.0079"),
            balance=Decimal("12.5"),
        )

    def parse_receipt(self, params, limits=None):
        return vonage_format.parse_receipt(params, limits)

    def parse_inbound(self, params, limits=None):
        return vonage_format.parse_inbound(params, limits)

    def signature_problem(self, params, now=None):
        return None
