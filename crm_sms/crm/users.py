"""The built-in CRM's users: staff with roles, customers linked to their contact, and their passwords."""

import functools
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..models import db
from .models import ROLES, Contact, User


class UserError(ValueError):
    """A user that cannot be created as asked; the message says why."""


def create_user(username, password, role, email=None, contact=None):
    """Create a user; a customer must be linked to a contact nobody else has."""
    username = (username or "").strip()
    if not username:
        raise UserError("A username is required.")
    if role not in ROLES:
        raise UserError(f"Role must be one of {', '.join(ROLES)}, not {role!r}.")
    _check_password(password)
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise UserError(f"The username {username!r} is taken.")
    if role == "customer":
        if contact is None:
            raise UserError("A customer user must be linked to a contact.")
        if db.session.scalar(db.select(User.id).where(User.contact_id == contact.id)):
            raise UserError(f"{contact.full_name} already has a user.")
    elif contact is not None:
        raise UserError("Only customer users are linked to a contact.")
    user = User(username=username, email=email, role=role, contact=contact)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user, password):
    """Give ``user`` a new password; every session they had ends, remember-me cookies included."""
    _check_password(password)
    user.set_password(password)


def find_user(username):
    return db.session.scalar(db.select(User).where(User.username == (username or "").strip()))


def _check_password(password):
    if len(password or "") < 8:
        raise UserError("The password must have at least 8 characters.")


def find_contact(contact_id):
    return db.session.get(Contact, contact_id) if contact_id else None


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
