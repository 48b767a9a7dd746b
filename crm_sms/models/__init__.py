"""The tables. One module per aggregate; no business rules here."""

from .account import ACCOUNT_TYPES, Account
from .base import UtcDateTime, db, utcnow
from .campaign import Campaign, CampaignRecipient
from .consent import Consent, ConsentEvent, Suppression
from .contact import Contact
from .department import Department
from .message import InboundPart, Message, MessageEvent, ProviderReceipt
from .owner import kind_of, owner_fields
from .phone_number import PhoneNumber, PhoneType
from .sender_number import SenderNumber
from .setting import Setting
from .signature import Signature
from .template import Template
from .user import ROLES, User

__all__ = [
    "ACCOUNT_TYPES", "Account", "Campaign", "CampaignRecipient", "Consent", "ConsentEvent", "Contact", "Department", "InboundPart", "Message",
    "MessageEvent", "PhoneNumber", "PhoneType", "ProviderReceipt", "ROLES", "SenderNumber", "Setting", "Signature",
    "Suppression", "Template", "User", "UtcDateTime", "db", "kind_of", "owner_fields", "utcnow",
]
