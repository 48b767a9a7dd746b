"""backfill conversations: one for each thread texted before conversations existed (0007)

Without it, the first reply to such a thread after an upgrade found no owner and went to the pool.
A thread is a contact number and one of ours with a message a user wrote (not a draft) or an inbound
message shown to agents; its first author owns it, later authors are subscribers. History is not
news: no thread waits for an answer or goes to the pool because of it, except one nobody owns.

Revision ID: 0009_backfill_conversations
Revises: 0008_leaner_message_indexes
Create Date: 2026-12-02 08:00:00

"""

from itertools import groupby

import sqlalchemy as sa
from alembic import op

import crm_sms.models.base  # noqa: F401  (UtcDateTime)

# revision identifiers, used by Alembic.
revision = "0009_backfill_conversations"
down_revision = "0008_leaner_message_indexes"
branch_labels = None
depends_on = None

UtcDateTime = crm_sms.models.base.UtcDateTime
messages = sa.table(
    "messages",
    sa.column("id"),
    sa.column("direction"),
    sa.column("status"),
    sa.column("author_id"),
    sa.column("phone_e164"),
    sa.column("sender_e164"),
    sa.column("contact_id"),
    sa.column("account_id"),
    sa.column("body"),
    sa.column("rendered_body"),
    sa.column("created_at", UtcDateTime),
)
conversations = sa.table(
    "conversations",
    sa.column("id"),
    sa.column("phone_e164"),
    sa.column("sender_e164"),
    sa.column("contact_id"),
    sa.column("account_id"),
    sa.column("owner_id"),
    sa.column("created_at", UtcDateTime),
    sa.column("last_message_at", UtcDateTime),
    sa.column("last_text"),
    sa.column("last_direction"),
    sa.column("pooled_at", UtcDateTime),
)
subscriptions = sa.table(
    "conversation_subscriptions", sa.column("conversation_id"), sa.column("user_id"), sa.column("since", UtcDateTime)
)
BATCH = 1000


def upgrade():
    bind = op.get_bind()
    existing = set(bind.execute(sa.select(conversations.c.phone_e164, conversations.c.sender_e164)))
    c = messages.c
    rows = bind.execute(
        sa.select(
            c.direction,
            c.author_id,
            c.phone_e164,
            c.sender_e164,
            c.contact_id,
            c.account_id,
            c.body,
            c.rendered_body,
            c.created_at,
        )
        .where(
            sa.or_(
                sa.and_(c.direction == "outbound", c.author_id.is_not(None), c.status != "draft"),
                sa.and_(c.direction == "inbound", c.status != "held"),
            )
        )
        .order_by(c.phone_e164, c.sender_e164, c.id)
        .execution_options(yield_per=BATCH)
    )
    threads, followers = [], {}
    for pair, thread in groupby(rows, key=lambda row: (row.phone_e164, row.sender_e164)):
        if pair in existing:
            continue
        thread = list(thread)
        authors = {}  # each author and the time of their first message, in order
        for row in thread:
            if row.author_id is not None:
                authors.setdefault(row.author_id, row.created_at)
        owner = next(iter(authors), None)
        last = thread[-1]
        record = next((row for row in reversed(thread) if row.contact_id or row.account_id), last)
        threads.append(
            {
                "phone_e164": pair[0],
                "sender_e164": pair[1],
                "contact_id": record.contact_id,
                "account_id": record.account_id,
                "owner_id": owner,
                "created_at": thread[0].created_at,
                "last_message_at": last.created_at,
                "last_text": (last.rendered_body or last.body)[:200],
                "last_direction": last.direction,
                "pooled_at": last.created_at if owner is None else None,
            }
        )
        followers[pair] = list(authors.items())[1:]
        if len(threads) == BATCH:
            _insert(bind, threads, followers)
            threads, followers = [], {}
    if threads:
        _insert(bind, threads, followers)


def _insert(bind, threads, followers):
    bind.execute(conversations.insert(), threads)
    wanted = [pair for pair, users in followers.items() if users]
    if not wanted:
        return
    ids = {
        (row.phone_e164, row.sender_e164): row.id
        for row in bind.execute(
            sa.select(conversations.c.id, conversations.c.phone_e164, conversations.c.sender_e164).where(
                conversations.c.phone_e164.in_({phone for phone, _ in wanted})
            )
        )
    }
    bind.execute(
        subscriptions.insert(),
        [
            {"conversation_id": ids[pair], "user_id": user, "since": since}
            for pair in wanted
            for user, since in followers[pair]
        ],
    )


def downgrade():
    pass  # the conversations stay: 0007's downgrade drops them all
