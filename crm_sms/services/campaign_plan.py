"""What a campaign's generation makes of each recipient: a message (its text, encoding and segments), or a skip
and why.

The recipients are read a chunk at a time with one query each (record fields,
consent, number, suppression) and decided by ``classify``; a skipped recipient's
reason is one of ``SKIP_REASONS`` (frequency caps included). ``campaign_generation``
writes what ``classify`` decides; the confirmation shown before generating runs
the same classification without writing (``measure``), so its counts are the
generation's as long as nothing changes in between.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import aliased

from ..config import config_value
from ..models import CampaignRecipient, Consent, PhoneNumber, Record, Suppression, db
from ..models.consent import ALL_SENDERS
from . import frequency, messages, records, rendering, segments, settings, suppressions

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
    signature = campaign.signature or messages.default_signature("bulk")
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


def classify(rows, plan, seen):
    """Decide each recipient: a message row (values in ``campaign_generation.PER_ROW`` order), or a skip reason.
    ``seen`` grows.

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
