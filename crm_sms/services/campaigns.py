"""Campaigns: a template sent to chosen contacts or accounts on a date (seed 004), and mass messages (seed 002).

Draft (editable: details and recipients) → "Generate all SMS messages" after a
confirmation (messages, skips and why, segments, cost) → generating (a job,
``campaign_generation``) → scheduled / sending → completed once no message is
left unfinal (``campaign_progress``). A campaign can be canceled until its
messages are sent: what has not gone yet is canceled.
"""

from dataclasses import dataclass
from datetime import timedelta

from ..config import config_value
from ..host import host
from ..models import (
    Campaign,
    CampaignRecipient,
    Message,
    Record,
    Template,
    db,
    utcnow,
)
from ..models.template import MODULES
from ..queue import enqueue_after_commit
from . import campaign_generation, campaign_plan, frequency, messages, outbound, readiness, records, rendering, senders
from .errors import FieldError
from .search import MAX_QUERY

CANCELED_NOTE = "Campaign canceled"
#: How many records the recipient picker lists at once (a search finds the others).
CANDIDATES = 50


class CampaignError(FieldError):
    """A campaign that cannot be saved, changed, generated or canceled as asked."""


@dataclass(frozen=True)
class Confirmation:
    """What generating would do now (seed 002's confirmation: count and charges)."""

    recipients: int
    messages: int
    skipped: dict  # {reason key: count}, reasons as in campaign_plan.SKIP_REASONS
    segments: int
    cost: float
    named: tuple = ()  # the first skipped (campaign_plan.NAMED_SKIPS): (Record, why), in recipient order
    caps: str | None = None  # what the frequency caps skip, when any is on

    @property
    def skipped_total(self):
        return sum(self.skipped.values())


def all_campaigns():
    return db.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())


def save(campaign, name, send_at, module, template, sender, signature, user, now=None):
    """Create (``campaign`` None) or update a draft campaign; flushes.

    Guarantees: only a draft changes; a name; a dispatch date not in the past;
    module contacts or accounts (fixed once it has recipients); a template of
    that module; a sender number ``user`` may send from (``senders.may_send_from``:
    not someone else's own line). ``signature`` None means the bulk default when
    the messages are generated. Nothing is written when it refuses.
    """
    now = now or utcnow()
    _editable(campaign)
    name = (name or "").strip()
    if not name:
        raise CampaignError("name", "A campaign needs a name.")
    if len(name) > Campaign.name.type.length:
        raise CampaignError("name", f"The name is too long: at most {Campaign.name.type.length} characters.")
    if send_at is None:
        raise CampaignError("send_at", "Choose the dispatch date: when the messages go.")
    if send_at < now - timedelta(minutes=1):
        raise CampaignError("send_at", "The dispatch date is in the past.")
    if module not in MODULES:
        raise CampaignError("module", "Choose Contacts or Accounts: who the campaign is for.")
    if campaign is not None and campaign.module != module and recipient_count(campaign):
        raise CampaignError(
            "module", f"Remove the recipients first: they are all {campaign.module}, and a campaign is for one module."
        )
    if template is None or template.module != module:
        raise CampaignError("template", f"Choose a template written for {module}.")
    if template.locked and (campaign is None or campaign.source != "mass"):
        raise CampaignError("template", f"“{template.name}” is a mass message: send it from “New mass message”.")
    _check_sender(sender, user)
    if campaign is None:
        campaign = Campaign(created_by=user, source="campaign")
    db.session.add(campaign)
    campaign.name, campaign.send_at, campaign.module = name, send_at, module
    campaign.template, campaign.sender, campaign.signature = template, sender, signature
    db.session.flush()
    return campaign


def text_of(campaign):
    """The campaign's message text as written: its template, with a mass message's fields filled in."""
    body = campaign.template.body if campaign.template else ""
    return rendering.fill_fields(body, campaign.fields or {})


# Recipients ---------------------------------------------------------------------------------------------------


def _owner_column(campaign):
    return CampaignRecipient.contact_id if campaign.module == "contacts" else CampaignRecipient.account_id


