"""The host seam: what crm_sms asks of the CRM it serves, in one class.

A host subclasses ``Host`` and hands an instance to ``CrmSms(app, host=...)``; with no host,
crm_sms serves its built-in CRM (``crm_sms.crm.BuiltinHost``) through the same methods.
This module is the ground floor: it imports nothing else of crm_sms.
"""

# placeholder: records part merges the record methods here (contact_model, name, url, phones, ...)

import sqlalchemy as sa
from flask import current_app
from werkzeug.local import LocalProxy

#: What ``role`` may answer; ``None`` means no SMS access at all.
ROLES = ("admin", "manager", "agent", "customer")


class Host:
    """The host CRM as crm_sms sees it. Override the methods marked required."""

    #: required: the host's Flask-Login user model
    user_model = None

    def role(self, user):
        """required: "admin" | "manager" | "agent" | "customer" for this host user, or None (no SMS access)."""
        raise NotImplementedError(f"{type(self).__name__} must define role(user)")

    def contact_of(self, user):
        """The host contact record a customer user is (the host's rule), or None."""
        return None

    def user_name(self, user):
        """The name crm_sms shows for this host user."""
        return str(user)

    def user_email(self, user):
        """The host user's email address, or None (the consent log may name a customer by it)."""
        return getattr(user, "email", None)

    def staff(self):
        """required: the host users who may be given conversations and sender numbers."""
        raise NotImplementedError(f"{type(self).__name__} must define staff()")

    def user_key(self, user):
        """The host user's primary key as a string (crm_sms's ``Person.host_id``).

        The mapped primary key, not ``get_id()``: a Flask-Login id may be a session token that changes.
        """
        return ":".join(str(part) for part in sa.inspect(user).identity)


#: The current app's host.
host = LocalProxy(lambda: current_app.extensions["crm_sms"].host)
