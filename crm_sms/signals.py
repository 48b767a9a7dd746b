"""Blinker signals a host connects to. Each is sent with the app as sender."""

from blinker import Namespace

_signals = Namespace()

#: A delivery receipt arrived (kwargs: receipt, a providers.Receipt).
receipt_received = _signals.signal("receipt-received")
#: An inbound message arrived (kwargs: inbound, a providers.Inbound).
message_received = _signals.signal("message-received")
#: A message was handed to the provider (kwargs: message).
message_sent = _signals.signal("message-sent")
#: A contact's or account's SMS consent changed, in the transaction that changes it (kwargs: owner, event).
consent_changed = _signals.signal("consent-changed")
#: Sent by the host to fire an event, like ``crm_sms.trigger`` (kwargs: event, contact, account, key, and any
#: fields); the receiver's return value is a ``services.triggers.Triggered``.
trigger = _signals.signal("trigger")
