"""The tables. One module per aggregate; no business rules here."""

from .account import ACCOUNT_TYPES, Account
from .base import UtcDateTime, conflict_insert, db, utcnow
from .campaign import Campaign, CampaignRecipient
from .consent import Consent, ConsentEvent, Suppression
from .contact import Contact
from .conversation import Conversation, ConversationEvent, Notification, Subscription
from .department import Department
from .message import InboundPart, Message, MessageEvent, ProviderReceipt, SimulatedReport
from .owner import kind_of, owner_fields
from .person import Person
from .phone_number import PhoneNumber, PhoneType
from .sender_number import SenderNumber
from .setting import Setting
from .signature import Signature
from .template import Template
from .trigger import TriggerFire, TriggerRule
from .user import ROLES, User

__all__ = [
    "ACCOUNT_TYPES",
    "Account",
    "Campaign",
    "CampaignRecipient",
    "Consent",
    "ConsentEvent",
    "Contact",
    "Conversation",
    "ConversationEvent",
    "Department",
    "InboundPart",
    "Message",
    "MessageEvent",
    "Notification",
    "Person",
    "PhoneNumber",
    "PhoneType",
    "ProviderReceipt",
    "ROLES",
    "SenderNumber",
    "Setting",
    "Signature",
    "SimulatedReport",
    "Subscription",
    "Suppression",
    "Template",
    "TriggerFire",
    "TriggerRule",
    "User",
    "UtcDateTime",
    "conflict_insert",
    "db",
    "kind_of",
    "owner_fields",
    "utcnow",
]
