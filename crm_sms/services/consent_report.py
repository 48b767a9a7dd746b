"""The opt-in report (seed 001): the records whose consent changed in a range, counted by where it left them.

Read from the audit ``services.consent_log`` keeps, over the ranges of days its ``day_start`` and ``day_end`` parse.
"""

from ..host import host
from ..models import ConsentEvent, Record, db
from ..models.consent import STATE_LABELS, STATES, TYPES
from .consent_log import SOURCE_LABELS, in_range

OWNER_KINDS = {"contacts": ConsentEvent.contact_id, "accounts": ConsentEvent.account_id}
NOT_GIVEN = "none"  # the type of a change that names none (an opt-out by staff)


def report(kind="contacts", since=None, until=None):
    """Counts of the records whose consent changed in the range, by where their last change in it left them:
    state, consent type and source. Without ``since``, also the records never asked before ``until``."""
    last = _last_events(kind, since, until)

    def counts(column):
        return dict(
            db.session.execute(
                db.select(column, db.func.count()).where(ConsentEvent.id.in_(last)).group_by(column)
            ).all()
        )

    states = counts(ConsentEvent.new_state)
    types = counts(ConsentEvent.consent_type)
    sources = counts(ConsentEvent.source)
    never = None
    if since is None:  # "never asked" is no change, so it has no place in a range of changes
        never = db.session.scalar(db.select(db.func.count()).select_from(never_asked_rows(kind, until).subquery()))
    return dict(
        states=[(s, STATE_LABELS[s], states.get(s, 0)) for s in STATES if s != "never_asked"],
        types=[(t, t, types.get(t, 0)) for t in TYPES] + [(NOT_GIVEN, "None given", types.get(None, 0))],
        sources=[(s, label, sources.get(s, 0)) for s, label in SOURCE_LABELS.items()],
        never_asked=never,
        total=sum(states.values()),
    )


def report_rows(kind="contacts", since=None, until=None, state=None, consent_type=None, source=None):
    """The last change in the range of each record behind one count of ``report`` (a select of ConsentEvent)."""
    stmt = db.select(ConsentEvent).where(ConsentEvent.id.in_(_last_events(kind, since, until)))
    if state:
        stmt = stmt.where(ConsentEvent.new_state == state)
    if consent_type:
        stmt = stmt.where(
            ConsentEvent.consent_type.is_(None)
            if consent_type == NOT_GIVEN
            else ConsentEvent.consent_type == consent_type
        )
    if source:
        stmt = stmt.where(ConsentEvent.source == source)
    return stmt.order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())


def owners_of(events):
    """{event id: the contact or account ``Record`` it is about} for a page of events, in one query."""
    events = list(events)
    ids = {e.contact_id or e.account_id for e in events} - {None}
    found = {r.id: r for r in db.session.scalars(db.select(Record).where(Record.id.in_(ids)))} if ids else {}
    return {e.id: found.get(e.contact_id or e.account_id) for e in events}


def _last_events(kind, since, until):
    column = OWNER_KINDS[kind]
    rank = db.func.row_number().over(partition_by=column, order_by=(ConsentEvent.at.desc(), ConsentEvent.id.desc()))
    # An opt-out of one sender leaves the record's state as it was: it is no change of state to count.
    changes = db.select(ConsentEvent.id, rank.label("rank")).where(
        column.is_not(None), ConsentEvent.sender_e164.is_(None)
    )
    ranked = in_range(changes, since, until)
    ranked = ranked.subquery()
    return db.select(ranked.c.id).where(ranked.c.rank == 1)


def never_asked_rows(kind="contacts", until=None):
    """The host's records (a select of its model) with no consent change before ``until`` (those crm_sms never
    linked included); ``until`` also leaves out records created after it when the model has ``created_at``."""
    model, column = host.model(kind), OWNER_KINDS[kind]
    changed = in_range(
        db.select(Record.host_id).join(ConsentEvent, column == Record.id).where(Record.kind == kind), None, until
    )
    stmt = db.select(model).where(db.cast(host.primary_key(kind), db.String).not_in(changed))
    created_at = getattr(model, "created_at", None)
    if until is not None and created_at is not None:
        stmt = stmt.where(created_at < until)
    return stmt.order_by(host.primary_key(kind))
