"""Who may have which object: one loader per kind, used by every view that names an object by id.

The role table (``auth.ROLE_PERMISSIONS``) says what a role may do at all; a view's
``permission_required`` checks it. These loaders add what the role table cannot
say: whether this user may see *this* message, draft, conversation, campaign,
template or record, and use its sender number. A view never loads one of these
objects by id any other way.
"""

from ..host import KINDS, host
from ..models import Campaign, Conversation, Message, Record, SenderNumber, Template, db
from . import conversations, messages, records, senders
from .auth import can, is_own_contact

#: The record kinds a URL can name (``/<kind>/<id>/...``, the id being the ``Record``'s).
RECORDS = KINDS


class Denied(Exception):
    """The user may not have the object.

    ``hidden``: they may not even know it exists (answer as if it did not: 404); else they may see it but not
    do this (403). ``permission`` names what they lack, when one permission would allow it.
    """

    def __init__(self, hidden=True, permission=None):
        super().__init__("not found" if hidden else "not allowed")
        self.hidden = hidden
        self.permission = permission


def _get(model, id):
    found = db.session.get(model, id) if id is not None else None
    if found is None:
        raise Denied()
    return found


def record(user, kind, id):
    """A contact or account ``Record`` ``user`` may see, synced with the host now.

    Staff see the records the host lets them see (``host.visible``), a customer only their own contact; one the
    host deleted is not found.
    """
    if kind not in RECORDS or host.model(kind) is None:
        raise Denied()
    found = _get(Record, id)
    if found.kind != kind:
        raise Denied()
    if can(user, "crm.view"):
        host_record = records.visible(user, found)
    else:
        host_record = records.host_record(found) if is_own_contact(user, found) else None
    if host_record is None:
        raise Denied()
    return records.link(host_record)


def message(user, id):
    """A message ``user`` may read: not in a conversation they may not read, and not someone else's draft."""
    found = _get(Message, id)
    if not messages.readable(found, user):
        raise Denied()
    return found


def draft(user, id):
    """One of ``user``'s own drafts (anyone else's does not exist for them), from a number they may send from.

    A message that is no longer a draft is returned as it is, so the caller can say what became of it.
    """
    found = message(user, id)  # someone else's draft is not readable (messages.readable_by)
    sender = db.session.scalar(db.select(SenderNumber).where(SenderNumber.e164 == found.sender_e164))
    if found.status == "draft" and not senders.may_send_from(user, sender):
        raise Denied(hidden=False)
    return found


def conversation(user, id):
    """A conversation ``user`` may read (its owner, subscribers, anyone while pooled, those who read all)."""
    found = _get(Conversation, id)
    if not conversations.can_read(user, found):
        raise Denied()
    return found


def campaign(user, id):
    """A campaign: every manager sees every campaign (``campaigns.manage``); its sender is checked by each action
    that sends (save, confirm, generate: ``senders.may_send_from``)."""
    if not can(user, "campaigns.manage"):
        raise Denied(hidden=False, permission="campaigns.manage")
    return _get(Campaign, id)


def template(user, id):
    """A template: those who write templates see them all."""
    if not can(user, "templates.manage"):
        raise Denied(hidden=False, permission="templates.manage")
    return _get(Template, id)
