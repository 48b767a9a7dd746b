"""Conversations: owners, subscribers, alerts and the unanswered pool (seed 003).

A conversation is every message between one contact number and one sender
number. The first user to text it owns it; any other user who texts in it
becomes a subscriber. An inbound message alerts the owner and subscribers;
left unanswered for the public minutes, the conversation goes to the pool,
where the first agent who answers or takes it becomes its owner (the previous
owner stays a subscriber). Every move is a ConversationEvent.
"""

from datetime import timedelta

from ..config import config_value
from ..models import (
    Conversation,
    ConversationEvent,
    Message,
    Notification,
    Person,
    Subscription,
    conflict_insert,
    db,
    kind_of,
    utcnow,
)
from ..queue import enqueue_after_commit
from . import records, settings
from .auth import can
from .errors import FieldError
from .sweep import sweeper

RELEASE_JOB = "crm_sms.jobs.conversations.release"


class ConversationError(FieldError):
    """A conversation cannot do what was asked; names the field at fault."""


def public_minutes():
    """Minutes an inbound message may wait for an answer before its conversation goes to the pool."""
    value = settings.get("public_minutes")
    return float(value) if value is not None else config_value("PUBLIC_MINUTES")


# Messages in -------------------------------------------------------------------------------------------------


def note_outbound(message, author, now=None):
    """A user texted: the conversation opens (the author owns it), or the author answers in it.

    The first author owns it; another becomes a subscriber; an author answering a pooled conversation
    takes it. An answer to a waiting inbound message is recorded with its response time. The owner and
    subscribers other than the author are alerted.
    """
    now = now or utcnow()
    conversation = _open(message, now)
    _touch(conversation, message)
    if conversation.owner_id is None:
        _own(conversation, author, "owned" if conversation.pooled_at is None else "taken", now)
    elif conversation.pooled_at is not None and conversation.owner_id != author.id:
        _own(conversation, author, "taken", now)
    elif conversation.owner_id != author.id:
        _subscribe(conversation, author, now)
    conversation.pooled_at = None
    goes_now = message.status == "queued" and message.send_at <= now + timedelta(minutes=1)
    if conversation.awaiting_since is not None and goes_now:  # a held or scheduled message answers nothing yet
        _event(conversation, "answered", author, now, seconds=(now - conversation.awaiting_since).total_seconds())
        conversation.awaiting_since = conversation.due_at = None
    _notify(conversation, message, now, besides=author.id)
    return conversation


def note_inbound(message, keyword=None, now=None):
    """A message arrived: alert the owner and subscribers and start the public-minutes clock.

    A conversation nobody owns (a new number, a reply to a campaign) goes straight to the pool. A keyword
    reply (``keyword``: STOP, HELP...) is shown in the conversation but waits for no answer and alerts no one;
    STOP ends the wait for an answer.
    """
    now = now or utcnow()
    conversation = _open(message, now)
    _touch(conversation, message)
    if keyword is not None:
        if keyword == "opt_out":  # nobody may answer it now
            conversation.awaiting_since = conversation.due_at = None
        return conversation
    if conversation.awaiting_since is None:
        conversation.awaiting_since = now
    if conversation.owner_id is None:
        if conversation.pooled_at is None:
            conversation.pooled_at = now
            _event(conversation, "unowned", None, now)
    elif conversation.pooled_at is None and conversation.due_at is None:
        _start_clock(conversation, now)
    _notify(conversation, message, now)
    return conversation


