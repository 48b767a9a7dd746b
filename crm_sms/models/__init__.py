"""The tables. One module per aggregate; no business rules here."""

from .base import UtcDateTime, conflict_insert, db, utcnow
from .campaign import Campaign, CampaignRecipient
from .consent import Consent, ConsentEvent, Suppression
from .conversation import Conversation, ConversationEvent, Notification, Subscription
from .department import Department
from .message import InboundPart, Message, MessageEvent, ProviderReceipt, SimulatedReport
from .person import Person
from .phone_number import PhoneNumber
from .record import Record, kind_of, owner_fields
from .sender_number import SenderNumber
from .setting import Setting
from .signature import Signature
from .template import Template
from .trigger import TriggerFire, TriggerRule

__all__ = [
    "Campaign",
    "CampaignRecipient",
    "Consent",
    "ConsentEvent",
    "Conversation",
    "ConversationEvent",
    "Department",
    "InboundPart",
    "Message",
    "MessageEvent",
    "Notification",
    "Person",
    "PhoneNumber",
    "ProviderReceipt",
    "Record",
    "SenderNumber",
    "Setting",
    "Signature",
    "SimulatedReport",
    "Subscription",
    "Suppression",
    "Template",
    "TriggerFire",
    "TriggerRule",
    "UtcDateTime",
    "conflict_insert",
    "db",
    "kind_of",
    "owner_fields",
    "utcnow",
]
