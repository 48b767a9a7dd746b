"""Vonage SMS API wire formats: send statuses, delivery receipts, inbound messages.

Plain parsing, no SDK: the simulator speaks the same format so its reports
travel the same path as Vonage's.
"""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from .base import Inbound, Receipt, SendResult, WebhookError

# Status of each message in the send answer: (outcome, readable reason).
SEND_STATUSES = {
    "0": ("accepted", None),
    "1": ("retry", "Throttled: sending faster than the account allows"),
    "2": ("failed", "Missing parameters"),
    "3": ("failed", "Invalid parameters"),
    "4": ("retry", "Invalid credentials: check the Vonage API key and secret"),
    "5": ("retry", "Provider internal error"),
    "6": ("failed", "Invalid message: the number could not be routed"),
    "7": ("failed", "Number barred"),
    "8": ("failed", "Partner account barred"),
    "9": ("out_of_credit", "Insufficient funds"),
    "10": ("retry", "Too many existing binds"),
    "11": ("failed", "Account not enabled for HTTP"),
    "12": ("failed", "Message too long"),
    "14": ("retry", "Invalid signature: check the Vonage signature secret and method"),
    "15": ("failed", "Invalid sender address"),
    "22": ("failed", "Invalid network code"),
    "23": ("failed", "Invalid callback URL"),
    "29": ("failed", "Non-whitelisted destination (trial account)"),
    "32": ("failed", "Signature and API secret disallowed"),
    "33": ("failed", "Number de-activated"),
}

# Delivery receipt err-code: readable reason.
RECEIPT_ERRORS = {
    "0": None,
    "1": "Unknown error",
    "2": "Absent subscriber (temporary)",
    "3": "Absent subscriber (permanent)",
    "4": "Call barred by user",
    "5": "Portability error",
    "6": "Anti-spam rejection",
    "7": "Handset busy",
    "8": "Network error",
    "9": "Illegal number",
    "10": "Illegal message",
    "11": "Unroutable",
    "12": "Destination unreachable",
    "13": "Subscriber age restriction",
    "14": "Number blocked by carrier",
    "15": "Pre-paid insufficient funds",
    "16": "Gateway quota exceeded",
    "50": "Entity filter",
    "51": "Header filter",
    "52": "Content filter",
    "53": "Consent filter",
    "54": "Regulation error",
    "99": "General error",
}

RECEIPT_STATUSES = {
    "delivered": "delivered",
    "accepted": "sent",
    "buffered": "sent",
    "expired": "undeliverable",
    "failed": "undeliverable",
    "rejected": "undeliverable",
    "unknown": "unknown",
}


#: The most parts a long SMS has (its header counts them in one byte).
MAX_PARTS = 255

#: Each record field's name in Vonage's webhooks, to name it in a refusal.
WIRE_NAMES = {
    "provider_id": "messageId",
    "client_ref": "client-ref",
    "code": "err-code",
    "sender": "msisdn",
    "to": "to",
    "concat_ref": "concat-ref",
}


def _decimal(value):
    try:
        number = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _e164(value):
    digits = str(value or "").lstrip("+")
    return "+" + digits if digits.isdigit() else str(value or "")


def _timestamp(value):
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _required(params, *names):
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise WebhookError(f"missing {', '.join(missing)}")


def _part_count(params, name):
    """concat-total or concat-part: a whole number from 1 to MAX_PARTS."""
    text = str(params.get(name, 1)).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_PARTS):
        raise WebhookError(f"{name} must be a whole number from 1 to {MAX_PARTS}")
    return int(text)


def _fits(record, limits):
    """``record``, once each field named in ``limits`` is no longer than its limit (the column that keeps it)."""
    for name, limit in (limits or {}).items():
        value = getattr(record, name)
        if value is not None and len(value) > limit:
            raise WebhookError(f"{WIRE_NAMES[name]} is longer than {limit} characters")
    return record


def send_result(answer):
    """Classify the SMS API's JSON answer to one send (a long message answers once per part)."""
    parts = (answer or {}).get("messages") or []
    if not parts:
        # We cannot tell whether it went: never resend blindly.
        return SendResult("unknown", reason="The provider's answer could not be read", raw=answer or {})
    first = parts[0]
    code = str(first.get("status", ""))
    outcome, reason = SEND_STATUSES.get(code, ("failed", first.get("error-text") or f"Provider error {code}"))
    prices = [_decimal(part.get("message-price")) for part in parts]
    return SendResult(
        outcome=outcome,
        provider_id=first.get("message-id"),
        code=code or None,
        reason=reason,
        price=sum(prices) if all(p is not None for p in prices) else None,
        balance=_decimal(parts[-1].get("remaining-balance")),
        raw=answer,
    )


def parse_receipt(params, limits=None):
    """A delivery receipt's fields as a Receipt; WebhookError naming the field that is missing, malformed, or
    longer than ``limits`` ({field of Receipt: most characters}) allows."""
    _required(params, "messageId", "status")
    status = RECEIPT_STATUSES.get(str(params["status"]).lower())
    if status is None:
        raise WebhookError(f"unknown receipt status {params['status']!r}")
    code = str(params.get("err-code", "0") or "0")
    reason = RECEIPT_ERRORS.get(code, f"Carrier error {code}")
    return _fits(
        Receipt(
            provider_id=str(params["messageId"]),
            client_ref=params.get("client-ref") or None,
            status=status,
            code=code,
            reason=reason if status != "delivered" else None,
            at=_timestamp(params.get("message-timestamp")),
            price=_decimal(params.get("price")),
            raw=dict(params),
        ),
        limits,
    )


def parse_inbound(params, limits=None):
    """An inbound message's fields as an Inbound; WebhookError naming the field that is missing, malformed, or
    longer than ``limits`` ({field of Inbound: most characters}) allows."""
    _required(params, "messageId", "msisdn", "to")
    concat = str(params.get("concat", "")).lower() == "true"
    total = _part_count(params, "concat-total") if concat else 1
    part = _part_count(params, "concat-part") if concat else 1
    if part > total:
        raise WebhookError("concat-part is beyond concat-total")
    return _fits(
        Inbound(
            provider_id=str(params["messageId"]),
            sender=_e164(params["msisdn"]),
            to=_e164(params["to"]),
            text=str(params.get("text") or ""),
            at=_timestamp(params.get("message-timestamp")),
            concat_ref=str(params["concat-ref"]) if concat and params.get("concat-ref") else None,
            concat_total=total,
            concat_part=part,
            raw=dict(params),
        ),
        limits,
    )