def _open(message, now):
    """The conversation of the message's two numbers, opened if new (two requests at once open one)."""
    insert = conflict_insert(Conversation)
    opened = db.session.execute(
        insert.values(
            phone_e164=message.phone_e164,
            sender_e164=message.sender_e164,
            contact_id=message.contact_id,
            account_id=message.account_id,
            created_at=now,
            last_message_at=now,
            last_text="",
            last_direction=message.direction,
        ).on_conflict_do_nothing(index_elements=["phone_e164", "sender_e164"])
    )
    # Locked and read afresh: a release or another reply committed since the page loaded it must be seen.
    conversation = db.session.scalar(
        db.select(Conversation)
        .where(
            Conversation.phone_e164 == message.phone_e164,
            Conversation.sender_e164 == message.sender_e164,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if opened.rowcount:
        _event(conversation, "opened", None, now)
    if conversation.record is None and (message.contact_id or message.account_id):
        conversation.contact_id, conversation.account_id = message.contact_id, message.account_id
    return conversation


def _touch(conversation, message):
    # An old draft sent now, or a message shown once its sender consented, comes last: it is the latest news.
    conversation.last_message_at = max(conversation.last_message_at, utcnow())
    conversation.last_text = message.text[:200]
    conversation.last_direction = message.direction


def _notify(conversation, message, now, besides=None):
    """One alert per follower (owner and subscribers), in one INSERT."""
    users = {
        conversation.owner_id,
        *db.session.scalars(db.select(Subscription.user_id).where(Subscription.conversation_id == conversation.id)),
    } - {None, besides}
    if users:
        db.session.execute(
            db.insert(Notification),
            [
                {"user_id": user, "conversation_id": conversation.id, "message_id": message.id, "at": now}
                for user in sorted(users)
            ],
        )


# Moves ------------------------------------------------------------------------------------------------------


def take(conversation, user, now=None):
    """``user`` takes a pooled conversation: they own it, and a new public-minutes clock starts if it still waits."""
    now = now or utcnow()
    taken = db.session.execute(
        db.update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.pooled_at.is_not(None),
        )
        .values(pooled_at=None)
        .returning(Conversation.id),
        execution_options={"synchronize_session": False},
    ).first()
    if taken is None:  # another agent's take committed first
        raise ConversationError("conversation", "This conversation is not in the pool any more: someone took it.")
    db.session.refresh(conversation)
    _own(conversation, user, "taken", now)
    if conversation.awaiting_since is not None:
        _start_clock(conversation, now)


def join(conversation, user, now=None):
    """``user`` follows the conversation (is alerted by it) without owning it."""
    if conversation.owner_id == user.id:
        raise ConversationError("conversation", "You own this conversation already.")
    _subscribe(conversation, user, now or utcnow())


def leave(conversation, user, now=None):
    """``user`` stops following. An owner who leaves releases the conversation to the pool."""
    now = now or utcnow()
    if conversation.owner_id == user.id:
        conversation.owner_id = None
        conversation.pooled_at, conversation.due_at = now, None
        _event(conversation, "left", user, now)
        _event(conversation, "unowned", None, now)
        return
    subscription = _subscription(conversation, user)
    if subscription is None:
        raise ConversationError("conversation", "You do not follow this conversation.")
    db.session.delete(subscription)
    _event(conversation, "left", user, now)


def release(conversation_id=None, now=None):
    """Put every conversation unanswered past its public minutes in the pool (or only ``conversation_id``).

    Idempotent: the job scheduled at arrival and the periodic sweep may both run it. Returns how many moved.
    """
    now = now or utcnow()
    # One guarded UPDATE: a reply committed a moment before is seen by its conditions, never overwritten.
    due = (
        db.update(Conversation)
        .where(
            Conversation.due_at <= now,
            Conversation.pooled_at.is_(None),
            Conversation.awaiting_since.is_not(None),
        )
        .values(pooled_at=now, due_at=None)
        .returning(Conversation.id, Conversation.owner_id)
    )
    if conversation_id is not None:
        due = due.where(Conversation.id == conversation_id)
    moved = db.session.execute(due, execution_options={"synchronize_session": False}).all()
    if moved:
        db.session.execute(
            db.insert(ConversationEvent),
            [{"conversation_id": id, "kind": "pooled", "at": now, "user_id": owner} for id, owner in moved],
        )
    return len(moved)


@sweeper
def release_due():
    """Safety net for the job scheduled at arrival (lost if Redis was emptied)."""
    return release()


def release_when_due(conversation_id, now=None):
    """The job scheduled at arrival: release the conversation if due; if it ran early, schedule it again."""
    now = now or utcnow()
    moved = release(conversation_id, now)
    conversation = db.session.get(Conversation, conversation_id)
    if not moved and conversation is not None and conversation.pooled_at is None and (conversation.due_at or now) > now:
        _schedule(conversation, now, again=True)
    return moved


def _start_clock(conversation, now):
    conversation.due_at = now + timedelta(minutes=public_minutes())
    _schedule(conversation, now)


def _schedule(conversation, now, again=False):
    # RQ keeps scheduled times in whole seconds (a job may run up to one early): a second more makes it late
    # rather than early. A job scheduling itself again takes another id: RQ deletes the running job's id when done.
    job_id = f"crm_sms-release-{conversation.id}-{int(conversation.due_at.timestamp())}" + ("-again" if again else "")
    enqueue_after_commit(
        RELEASE_JOB, conversation.id, delay=(conversation.due_at - now).total_seconds() + 1, job_id=job_id
    )


def _own(conversation, user, kind, now):
    previous = conversation.owner_id
    if previous is not None and previous != user.id:
        _subscribe(conversation, db.session.get(Person, previous), now, record=False)
    subscription = _subscription(conversation, user)
    if subscription is not None:
        db.session.delete(subscription)
    conversation.owner_id = user.id
    conversation.owner = user
    _event(conversation, kind, user, now)


def _subscribe(conversation, user, now, record=True):
    insert = conflict_insert(Subscription)
    added = db.session.execute(
        insert.values(conversation_id=conversation.id, user_id=user.id, since=now).on_conflict_do_nothing(
            index_elements=["conversation_id", "user_id"]
        )
    )
    if added.rowcount and record:
        _event(conversation, "subscribed", user, now)


def _subscription(conversation, user):
    return db.session.scalar(
        db.select(Subscription).where(Subscription.conversation_id == conversation.id, Subscription.user_id == user.id)
    )


def _event(conversation, kind, user, now, seconds=None):
    db.session.add(
        ConversationEvent(
            conversation_id=conversation.id, kind=kind, user_id=getattr(user, "id", None), at=now, seconds=seconds
        )
    )


# Reading ----------------------------------------------------------------------------------------------------


def can_read(user, conversation):
    """Its owner, subscribers, anyone while it is in the pool, and those who may read all; never one of a record
    the host does not let ``user`` see."""
    if conversation.record is not None and not records.may_see(user, conversation.record):
        return False
    return (
        can(user, "conversations.all")
        or conversation.owner_id == user.id
        or conversation.pooled_at is not None
        or _subscription(conversation, user) is not None
    )


def readable_by(user):
    """``can_read`` as a condition on conversations (and only those of records the host lets ``user`` see)."""
    visible = records.visible_condition(user, Conversation.contact_id, Conversation.account_id)
    if can(user, "conversations.all"):
        return visible
    return db.and_(visible, _readable_by_role(user))


def messages_readable_by(user):
    """A condition on messages: none of a conversation ``user`` may not read (on record pages, lists, exports).

    The records ``user`` may not see are left out by ``messages.readable_by`` itself."""
    if can(user, "conversations.all"):
        return db.true()
    return ~db.exists().where(
        Conversation.phone_e164 == Message.phone_e164,
        Conversation.sender_e164 == Message.sender_e164,
        ~_readable_by_role(user),
    )


def _readable_by_role(user):
    return db.or_(
        Conversation.owner_id == user.id,
        Conversation.pooled_at.is_not(None),
        Conversation.id.in_(db.select(Subscription.conversation_id).where(Subscription.user_id == user.id)),
    )


def followers(conversation):
    """The users who follow the conversation besides its owner."""
    return db.session.scalars(
        db.select(Person)
        .join(Subscription, Subscription.user_id == Person.id)
        .where(Subscription.conversation_id == conversation.id)
        .order_by(Person.name)
    ).all()


def history(conversation):
    return db.session.scalars(
        db.select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation.id)
        .options(db.joinedload(ConversationEvent.user))
        .order_by(ConversationEvent.id)
    ).all()


def of_record(owner, user):
    """The conversations of a contact or an account that ``user`` may read, latest first."""
    column = Conversation.contact_id if kind_of(owner) == "contacts" else Conversation.account_id
    return db.session.scalars(
        db.select(Conversation)
        .where(column == owner.id, readable_by(user))
        .options(db.joinedload(Conversation.owner))
        .order_by(Conversation.last_message_at.desc())
    ).all()
