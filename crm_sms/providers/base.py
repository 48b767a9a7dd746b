"""What every SMS provider does, in crm_sms's own terms.

A provider sends one message, reads the provider's delivery receipts and
inbound messages into plain records, and checks webhook signatures. Nothing
outside ``providers/`` knows a provider's wire format.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

Outcome = Literal["accepted", "retry", "failed", "out_of_credit", "unknown"]


class WebhookError(ValueError):
    """A webhook body that is not a receipt or inbound message of this provider."""


@dataclass(frozen=True)
class OutboundSms:
    to: str  # E.164
    sender: str  # E.164
    text: str
    client_ref: str
    unicode: bool = False


@dataclass(frozen=True)
class SendResult:
    """The provider's answer to one send.

    ``accepted``: handed over, a receipt will follow. ``retry``: a transient
    fault (throttled, timeout, 5xx); send again later. ``failed``: this message
    can never go (the reason says why). ``out_of_credit``: the account cannot
    pay; hold sends until it can. ``unknown``: the answer could not be read, so
    it may have gone; a person decides.
    """

    outcome: Outcome
    provider_id: str | None = None
    code: str | None = None
    reason: str | None = None
    price: Decimal | None = None
    balance: Decimal | None = None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt: what became of a message the provider accepted."""

    provider_id: str
    client_ref: str | None
    status: Literal["sent", "delivered", "undeliverable", "unknown"]
    code: str | None
    reason: str | None
    at: datetime | None
    price: Decimal | None
    raw: dict


@dataclass(frozen=True)
class Inbound:
    """An incoming message, or one part of a concatenated one."""

    provider_id: str
    sender: str  # E.164 of the person texting
    to: str  # E.164 of our number
    text: str
    at: datetime | None
    concat_ref: str | None = None
    concat_total: int = 1
    concat_part: int = 1
    raw: dict = field(default_factory=dict)


class Provider(ABC):
    name: str

    @abstractmethod
    def send(self, sms: OutboundSms) -> SendResult:
        """Hand one message to the provider; never raises for a provider fault."""

    @abstractmethod
    def parse_receipt(self, params: dict, limits: dict | None = None) -> Receipt:
        """Read a delivery receipt webhook's fields; WebhookError if it is not one, or if a field is longer than
        ``limits`` ({Receipt field: most characters}) allows."""

    @abstractmethod
    def parse_inbound(self, params: dict, limits: dict | None = None) -> Inbound:
        """Read an inbound message webhook's fields; WebhookError if it is not one, or if a field is longer than
        ``limits`` ({Inbound field: most characters}) allows."""

    @abstractmethod
    def signature_problem(self, params: dict, now: float | None = None) -> str | None:
        """Why a webhook's fields are refused ("bad signature: ...": not signed, forged, or its signed time is not
        within minutes of ``now``, unix seconds), or None when they carry a valid signature or none is required."""
