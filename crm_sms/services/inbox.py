"""The inbox: one tab of a user's conversations, search, unread alerts and the navigation's counts."""

from ..models import Conversation, Notification, Record, Subscription, db, utcnow
from . import records
from .auth import can
from .conversations import readable_by
from .search import digits_of

#: The inbox's tabs; "all" needs the conversations.all permission.
TABS = {"mine": "Mine", "subscribed": "Subscribed", "pool": "Unanswered pool", "all": "All"}


def conversations(user, tab="mine", query=None):
    """A select of the conversations on one tab of ``user``'s inbox, latest message first."""
    stmt = db.select(Conversation).options(
        db.joinedload(Conversation.contact), db.joinedload(Conversation.account), db.joinedload(Conversation.owner)
    )
    if tab == "mine":
        stmt = stmt.where(Conversation.owner_id == user.id)
    elif tab == "subscribed":
        stmt = stmt.where(
            Conversation.id.in_(db.select(Subscription.conversation_id).where(Subscription.user_id == user.id))
        )
    elif tab == "pool":
        stmt = stmt.where(Conversation.pooled_at.is_not(None))
    elif not can(user, "conversations.all"):
        raise PermissionError("conversations.all")
    if query:
        stmt = stmt.where(_matching(query))
    stmt = stmt.where(records.visible_condition(user, Conversation.contact_id, Conversation.account_id))
    return stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


def _matching(query):
    """A number typed matches numbers; words match the start of a contact's names (all words) or an account's name."""
    digits = digits_of(query)
    if digits and not any(char.isalpha() for char in query):
        return Conversation.phone_e164.contains(digits, autoescape=True)
    # A contact's name: every word starts one of its names; an account's name: contains the query.
    names = [db.or_(_like(Record.name, word), _like(Record.name, " " + word, anywhere=True)) for word in query.split()]
    # The matching ids are read once: as subqueries they would be scanned again for each part of the plan.
    contact_ids = db.session.scalars(
        db.select(Record.id).where(Record.kind == "contacts", *names).limit(_MATCHES)
    ).all()
    account_ids = db.session.scalars(
        db.select(Record.id).where(Record.kind == "accounts", _like(Record.name, query, anywhere=True)).limit(_MATCHES)
    ).all()
    return db.or_(Conversation.contact_id.in_(contact_ids), Conversation.account_id.in_(account_ids))


#: Records a name search looks at, at most (the inbox lists the latest conversations among them).
_MATCHES = 2000


def _like(column, text, anywhere=False):
    """``column`` starts with (or contains) ``text``, ignoring case."""
    pattern = ("%" if anywhere else "") + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    # Several times faster than ILIKE on 50,000 names: SQLite's LIKE ignores ASCII case by itself, and
    # PostgreSQL compares lower() with LIKE quicker than it folds case for ILIKE.
    if db.engine.dialect.name == "postgresql":
        return db.func.lower(column).like(pattern.lower(), escape="/")
    return column.like(pattern, escape="/")


def unread(user, conversation_ids=None):
    """{conversation id: unread alerts} for ``user`` (only the ids given, when given)."""
    stmt = (
        db.select(Notification.conversation_id, db.func.count())
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .group_by(Notification.conversation_id)
    )
    if conversation_ids is not None:
        stmt = stmt.where(Notification.conversation_id.in_(conversation_ids))
    return dict(db.session.execute(stmt).all())


def counts(user):
    """What the navigation shows: the user's unread alerts and, for agents, the conversations in the pool."""
    alerts = db.session.scalar(
        db.select(db.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    pool = (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Conversation)
            .where(Conversation.pooled_at.is_not(None), readable_by(user))
        )
        if can(user, "sms.send")
        else 0
    )
    return {"alerts": alerts, "pool": pool}


def mark_read(conversation, user, now=None):
    """Every alert of this conversation counts as read for ``user``."""
    db.session.execute(
        db.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.conversation_id == conversation.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )


def mark_all_read(user, now=None):
    db.session.execute(
        db.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )


def notifications(user, limit=50):
    """The user's latest alerts, newest first."""
    return db.session.scalars(
        db.select(Notification)
        .join(Notification.conversation)
        .where(Notification.user_id == user.id, readable_by(user))
        .options(
            db.joinedload(Notification.message),
            db.joinedload(Notification.conversation).joinedload(Conversation.contact),
            db.joinedload(Notification.conversation).joinedload(Conversation.account),
        )
        .order_by(Notification.at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