def recipients(campaign, skipped=False):
    """A select of the campaign's recipients (only those the generation skipped, if ``skipped``), by the order
    they were added."""
    stmt = (
        db.select(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .options(db.joinedload(CampaignRecipient.contact), db.joinedload(CampaignRecipient.account))
        .order_by(CampaignRecipient.id)
    )
    return stmt.where(CampaignRecipient.skip_reason.is_not(None)) if skipped else stmt


def recipient_count(campaign):
    return db.session.scalar(db.select(db.func.count()).where(CampaignRecipient.campaign_id == campaign.id))


def filters_of(module):
    """{filter name: label} the host offers for campaigns to ``module``."""
    return dict(host.filters.get(module, {}))


def matching(module, q=None, **filters):
    """A select of the host's contacts or accounts matching a search (``q``) and filters (``host.search``)."""
    model = host.model(module)
    given = {name: value for name, value in filters.items() if value and name in filters_of(module)}
    return host.search(module, db.select(model), text=q or None, **given)


def candidates(campaign, q=None, **filters):
    """The first ``CANDIDATES`` host records matching, as their ``Record`` (linked now, one batch), each with
    whether it is already a recipient."""
    stmt = matching(campaign.module, q, **filters).options(*host.load_options(campaign.module))
    found = db.session.scalars(stmt.limit(CANDIDATES)).all()
    linked = records.link_many(campaign.module, found)
    column = _owner_column(campaign)
    added = set(
        db.session.scalars(
            db.select(column).where(CampaignRecipient.campaign_id == campaign.id, column.in_([r.id for r in linked]))
        )
    )
    return [(record, record.id in added) for record in linked]


def add_records(campaign, ids):
    """Add the ticked contacts or accounts (ids of the campaign module's ``Record``s, as ``candidates`` gives
    them); already added ones stay once, ids of nothing are skipped. Returns how many were added."""
    _editable(campaign)
    ids = {i for i in (_record_id(i) for i in ids) if i is not None}
    if not ids:
        raise CampaignError("records", f"Tick the {campaign.module} to add.")
    column = _owner_column(campaign)
    found = db.session.scalars(
        db.select(Record.id)
        .where(Record.id.in_(ids), Record.kind == campaign.module)
        .where(~Record.id.in_(db.select(column).where(CampaignRecipient.campaign_id == campaign.id)))
        .order_by(Record.id)
    ).all()
    now = utcnow()
    if found:
        db.session.execute(
            db.insert(CampaignRecipient),
            [{"campaign_id": campaign.id, column.key: id, "created_at": now} for id in found],
        )
    return len(found)


def _record_id(value):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def add_matching(campaign, q=None, every=False, **filters):
    """Add every record matching a search and filters (see ``matching``), or ``every`` record of the module;
    returns how many were added. An empty filter is refused: it says nothing of "every"."""
    _editable(campaign)
    filters = {name: value for name, value in filters.items() if value}
    if not (q or filters or every):
        raise CampaignError(
            "filter", f"Choose a filter: a search, a city or an account type (or add all {campaign.module})."
        )
    unknown = set(filters) - set(filters_of(campaign.module))
    if unknown:
        raise CampaignError("filter", f"{campaign.module.capitalize()} have no filter {', '.join(sorted(unknown))}.")
    if len(q or "") > MAX_QUERY or any(len(str(v)) > MAX_QUERY for v in filters.values()):
        raise CampaignError("filter", f"The search and the filters take at most {MAX_QUERY} characters each.")
    return _add(campaign, matching(campaign.module, q, **filters))


def _add(campaign, host_select):
    """Link the host records ``host_select`` finds, a batch at a time (``records.link_many``), and add those not
    yet recipients, one multi-row INSERT per batch. Returns how many were added."""
    column = _owner_column(campaign)
    already = set(
        db.session.scalars(db.select(column).where(CampaignRecipient.campaign_id == campaign.id, column.is_not(None)))
    )
    added, now = 0, utcnow()
    key = host.primary_key(campaign.module)
    keys = db.session.scalars(host_select.with_only_columns(key).order_by(None).order_by(key)).all()
    model = host.model(campaign.module)
    for start in range(0, len(keys), records.BATCH):
        batch = db.session.scalars(
            db.select(model)
            .where(key.in_(keys[start : start + records.BATCH]))
            .options(*host.load_options(campaign.module))
            .order_by(key)
        ).all()
        linked = records.link_many(campaign.module, batch)
        rows = [
            {"campaign_id": campaign.id, column.key: r.id, "created_at": now}
            for r in linked
            if r.id not in already and not already.add(r.id)
        ]
        if rows:
            db.session.execute(db.insert(CampaignRecipient), rows)
            added += len(rows)
    return added


def remove_recipients(campaign, recipient_ids=None):
    """Remove the chosen recipients (all when ``recipient_ids`` is None); returns how many went."""
    _editable(campaign)
    stmt = db.delete(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id)
    if recipient_ids is not None:
        if not recipient_ids:
            raise CampaignError("recipients", "Tick the recipients to remove.")
        stmt = stmt.where(CampaignRecipient.id.in_([int(i) for i in recipient_ids]))
    return db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount


# Confirmation, generation, cancel ------------------------------------------------------------------------------


def confirmation(campaign, user=None):
    """How many messages generating would create, who would be skipped and why, and the estimated segments and cost.

    Raises CampaignError (naming the field) when the campaign cannot be generated by ``user`` (None: by nobody in
    particular, so only from a shared number).
    """
    _ready(campaign, user)
    plan = campaign_plan.plan(campaign, text_of(campaign))
    created, skipped, segment_count, named = campaign_plan.measure(plan)
    owners = {r.id: r for r in db.session.scalars(db.select(Record).where(Record.id.in_({n[0] for n in named})))}
    return Confirmation(
        recipients=recipient_count(campaign),
        messages=created,
        skipped=skipped,
        segments=segment_count,
        cost=round(segment_count * config_value("PRICE_PER_SEGMENT"), 4),
        named=tuple((owners[id], skip_text(reason, note)) for id, reason, note in named if id in owners),
        caps=frequency.describe(plan.caps),
    )


def skip_text(reason, note):
    """Why a recipient is (or was) skipped, as a person reads it: the note when there is one, else the reason."""
    return note or campaign_plan.SKIP_REASONS.get(reason, reason)


def generate(campaign, user=None, now=None):
    """ "Generate all SMS messages": the draft becomes generating and its job runs once the caller commits.

    Refuses (naming the field) what ``confirmation`` refuses for ``user``; only a draft is generated.
    """
    _ready(campaign, user)
    now = now or utcnow()
    campaign.status, campaign.cursor, campaign.processed, campaign.created_count = "generating", 0, 0, 0
    campaign.total, campaign.skipped = recipient_count(campaign), {}
    campaign.generation_started_at = campaign.progress_at = now
    db.session.flush()
    enqueue_after_commit(
        campaign_generation.GENERATE_JOB, campaign.id, job_id=campaign_generation.job_id(campaign), job_timeout=3600
    )


def cancel(campaign, now=None):
    """Cancel a campaign and every message of it not sent yet; returns how many messages were canceled.

    A generation under way stops at its next chunk. Refused once completed or
    canceled, or when every message has already gone.
    """
    if campaign.status in ("completed", "canceled"):
        raise CampaignError("status", f"This campaign is {campaign.label.lower()}: there is nothing to cancel.")
    waiting = db.select(Message.id).where(Message.campaign_id == campaign.id, Message.status.in_(("queued", "held")))
    if campaign.status == "sending" and db.session.scalar(waiting.limit(1)) is None:
        raise CampaignError("status", "Every message of this campaign has been sent: there is nothing left to cancel.")
    campaign.status, campaign.canceled_at = "canceled", now or utcnow()
    db.session.flush()  # the campaign row first: a generation chunk in flight waits for it, then stops
    return len(
        outbound.bulk_transition(
            list(db.session.scalars(waiting)), "canceled", "user", note=CANCELED_NOTE, reject_reason=CANCELED_NOTE
        )
    )


def _ready(campaign, user):
    if campaign.status != "draft":
        raise CampaignError("status", f"Only a draft can be generated; this campaign is {campaign.label.lower()}.")
    if campaign.template is None:
        raise CampaignError("template", "Choose a template: the campaign has no text.")
    refused = readiness.problem()
    if refused:
        raise CampaignError("status", f"{refused}.")
    signature = campaign.signature or messages.default_signature("bulk")
    try:
        rendering.signature_text(signature, blank=False) if signature else None
    except rendering.EmptyValue as error:
        raise CampaignError("signature", messages.empty_error(error, campaign.module)) from None
    _check_sender(campaign.sender, user)
    try:
        rendering.check(text_of(campaign), campaign.module)
    except rendering.RenderError as error:
        raise CampaignError("template", str(error)) from None
    if not recipient_count(campaign):
        raise CampaignError("recipients", f"Add {campaign.module} first: the campaign has no recipients.")


def _check_sender(sender, user):
    if sender is None or not sender.active or not sender.sms:
        raise CampaignError("sender", "Choose the number the messages are sent from.")
    if not senders.may_send_from(user, sender):
        raise CampaignError(
            "sender",
            f"{sender.e164} is another user's own line: a campaign sends from one of "
            "the account's shared numbers (or your own line).",
        )


def _editable(campaign):
    if campaign is not None and not campaign.editable:
        raise CampaignError("status", f"Only a draft can be changed; this campaign is {campaign.label.lower()}.")


# Lists --------------------------------------------------------------------------------------------------------


def for_record(owner):
    """The campaigns a contact or account was a recipient of, newest first, each with its message to it (or None)
    and why the generation skipped it (or None)."""
    column = CampaignRecipient.contact_id if owner.kind == "contacts" else CampaignRecipient.account_id
    message_column = Message.contact_id if owner.kind == "contacts" else Message.account_id
    found = db.session.execute(
        db.select(Campaign, CampaignRecipient.skip_reason, CampaignRecipient.skip_note)
        .join(CampaignRecipient, CampaignRecipient.campaign_id == Campaign.id)
        .where(column == owner.id)
        .order_by(Campaign.send_at.desc())
    ).all()
    rows = [campaign for campaign, _, _ in found]
    sent = (
        {
            m.campaign_id: m
            for m in db.session.scalars(
                db.select(Message).where(message_column == owner.id, Message.campaign_id.in_([c.id for c in rows]))
            )
        }
        if rows
        else {}
    )
    return [
        (campaign, sent.get(campaign.id), skip_text(reason, note) if reason else None)
        for campaign, reason, note in found
    ]


def campaign_choices():
    """(id, name) of every campaign that made messages, for the sent messages filter."""
    return db.session.execute(
        db.select(Campaign.id, Campaign.name).where(Campaign.created_count > 0).order_by(Campaign.created_at.desc())
    ).all()


def templates_for(module):
    """The templates a campaign for ``module`` may use (mass messages' locked texts are sent as mass messages)."""
    return db.session.scalars(
        db.select(Template).where(Template.module == module, db.not_(Template.locked)).order_by(Template.name)
    ).all()
