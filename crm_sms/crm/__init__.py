"""The built-in CRM: contacts, accounts, phone numbers and their pages, plugged in through ``BuiltinHost``."""

from .host import BuiltinHost

__all__ = ["BuiltinHost"]
