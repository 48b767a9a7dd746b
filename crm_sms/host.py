"""The host seam: how crm_sms sees the CRM it serves (its records and its users).

A host subclasses ``Host`` once and hands an instance to ``CrmSms(app, host=...)``.
With no host, crm_sms serves its own built-in CRM (``crm_sms.crm.BuiltinHost``),
through exactly this class. Ground floor: imports nothing of crm_sms.
"""

from typing import NamedTuple

from flask import current_app
from sqlalchemy import inspect
from werkzeug.local import LocalProxy

KINDS = ("contacts", "accounts")

#: What ``Host.role`` may answer; ``None`` means no SMS access at all.
ROLES = ("admin", "manager", "agent", "customer")


class Phone(NamedTuple):
    """One number on a host record, as the host stores it.

    ``number``: any free format ("(415) 555-0101", "+44 20 7946 0000"); crm_sms normalises it.
    ``label``: what people call it ("Mobile", "Office"). ``sms``: whether it can take SMS.
    ``key``: the stable slot it lives in ("mobile" for a column, "phone:17" for a row), so a number
    edited in place is known as the slot's new number; defaults to the label.
    """

    number: str
    label: str
    sms: bool = True
    key: str | None = None


class HostError(TypeError):
    """A host adapter that crm_sms cannot work with; the message names what to add."""


def _required(method):
    method.required = True
    return method


class Host:
    """What crm_sms needs to know about a host CRM. Override the methods marked required.

    ``kind`` is "contacts" or "accounts"; ``record`` is an instance of the host's model.
    """

    #: Required: the host's contact model (a Flask-SQLAlchemy model).
    contact_model = None
    #: The host's account model, or None when it has no accounts.
    account_model = None
    #: Required: the host's Flask-Login user model.
    user_model = None
    #: The fields templates may use, per kind: ``{{ contact.first_name }}``.
    variables = {"contacts": (), "accounts": ()}
    #: The filters a campaign may use, per kind: name -> label (``search`` applies them).
    filters = {"contacts": {}, "accounts": {}}

    # -- records ---------------------------------------------------------------------------------------

    @_required
    def name(self, record):
        """The record's display name: "Ada Lovelace", "Acme Ltd"."""
        raise NotImplementedError

    @_required
    def url(self, record):
        """The record's page on the host (``url_for(...)``)."""
        raise NotImplementedError

    @_required
    def phones(self, record):
        """The record's numbers: a list of ``Phone`` (primary first); may be empty."""
        raise NotImplementedError

    def account_of(self, contact):
        """The contact's account record, or None."""
        return None

    def values(self, record):
        """{variable: value (a string or None)} for the ``variables`` of the record's kind."""
        kind = self.kind_of(record)
        return {name: getattr(record, name, None) for name in self.variables.get(kind, ())}

    def search(self, kind, query, text=None, **filters):
        """``query`` (``db.select(model)``) narrowed to records matching ``text`` and ``filters``."""
        return query

    def visible(self, user, kind, query):
        """``query`` narrowed to the records this host user may see (owner-only CRMs narrow it)."""
        return query

    def load_options(self, kind):
        """Loader options crm_sms adds when it loads many records of ``kind`` at once (campaigns, dispatch), so
        that ``phones`` and ``account_of`` read no row at a time: e.g. ``(selectinload(Customer.phones),)``."""
        return ()

    def texted(self, kind, host_ids):
        """Called when messages went to these records (the built-in CRM clears its "ready" flag)."""

    def phone_kinds(self):
        """[(value, label)] of the kinds of SMS number crm_sms may add to a host record ("Mobile"); [] when the
        host does not let crm_sms add numbers (``create_contact`` and ``add_phone`` are then never called)."""
        return []

    def create_contact(self, first_name, last_name, number, phone_kind):
        """Create a host contact with this number (a sender nobody knows); returns it, flushed."""
        raise NotImplementedError

    def add_phone(self, record, number, phone_kind):
        """Add an SMS number to a host record (the consent form's "new number"); flushes. Raises ValueError with a
        message for a number it refuses."""
        raise NotImplementedError

    # -- users (part "users" implements their use) ------------------------------------------------------

    @_required
    def role(self, user):
        """crm_sms's role for a host user: "admin", "manager", "agent", "customer", or None (no SMS access)."""
        raise NotImplementedError

    def contact_of(self, user):
        """The host contact record a customer user is (the host's rule), or None."""
        return None

    def user_name(self, user):
        """The name crm_sms shows for a host user."""
        return str(user)

    def user_email(self, user):
        """The host user's email address, or None (the consent log may name a customer by it)."""
        return getattr(user, "email", None)

    @_required
    def staff(self):
        """Every host user who may be given conversations and sender numbers."""
        raise NotImplementedError

    # -- what crm_sms derives --------------------------------------------------------------------------

    def check(self):
        """Raise HostError naming every required attribute or method this host lacks."""
        missing = [name for name in ("contact_model", "user_model") if getattr(self, name, None) is None]
        missing += [
            f"{name}()"
            for name, member in vars(Host).items()
            if getattr(member, "required", False) and getattr(type(self), name) is member
        ]
        for attribute in ("variables", "filters"):
            if not isinstance(getattr(self, attribute), dict):
                missing.append(f"{attribute} (a dict keyed by 'contacts'/'accounts')")
        if missing:
            raise HostError(
                f"{type(self).__name__} is not a complete crm_sms host: add {', '.join(missing)}. "
                "See crm_sms.host.Host for what each one returns."
            )

    def model(self, kind):
        """The host model of ``kind`` (None for accounts when the host has none)."""
        return {"contacts": self.contact_model, "accounts": self.account_model}.get(kind)

    def kinds(self):
        """The record kinds this host has."""
        return tuple(kind for kind in KINDS if self.model(kind) is not None)

    def kind_of(self, record):
        """ "contacts" or "accounts" for a host record; HostError for anything else."""
        for kind in KINDS:
            model = self.model(kind)
            if model is not None and isinstance(record, model):
                return kind
        raise HostError(f"{record!r} is neither the host's contact_model nor its account_model.")

    def id_of(self, record):
        """The host record's primary key as a string (crm_sms's ``host_id``)."""
        identity = inspect(record).identity
        if identity is None:
            raise HostError(f"{record!r} has no primary key yet: flush it before crm_sms links it.")
        return str(identity[0])

    def user_key(self, user):
        """The host user's primary key as a string (crm_sms's ``Person.host_id``).

        The mapped primary key, not ``get_id()``: a Flask-Login id may be a session token that changes.
        """
        return ":".join(str(part) for part in inspect(user).identity)

    def primary_key(self, kind):
        """The primary key column of the host model of ``kind``."""
        return inspect(self.model(kind)).primary_key[0]


#: The current app's host (``CrmSms(app, host=...)``; the built-in CRM when none was given).
host = LocalProxy(lambda: current_app.extensions["crm_sms"].host)
