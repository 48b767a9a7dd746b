"""Unknown numbers that texted in: made into a host contact, when the host lets crm_sms (``host.phone_kinds``)."""

from ..host import host
from ..models import Message, db
from . import records
from .conversations import ConversationError


def create_contact(conversation, first_name, last_name, phone_kind):
    """Make a host contact of an unknown number that texted in (when the host lets crm_sms: ``host.phone_kinds``);
    its messages so far become the contact's. Returns the contact's ``Record``."""
    if conversation.record is not None:
        raise ConversationError("first_name", f"This number already belongs to {conversation.title}.")
    if not host.phone_kinds():
        raise ConversationError("first_name", "Create the contact in the CRM with this number: it is linked then.")
    if not (first_name or "").strip() and not (last_name or "").strip():
        raise ConversationError("first_name", "Enter a first or a last name.")
    if phone_kind not in dict(host.phone_kinds()):
        raise ConversationError("phone_type", "Choose the type of this number.")
    try:
        made = host.create_contact(first_name.strip(), (last_name or "").strip(), conversation.phone_e164, phone_kind)
    except ValueError as error:
        raise ConversationError("first_name", str(error)) from None
    contact = records.link(made)
    conversation.contact = contact
    db.session.execute(
        db.update(Message)
        .where(
            Message.phone_e164 == conversation.phone_e164,
            Message.contact_id.is_(None),
            Message.account_id.is_(None),
        )
        .values(contact_id=contact.id),
        execution_options={"synchronize_session": False},
    )
    return contact
