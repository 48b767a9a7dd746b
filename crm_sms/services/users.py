"""Users of the CRM: staff with roles, and customers linked to their contact."""

from ..crm.models import Contact  # placeholder: users replaces the built-in user half
from ..models import ROLES, User, db


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
