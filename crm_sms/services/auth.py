"""Roles, permissions, and who may see which record.

A "user" here is a ``Person`` (``services.people``): the host's user as crm_sms knows it, its role as the
host says (``Host.role``). ``person()`` is the logged-in one, or None.
"""

from .people import current as person

__all__ = ["PERMISSIONS", "ROLE_PERMISSIONS", "can", "person"]

#: Each permission and what it lets a person do (the 403 page quotes this).
PERMISSIONS = {
    "crm.view": "see accounts and contacts",
    "crm.edit": "create and edit accounts, contacts and their phone numbers",
    "sms.view": "see SMS messages",
    "sms.send": "send SMS messages",
    "sms.consent": "change a contact's SMS consent",
    "conversations.all": "read every SMS conversation",
    "templates.manage": "write SMS templates",
    "campaigns.manage": "build and send SMS campaigns",
    "reports.view": "see SMS reports",
    "settings.manage": "change SMS settings, phone types, departments and users",
    "self.manage": "manage your own contact information and SMS preferences",
}

_STAFF = {"crm.view", "crm.edit", "sms.view", "sms.send", "sms.consent"}
_MANAGER = _STAFF | {"conversations.all", "templates.manage", "campaigns.manage", "reports.view"}

ROLE_PERMISSIONS = {
    "admin": frozenset(_MANAGER | {"settings.manage"}),
    "manager": frozenset(_MANAGER),
    "agent": frozenset(_STAFF),
    "customer": frozenset({"self.manage"}),
}


def can(user, permission):
    """Whether ``user`` (a ``Person``, or None) holds ``permission`` by its role; an unknown permission is a
    programming error."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    return permission in ROLE_PERMISSIONS.get(role, ())


def is_own_contact(user, record):
    """Whether the contact ``Record`` is the customer ``user`` (a ``Person``) themselves."""
    return record.kind == "contacts" and user is not None and user.contact_id == record.id
