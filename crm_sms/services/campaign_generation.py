"""Campaign generation: a campaign's recipients expanded into queued messages, a chunk at a time.

Each chunk reads its recipients with one query (record fields, consent, number,
suppression), renders their texts, moves the campaign's cursor with a guarded
UPDATE, then inserts the messages and their "queued" events with two multi-row
INSERTs; the caller commits each chunk. A generation that stopped (a worker
killed, Redis emptied) therefore continues from its last committed chunk, and
two runs at once cannot both take a chunk. A number gets at most one message
per campaign, whoever else has it (a unique index backs this).

A skipped recipient's reason (``SKIP_REASONS``, frequency caps included) is written on its row.

The confirmation shown before generating runs the same classification
(``measure``), so its counts are the generation's as long as nothing changes in
between.
"""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import aliased

from ..config import config_value
from ..models import (
    Campaign,
    CampaignRecipient,
    Consent,
    Message,
    MessageEvent,
    PhoneNumber,
    Record,
    Suppression,
    db,
    utcnow,
)
from ..models.consent import ALL_SENDERS
from ..queue import enqueue
from . import frequency, messages, records, rendering, segments, settings, suppressions
from .sweep import sweeper

GENERATE_JOB = "crm_sms.jobs.campaigns.generate"
#: Why a recipient gets no message, in the order they are checked.
SKIP_REASONS = {
    "no_number": "No SMS number",
    "not_opted_in": "Not opted in",
    "not_allowed": "Number not allowed",
    "suppressed": "Suppressed (the number replied STOP)",
    "duplicate": "Duplicate number (another recipient has it)",
    "empty_variable": "A variable of the text is empty for this recipient",
    **frequency.REASONS,
}
#: How many skipped recipients the confirmation names (it counts them all).
NAMED_SKIPS = 50
_GSM_BASIC = frozenset(segments.GSM_BASIC)


@dataclass(frozen=True)
class Row:
    """One recipient as the generation decides it: its record's consent, number, suppression, and the values of
    the record fields the text uses (``Plan.used`` order)."""

    rid: int
    owner_id: int
    state: str | None
    e164: str | None
    region: str | None
    has_sms: bool
    suppressed: str | None
    values: tuple = ()


def job_id(campaign):
    return f"crm_sms-generate-{campaign.id}"


@dataclass
class Plan:
    """What every message of a campaign shares, worked out once."""

    campaign_id: int
    module: str
    body: str
    signature_id: int | None
    signature_text: str | None
    opt_out_text: str | None
    sender_e164: str | None
    send_at: object
    author_id: int | None
    allowed: tuple
    used: dict  # {"contact": [fields], "account": [fields]} the body uses
    caps: frequency.Caps
    texts: dict = field(default_factory=dict)  # (the fields' values) -> (text, encoding, segments)


@dataclass
class Batch:
    """One chunk's outcome: the message rows to insert, and what was skipped and why (counted, and
    ``skips``: (recipient id, record id, reason key, note or None) each)."""

    rows: list = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    skips: list = field(default_factory=list)
    segments: int = 0


def plan(campaign, body):
    """The shared part of a campaign's messages, ``body`` being its text with any mass-message fields filled."""
    from .messages import default_signature

    signature = campaign.signature or default_signature("bulk")
    used = {"contact": set(), "account": set()}
    for variable in rendering.names(body):
        record, _, name = variable.partition(".")
        if record in used and name:
            used[record].add(name)
    return Plan(
        campaign_id=campaign.id,
        module=campaign.module,
        body=body,
        signature_id=signature.id if signature else None,
        signature_text=rendering.signature_text(signature) if signature else None,
        opt_out_text=settings.get("opt_out_text"),
        sender_e164=campaign.sender.e164 if campaign.sender else None,
        send_at=campaign.send_at,
        author_id=campaign.created_by_id,
        allowed=tuple(config_value("ALLOWED_REGIONS")),
        used={record: sorted(names) for record, names in used.items()},
        caps=frequency.caps_for(campaign),
    )


def recipients_after(plan, after, limit):
    """Up to ``limit`` recipients past ``after`` (recipient id), each a ``Row``: the chunk's records are synced
    with the host first (``records.link_many``: one query per kind), so the numbers are the host's now."""
    contacts = plan.module == "contacts"
    # The chunk's recipients first: joined before the LIMIT, the planner would join every remaining one.
    chunk = (
        db.select(CampaignRecipient.id, CampaignRecipient.contact_id, CampaignRecipient.account_id)
        .where(CampaignRecipient.campaign_id == plan.campaign_id, CampaignRecipient.id > after)
        .order_by(CampaignRecipient.id)
        .limit(limit)
        .subquery()
    )
    owner_column = chunk.c.contact_id if contacts else chunk.c.account_id
    owners = db.session.scalars(db.select(Record).join(chunk, owner_column == Record.id)).all()
    if not owners:
        return []
    hosts = records.host_records(plan.module, owners)
    records.link_many(plan.module, list(hosts.values()))
    phone, other = aliased(PhoneNumber), aliased(PhoneNumber)
    any_sms = db.select(other.id).where(other.record_id == Record.id, other.sms_capable, other.current).exists()
    reachable = db.and_(Consent.state == "opted_in", phone.sms_capable.is_(True), phone.current.is_(True))
    consent_column = Consent.contact_id if contacts else Consent.account_id
    # A STOP reaches this campaign's sender when the scope in force says so (see services.suppressions).
    stop = db.select(Suppression.e164).where(Suppression.e164 == phone.e164)
    if suppressions.scope() == "sender":
        stop = stop.where(Suppression.sender_e164.in_((ALL_SENDERS, plan.sender_e164 or ALL_SENDERS)))
    stmt = (
        db.select(
            chunk.c.id,
            Record.id,
            Record.account_id,
            Consent.state,
            phone.e164,
            phone.region,
            db.case((reachable, db.true()), else_=any_sms),
            stop.limit(1).scalar_subquery(),
        )
        .select_from(chunk)
        .join(Record, Record.id == owner_column)
        .outerjoin(Consent, consent_column == Record.id)
        .outerjoin(phone, phone.id == Consent.phone_number_id)
        .order_by(chunk.c.id)
    )
    rows = db.session.execute(stmt).all()
    values = _values(plan, rows, hosts)
    return [
        Row(rid, owner_id, state, e164, region, bool(has_sms), suppressed, values.get(rid, ()))
        for rid, owner_id, _, state, e164, region, has_sms, suppressed in rows
    ]


