"""The tables. One module per aggregate; no business rules here."""

from .account import ACCOUNT_TYPES, Account
from .base import UtcDateTime, db, utcnow
from .contact import Contact
from .department import Department
from .phone_number import PhoneNumber, PhoneType
from .user import ROLES, User

__all__ = [
    "ACCOUNT_TYPES", "Account", "Contact", "Department", "PhoneNumber", "PhoneType",
    "ROLES", "User", "UtcDateTime", "db", "utcnow",
]
