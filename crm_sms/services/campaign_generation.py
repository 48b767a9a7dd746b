"""Campaign generation: a campaign's recipients expanded into queued messages, a chunk at a time.

Each chunk's recipients are read and decided by ``campaign_plan`` (a message, or
a skip and why); the chunk then moves the campaign's cursor with a guarded
UPDATE, inserts the messages and their "queued" events with two multi-row
INSERTs, and writes each skipped recipient's reason on its row; the caller
commits each chunk. A generation that stopped (a worker killed, Redis emptied)
therefore continues from its last committed chunk, and two runs at once cannot
both take a chunk. A number gets at most one message per campaign, whoever else
has it (a unique index backs this).
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import current_app

from ..config import config_value
from ..models import Campaign, CampaignRecipient, Message, MessageEvent, db, utcnow
from ..queue import enqueue
from . import campaign_plan, outbound
from .sweep import sweeper

GENERATE_JOB = "crm_sms.jobs.campaigns.generate"


def job_id(campaign):
    return f"crm_sms-generate-{campaign.id}"


#: The columns that differ between a campaign's messages, in the order ``campaign_plan.classify`` fills them;
#: ``SHARED`` are the same for all (``shared_values``), ``TIMES`` for a chunk. The insert adds the id before.
PER_ROW = ("rendered_body", "encoding", "segments", "contact_id", "account_id", "phone_e164", "client_ref")
SHARED = ("direction", "kind", "status", "body", "sender_e164", "author_id", "signature_id", "attempts", "campaign_id")
TIMES = ("send_at", "created_at", "status_changed_at")


def shared_values(plan):
    return (
        "outbound",
        "campaign",
        "queued",
        plan.body,
        plan.sender_e164,
        plan.author_id,
        plan.signature_id,
        0,
        plan.campaign_id,
    )


def generate(campaign_id, body_of, chunk=None):
    """Generate a campaign's messages; yields after each chunk, where the caller commits.

    Guarantees: does nothing unless the campaign is generating; continues from the
    last committed chunk; never makes a second message for a number in the
    campaign; stops (without writing) if another run took the chunk or the
    campaign was canceled; when done, the campaign is scheduled or sending (or
    completed when no message was made) and a dispatch is scheduled for its date.
    """
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "generating":
        return
    chunk = chunk or config_value("CAMPAIGN_CHUNK")
    shared = campaign_plan.plan(campaign, body_of(campaign))
    after, skipped = campaign.cursor, Counter(campaign.skipped or {})
    seen = set(db.session.scalars(db.select(Message.phone_e164).where(Message.campaign_id == campaign_id)))
    for rows, batch in _read_ahead(shared, after, chunk, seen):
        now = utcnow()
        skipped.update(batch.skipped)
        # Claim the chunk first: the row lock (PostgreSQL) or write lock (SQLite) makes a second run wait,
        # then find the cursor moved and stop before it inserts anything.
        claimed = db.session.execute(
            db.update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == "generating", Campaign.cursor == after)
            .values(
                cursor=rows[-1].rid,
                processed=Campaign.processed + len(rows),
                created_count=Campaign.created_count + len(batch.rows),
                skipped=dict(skipped),
                progress_at=now,
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
        if not claimed:
            return
        _insert(batch.rows, shared_values(shared), shared.send_at, now)
        _note_skips(batch.skips)
        after = rows[-1].rid
        yield after
    _finish(campaign_id)
    yield None


def _read_ahead(plan, after, chunk, seen):
    """Yield (rows, batch) for each chunk past ``after``, the next one read and classified in a thread (with
    an app context and connection of its own) while the caller inserts this one: the database's work and
    this process's overlap. One chunk at a time, in order, so ``seen`` grows as without it.
    """
    app = current_app._get_current_object()

    def read(after):
        with app.app_context():
            rows = campaign_plan.recipients_after(plan, after, chunk)
            return rows, campaign_plan.classify(rows, plan, seen)

    with ThreadPoolExecutor(1, thread_name_prefix="crm_sms-generation") as reader:
        ahead = reader.submit(read, after)
        while True:
            rows, batch = ahead.result()
            if not rows:
                return
            ahead = reader.submit(read, rows[-1].rid)
            yield rows, batch


def _insert(rows, shared, send_at, now):
    """Insert the messages and their "queued" events with as little per-row work in Python as it takes.

    Ids are taken first (the sequence on PostgreSQL; past the largest on SQLite, whose write lock
    the chunk's claim already holds), so the events need no RETURNING. PostgreSQL gets COPY, its
    text written here: the shared columns and each distinct text are escaped once. SQLite gets one
    executemany of a prepared INSERT. A second message for a number in the campaign fails on the
    unique index (the claim keeps runs apart, so it never should).
    """
    if rows:
        connection = db.session.connection()
        insert = _copy if connection.dialect.name == "postgresql" else _insert_prepared
        insert(connection, rows, shared, send_at, now)


def _note_skips(skips):
    """Write on each skipped recipient why: one UPDATE from arrays on PostgreSQL, one executemany on SQLite."""
    if not skips:
        return
    connection = db.session.connection()
    table = CampaignRecipient.__tablename__
    if connection.dialect.name == "postgresql":
        ids, _, reasons, notes = (list(column) for column in zip(*skips, strict=True))
        connection.exec_driver_sql(
            f"UPDATE {table} SET skip_reason = v.reason, skip_note = v.note FROM unnest(%(ids)s::integer[], "
            f"%(reasons)s::text[], %(notes)s::text[]) AS v(id, reason, note) WHERE {table}.id = v.id",
            {"ids": ids, "reasons": reasons, "notes": notes},
        )
    else:
        connection.exec_driver_sql(
            f"UPDATE {table} SET skip_reason = ?, skip_note = ? WHERE id = ?",
            [(reason, note, rid) for rid, _, reason, note in skips],
        )


_EVENT_COLUMNS = ("message_id", "status", "at", "source", "note")


def _copy(connection, rows, shared, send_at, now):
    ids = (
        connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{Message.__tablename__}', 'id')) FROM generate_series(1, %(n)s)",
            {"n": len(rows)},
        )
        .scalars()
        .all()
    )
    tail = "\t".join(map(_copy_text, (*shared, send_at, now, now))) + "\n"
    texts, lines = {}, []
    for id, (text, encoding, count, contact_id, account_id, e164, ref) in zip(ids, rows, strict=True):
        if text not in texts:
            texts[text] = f"{_copy_text(text)}\t{encoding}\t{count}"
        lines.append(f"{id}\t{texts[text]}\t{_copy_text(contact_id)}\t{_copy_text(account_id)}\t{e164}\t{ref}\t{tail}")
    event = "\t".join(map(_copy_text, ("queued", now, "worker", "campaign generated"))) + "\n"
    cursor = connection.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {Message.__tablename__} (id, {', '.join(PER_ROW + SHARED + TIMES)}) FROM STDIN") as copy:
        copy.write("".join(lines))
    with cursor.copy(f"COPY {MessageEvent.__tablename__} ({', '.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
        copy.write("".join(f"{id}\t{event}" for id in ids))


def _insert_prepared(connection, rows, shared, send_at, now):
    messages_table = Message.__table__
    first = connection.scalar(db.select(db.func.coalesce(db.func.max(messages_table.c.id), 0))) + 1
    ids = range(first, first + len(rows))
    # The driver stores the values as they are, except times: each of the two is converted once.
    convert = _converter(messages_table.c.created_at.type, connection.dialect)
    send_at, at = convert(send_at), convert(now)
    connection.exec_driver_sql(
        _prepared(messages_table, ("id", *PER_ROW, *SHARED, *TIMES)),
        [(id, *row, *shared, send_at, at, at) for id, row in zip(ids, rows, strict=True)],
    )
    connection.exec_driver_sql(
        _prepared(MessageEvent.__table__, _EVENT_COLUMNS),
        [(id, "queued", at, "worker", "campaign generated") for id in ids],
    )


def _copy_text(value):
    """``value`` as a field of COPY's text format: NULL as \\N, a time in ISO 8601, and text escaped."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _prepared(table, columns):
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _converter(type_, dialect):
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return process or (lambda value: value)


def _finish(campaign_id):
    campaign = db.session.scalars(
        db.select(Campaign).where(Campaign.id == campaign_id).execution_options(populate_existing=True)
    ).one()
    if campaign.status != "generating":
        return
    now = utcnow()
    if not campaign.created_count:
        campaign.status = "completed"
    else:
        campaign.status = "scheduled" if campaign.send_at > now else "sending"
        outbound.schedule_dispatch(campaign.send_at, now)
    campaign.generated_at = campaign.progress_at = now
    db.session.flush()


@sweeper
def resume_generation():
    """Enqueue again each generation that made no progress for a while (its worker died, or Redis was emptied)."""
    cutoff = utcnow() - timedelta(seconds=config_value("CAMPAIGN_STALE_SECONDS"))
    stale = db.session.scalars(
        db.select(Campaign).where(
            Campaign.status == "generating", db.or_(Campaign.progress_at.is_(None), Campaign.progress_at < cutoff)
        )
    ).all()
    for campaign in stale:
        enqueue(GENERATE_JOB, campaign.id, job_id=job_id(campaign), job_timeout=3600)
    return len(stale)
