"""Triggered messages: a host fires an event (``crm_sms.trigger("payment.received", contact=c)``) and
the rule an admin mapped to that event texts the record a saved message (seed 002).

A triggered message goes only to a record that opted in, at its preferred SMS
number; it never bypasses quiet hours (it is held until the window opens). An
event no rule maps, or a record that cannot be texted, makes no message: the
reason is returned, logged, and kept with the event fired (the admin page
lists them). Everything here flushes; the host's transaction commits, and the
dispatch job is enqueued after that commit.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from .. import signals
from ..models import (
    Message,
    SenderNumber,
    Template,
    TriggerFire,
    TriggerRule,
    conflict_insert,
    db,
    owner_fields,
    utcnow,
)
from ..models.template import MODULES
from ..models.trigger import EVENT_NAME
from . import consent, messages, outbound, quiet_hours, readiness, records, rendering, segments, senders, settings
from .errors import FieldError

log = logging.getLogger(__name__)

NO_RULE = "No rule maps this event to a saved message"
INACTIVE = "The rule for this event is turned off"
NO_TEMPLATE = "The rule's saved message was deleted: choose another"
NO_SENDER = "There is no active sender number to send from"
DUPLICATE = "Already fired with this key"
#: How far back the admin page looks for events fired without a rule.
UNMAPPED_DAYS = 30


class TriggerError(FieldError):
    """A trigger rule that cannot be saved as asked."""


@dataclass(frozen=True)
class Triggered:
    """What came of firing an event: the message made (or, for a repeated key, the first one), or why none was."""

    event: str
    message: Message | None
    reason: str | None = None

    @property
    def duplicate(self):
        return self.reason == DUPLICATE

    @property
    def sent(self):
        """Whether this call made a new message (queued, or held for quiet hours)."""
        return self.message is not None and self.reason is None


def fire(event, contact=None, account=None, key=None, now=None, **fields):
    """Text the record the saved message mapped to ``event``; flushes, never commits. Returns a ``Triggered``.

    Guarantees: at most one message per call; none for an unknown or inactive
    event, a record of the wrong kind (a contacts rule needs ``contact``; an
    accounts rule takes ``account``, else the contact's account), or a record
    that is not opted in, is opted out or suppressed, or whose preferred number
    cannot receive SMS, settings that let no message go (``readiness``) or a
    variable of the text empty for the record; the reason says which. A message is kind "triggered",
    from the rule's sender (else the default sender), signed with the rule's
    signature (else the default bulk signature), queued, or held until quiet
    hours end at ``now`` in the recipient's time zone. The same ``(event, key)``
    never makes a second message: the second call returns the first outcome.
    Raises nothing for the host to handle, except on a malformed event name.
    """
    if not isinstance(event, str) or not EVENT_NAME.match(event):
        raise ValueError(f"Not an event name: {event!r} (use lower-case words joined by dots, like payment.received)")
    now = now or utcnow()
    # The host's own objects: crm_sms's rows for them, synced now (the number texted is the one the host has).
    contact, account = records.link(contact), records.link(account)
    record = _record_fire(event, key, contact, account, fields, now)
    if record is None:
        earlier = db.session.scalar(db.select(TriggerFire).where(TriggerFire.event == event, TriggerFire.key == key))
        log.info("trigger %s key %s: already fired (message %s)", event, key, earlier.message_id)
        return Triggered(event, earlier.message, DUPLICATE)
    rule = db.session.scalar(db.select(TriggerRule).where(TriggerRule.event == event))
    message, reason = _message(rule, contact, account, now)
    record.message, record.reason = message, reason
    db.session.flush()
    if reason:
        log.info("trigger %s: no message: %s", event, reason)
    return Triggered(event, message, reason)


@signals.trigger.connect
def _on_trigger(sender, event, **kwargs):
    return fire(event, **kwargs)


def _record_fire(event, key, contact, account, fields, now):
    """The new TriggerFire row, or None when (event, key) was fired before (one atomic INSERT, no race)."""
    insert = conflict_insert(TriggerFire)
    row_id = db.session.scalar(
        insert.values(
            event=event,
            key=key,
            contact_id=contact.id if contact is not None else None,
            account_id=account.id if account is not None else None,
            fields=_plain(fields) or None,
            at=now,
        )
        .on_conflict_do_nothing(index_elements=["event", "key"])
        .returning(TriggerFire.id)
    )
    return db.session.get(TriggerFire, row_id) if row_id is not None else None


def _plain(fields):
    """The host's extra fields as JSON can store them (a Decimal amount or a date becomes text)."""

    def plain(value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (Decimal, date, datetime)):
            return str(value)
        return repr(value)

    return {name: plain(value) for name, value in fields.items()}


def _message(rule, contact, account, now):
    """(the message made, None) or (None, why not)."""
    if rule is None:
        return None, NO_RULE
    if not rule.active:
        return None, INACTIVE
    if rule.template is None:
        return None, NO_TEMPLATE
    if rule.template.module != rule.module:  # a manager moved the template to the other module since
        return None, f"The rule's saved message is now written for {rule.template.module}: choose another"
    if rule.module == "contacts":
        owner = contact
        if owner is None:
            return None, "The rule texts a contact, and no contact was given"
    else:
        owner = account if account is not None else getattr(contact, "account", None)
        if owner is None:
            return None, "The rule texts an account, and no account was given"
    phone, reason = _number(owner)
    if reason:
        return None, reason
    sender = rule.sender if senders.may_send_from(None, rule.sender) else _default_sender()
    if sender is None:
        return None, NO_SENDER
    signature = rule.signature or messages.default_signature("bulk")
    body = rule.template.body
    config = settings.get_all()
    refused = readiness.problem(config)
    if refused:
        return None, refused
    people = (owner, None) if owner.kind == "contacts" else (None, owner)
    try:
        text = rendering.final_text(body, *people, signature, config["opt_out_text"], blank=False)
    except rendering.EmptyValue as error:
        return None, messages.empty_error(error, owner.kind)
    count = segments.count(text)
    try:
        until = quiet_hours.next_allowed(now, phone.e164, quiet_hours.Rules.from_settings(config))
    except quiet_hours.NoCommonHour as error:
        return None, str(error)
    message = Message(
        kind="triggered",
        status="held" if until else "queued",
        hold_reason="quiet_hours" if until else None,
        body=body,
        encoding=count.encoding,
        segments=count.segments,
        phone_e164=phone.e164,
        sender_e164=sender.e164,
        signature=signature,
        send_at=until or now,
        client_ref=uuid.uuid4().hex,
        created_at=now,
        status_changed_at=now,
        **owner_fields(owner),
    )
    db.session.add(message)
    db.session.flush()
    outbound.record_event(
        message, message.status, "system", note=f"triggered: {rule.event}" + (" (quiet hours)" if until else "")
    )
    outbound.schedule_dispatch(message.send_at, now)
    return message, None


def _number(owner):
    """(the owner's preferred number, None) when it may be texted now, else (None, why not)."""
    state = consent.state_of(owner)
    if state != "opted_in":
        return None, consent.OPTED_OUT if state == "opted_out" else consent.NOT_OPTED_IN
    phone = consent.consent_of(owner).phone_number
    if phone is None:
        return None, consent.NOT_OPTED_IN
    reason = consent.reasons(owner).get(phone)
    return (None, reason) if reason else (phone, None)


def _default_sender():
    return db.session.scalar(db.select(SenderNumber).where(SenderNumber.is_default, SenderNumber.active))


# The rules, for the admin page.


def all_rules():
    """Every rule by event name, with its template, sender and signature loaded."""
    return db.session.scalars(
        db.select(TriggerRule)
        .options(
            db.joinedload(TriggerRule.template),
            db.joinedload(TriggerRule.sender),
            db.joinedload(TriggerRule.signature),
        )
        .order_by(TriggerRule.event)
    ).all()


def save(rule, event, module, template, sender=None, signature=None, active=True):
    """Create (``rule`` None) or update a rule; flushes.

    Guarantees: the event name is lower-case words joined by dots (at most 80
    characters) and no other rule has it; the module is "contacts" or
    "accounts" and the template was written for that module (its variables
    must be the record's); the sender, when given, is an active shared number
    (``senders.may_send_from`` with nobody: never a user's own line). Nothing is
    written when it refuses; the error names the field.
    """
    event = (event or "").strip()
    if not event:
        raise TriggerError("event", "Enter the event name the host fires, such as payment.received.")
    if len(event) > TriggerRule.event.type.length or not EVENT_NAME.match(event):
        raise TriggerError(
            "event",
            (
                "An event name is lower-case letters, digits and underscores, in words joined by dots "
                f"(such as payment.received), at most {TriggerRule.event.type.length} characters."
            ),
        )
    clash = db.session.scalar(db.select(TriggerRule).where(TriggerRule.event == event))
    if clash is not None and clash is not rule:
        raise TriggerError("event", f"There is already a rule for {event}: edit that one.")
    if module not in MODULES:
        raise TriggerError("module", "Choose whom the message goes to: the contact or the account.")
    if template is None:
        raise TriggerError("template", "Choose the saved message to send.")
    if template.module != module:
        raise TriggerError(
            "template",
            (
                f"“{template.name}” is written for {template.module}, and this rule texts {module}: "
                f"choose a saved message for {module}."
            ),
        )
    if sender is not None and not sender.active:
        raise TriggerError("sender", f"{sender.e164} is not active: choose another number, or the default.")
    if sender is not None and not senders.may_send_from(None, sender):
        raise TriggerError(
            "sender",
            f"{sender.e164} is a user's own line: a triggered message goes from one of the account's shared numbers.",
        )
    if rule is None:
        rule = TriggerRule()
        db.session.add(rule)
    rule.event, rule.module, rule.template = event, module, template
    rule.sender, rule.signature, rule.active = sender, signature, bool(active)
    db.session.flush()
    return rule


def delete(rule):
    """Delete a rule; flushes. Its event is then unknown: firing it makes no message."""
    db.session.delete(rule)
    db.session.flush()


def templates_for(module=None):
    """The saved messages a rule may use, by module then name."""
    stmt = db.select(Template).order_by(Template.module, Template.name)
    if module is not None:
        stmt = stmt.where(Template.module == module)
    return db.session.scalars(stmt).all()


def recent(limit=20):
    """The latest events fired, newest first, with their message or reason."""
    return db.session.scalars(
        db.select(TriggerFire)
        .options(
            db.joinedload(TriggerFire.contact),
            db.joinedload(TriggerFire.account),
            db.joinedload(TriggerFire.message),
        )
        .order_by(TriggerFire.at.desc(), TriggerFire.id.desc())
        .limit(limit)
    ).all()


def unmapped(now=None):
    """[(event, times fired, last fired)] for events fired lately that no rule maps, most recent first."""
    since = (now or utcnow()) - timedelta(days=UNMAPPED_DAYS)
    last = db.func.max(TriggerFire.at)
    return db.session.execute(
        db.select(TriggerFire.event, db.func.count(), last)
        .where(TriggerFire.at >= since, TriggerFire.event.not_in(db.select(TriggerRule.event)))
        .group_by(TriggerFire.event)
        .order_by(last.desc())
    ).all()
