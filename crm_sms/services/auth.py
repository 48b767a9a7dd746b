"""Roles, permissions, and who may see which record."""

import functools
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..models import User, db

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
    """Whether ``user`` holds ``permission``; an unknown permission is a programming error."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    return permission in ROLE_PERMISSIONS.get(role, ())


def is_own_contact(user, record):
    """Whether the contact ``Record`` is the customer ``user`` themselves."""
    # placeholder: users replaces this (Person.contact_id names the Record)
    return (
        record.kind == "contacts"
        and getattr(user, "contact_id", None) is not None
        and (record.host_id == str(user.contact_id))
    )


def can_see_contact(user, contact):
    """Staff with crm.view see every contact; a customer sees only their own."""
    return can(user, "crm.view") or (can(user, "self.manage") and user.contact_id == contact.id)


def can_edit_contact(user, contact):
    return can(user, "crm.edit") or (can(user, "self.manage") and user.contact_id == contact.id)


def authenticate(username, password):
    """The active user with these credentials, or None.

    Every attempt checks exactly one password hash (a stand-in when there is no such user), so an unknown,
    an inactive and a known user with a wrong password take the same time to refuse.
    """
    user = db.session.scalar(db.select(User).where(User.username == (username or "").strip()))
    matches = check_password_hash(user.password_hash if user is not None else _stand_in_hash(), password or "")
    return user if user is not None and user.active and matches else None


@functools.cache
def _stand_in_hash():
    # Made by the same function as real hashes, so checking it costs what checking theirs does.
    return generate_password_hash(secrets.token_urlsafe(16))
