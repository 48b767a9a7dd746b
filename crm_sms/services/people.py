"""People: the host users crm_sms knows, as its own ``Person`` rows.

crm_sms never points at the host's user table. Each host user it meets gets one
``Person`` (by the host's primary key), refreshed from the host once per request:
the name to show, the role (which says what they may do) and, for a customer,
their own contact.
"""

from flask import g, has_request_context, request
from flask_login import current_user
from werkzeug.local import LocalProxy

from ..host import ROLES, host
from ..models import Person, conflict_insert, db, utcnow
from . import records


class HostRoleError(ValueError):
    """The host answered a role crm_sms does not know; the message names it."""


def person_for(host_user):
    """The ``Person`` of ``host_user``, created on first sight, its name, role and contact as the host says now.

    Flushes, never commits (a new row is committed by the request or job that made it).
    """
    host_id = host.user_key(host_user)
    person = db.session.scalar(db.select(Person).where(Person.host_id == host_id))
    if person is None:
        # Two first requests of one user at once: the second waits for the first's row and takes it.
        db.session.execute(
            conflict_insert(Person).values(host_id=host_id, name="", created_at=utcnow()).on_conflict_do_nothing()
        )
        person = db.session.scalar(db.select(Person).where(Person.host_id == host_id))
    _refresh(person, host_user)
    db.session.flush()
    return person


def _refresh(person, host_user):
    role = host.role(host_user)
    if role is not None and role not in ROLES:
        named = type(host._get_current_object()).__name__
        raise HostRoleError(f"{named}.role() answered {role!r}; it must be one of {', '.join(ROLES)} or None.")
    name = str(host.user_name(host_user) or "")[: Person.name.type.length]
    email = str(host.user_email(host_user) or "")[: Person.email.type.length] or None
    contact = host.contact_of(host_user) if role == "customer" else None
    contact_id = records.link(contact).id if contact is not None else None
    # Only what changed is written, so a page view does not update the row every time.
    for field, value in (("name", name), ("email", email), ("role", role), ("contact_id", contact_id)):
        if getattr(person, field) != value:
            setattr(person, field, value)


def staff():
    """The people who may be given conversations and sender numbers (``host.staff()``), by name."""
    people = [person_for(user) for user in host.staff()]
    return sorted((p for p in people if p.role in ("admin", "manager", "agent")), key=lambda p: p.name.casefold())


def current():
    """The logged-in user's ``Person``, or None when nobody is logged in or the host gives them no role.

    Resolved once per request (kept on ``flask.g``).
    """
    if not has_request_context():
        return None
    user, page = current_user._get_current_object(), request._get_current_object()
    cached = g.get("crm_sms_person")
    # Kept with the request and user it was made for: an app context may outlive a request, or see a login (tests).
    if cached is None or cached[0] is not page or cached[1] is not user:
        person = person_for(user) if user is not None and user.is_authenticated else None
        cached = g.crm_sms_person = (page, user, person if person is not None and person.role is not None else None)
    return cached[2]


#: The logged-in user's Person (None when there is none): what views hand to services.
current_person = LocalProxy(current)