def _values(plan, rows, hosts):
    """{recipient id: the values of the fields the text uses}, the host records read once per kind."""
    if not any(plan.used.values()):
        return {}
    own = records.values_of_hosts(plan.module, hosts)
    accounts = {}
    if plan.module == "contacts" and plan.used["account"]:
        account_ids = {account_id for _, _, account_id, *_ in rows if account_id}
        linked = db.session.scalars(db.select(Record).where(Record.id.in_(account_ids))).all() if account_ids else []
        accounts = records.values_many("accounts", linked)
    result = {}
    for rid, owner_id, account_id, *_ in rows:
        by_root = {"contact": own.get(owner_id, {}), "account": accounts.get(account_id, {})}
        if plan.module == "accounts":
            by_root = {"account": own.get(owner_id, {})}
        result[rid] = tuple(by_root.get(root, {}).get(name) for root, names in plan.used.items() for name in names)
    return result


#: The columns that differ between a campaign's messages, in the order ``classify`` fills them; ``SHARED``
#: are the same for all (``shared_values``), ``TIMES`` for a chunk. The insert adds the id before.
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


def classify(rows, plan, seen):
    """Decide each recipient: a message row (values in ``PER_ROW`` order), or a skip reason. ``seen`` grows.

    A message's client reference is the run's random prefix and its recipient id: unique, and in
    ascending order, so its index grows at one end.
    """
    batch = Batch()
    contacts = plan.module == "contacts"
    prefix = f"c{plan.campaign_id}-{uuid.uuid4().hex[:12]}-"
    texts = plan.texts
    if len(texts) > 20000:
        texts.clear()
    capped = frequency.capped(rows, plan.caps)
    for row in rows:
        reason, note = _reason(row, plan, seen), None
        if reason is None and row.rid in capped:
            reason, note = capped[row.rid]
        reason = reason or _blank(row)
        if reason:
            batch.skipped[reason] += 1
            batch.skips.append((row.rid, row.owner_id, reason, note))
            continue
        seen.add(row.e164)
        values = row.values  # the record fields the text uses: recipients with the same ones read the same
        if values not in texts:
            text = _text(plan, row)
            texts[values] = (text, *_measure(text))
        text, encoding, count = texts[values]
        batch.segments += count
        batch.rows.append(
            (
                text,
                encoding,
                count,
                row.owner_id if contacts else None,
                None if contacts else row.owner_id,
                row.e164,
                f"{prefix}{row.rid}",
            )
        )
    return batch


def _reason(row, plan, seen):
    if row.suppressed is not None:  # it replied STOP: say so, whatever the record's consent says
        return "suppressed"
    if row.state == "opted_in" and row.e164 is not None and row.has_sms and row.region is not None:
        if row.region not in plan.allowed:
            return "not_allowed"
        if row.e164 in seen:
            return "duplicate"
        return None
    return "not_opted_in" if row.has_sms else "no_number"


def _blank(row):
    """ "empty_variable" when a record field the text uses is empty for this recipient: they would read a blank."""
    if any(not rendering.as_text(value).strip() for value in row.values):
        return "empty_variable"
    return None


def _text(plan, row):
    """``rendering.final_text`` for this row, with the signature's text worked out once per campaign."""
    given = iter(row.values)
    values = {root: {name: next(given) for name in names} for root, names in plan.used.items()}
    text = rendering.final_text(plan.body, values=values)
    if plan.signature_text:
        text += "\n" + plan.signature_text
    if plan.opt_out_text and "reply stop" not in text.lower():
        text += "\n" + plan.opt_out_text  # the longest it can be: the dispatcher adds it to a first message only
    return text


def _measure(text):
    """(encoding, segments), as ``segments.count`` says; a short plain GSM-7 text is one segment at once."""
    if len(text) <= 160 and _GSM_BASIC.issuperset(text):
        return segments.GSM_7, 1
    count = segments.count(text)
    return count.encoding, count.segments


def measure(plan, chunk=None):
    """What generating now would do, without writing: (messages, {reason: skipped}, segments, the first
    ``NAMED_SKIPS`` skipped as (record id, reason key, note or None))."""
    chunk = chunk or config_value("CAMPAIGN_CHUNK")
    seen, after, created, skipped, total_segments, named = set(), 0, 0, Counter(), 0, []
    while rows := recipients_after(plan, after, chunk):
        batch = classify(rows, plan, seen)
        created, total_segments = created + len(batch.rows), total_segments + batch.segments
        skipped.update(batch.skipped)
        named.extend(skip[1:] for skip in batch.skips[: NAMED_SKIPS - len(named)])
        after = rows[-1].rid
    return created, dict(skipped), total_segments, named


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
    shared = plan(campaign, body_of(campaign))
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
            rows = recipients_after(plan, after, chunk)
            return rows, classify(rows, plan, seen)

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
        messages.schedule_dispatch(campaign.send_at, now)
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
