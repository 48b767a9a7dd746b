"""Moving messages through their statuses, and waking the dispatcher: a leaf that imports no other service.

Every change of status goes through ``transition`` (or ``bulk_transition``)
and leaves an event; a message in a final status never changes again.
"""

from ..models import Message, MessageEvent, db, utcnow
from ..models.message import FINAL
from ..queue import enqueue, enqueue_after_commit

DISPATCH_JOB = "crm_sms.jobs.dispatch.dispatch"


def enqueue_dispatch(job_id=None, delay=None, after_commit=False):
    """Enqueue a dispatch job, at the front of the queue: dispatch jobs are few (one per dispatching worker),
    and a campaign's receipts waiting must not hold its sending up."""
    (enqueue_after_commit if after_commit else enqueue)(DISPATCH_JOB, job_id=job_id, delay=delay, at_front=True)


def schedule_dispatch(at, now=None):
    """Make sure a dispatch runs at ``at`` (after the current transaction commits)."""
    delay = (at - (now or utcnow())).total_seconds()
    if delay <= 0:
        enqueue_dispatch("crm_sms-dispatch", after_commit=True)
    else:
        # Not "now" for a message due in under a second (a retry): that job would find nothing due and end.
        # RQ keeps scheduled times in whole seconds (a job may run up to one early): a second more makes it
        # late rather than early.
        enqueue_dispatch(f"crm_sms-dispatch-{int(at.timestamp())}", delay + 1, after_commit=True)


def transition(message, status, source, actor=None, code=None, note=None, payload=None, **fields):
    """Move a message to ``status`` with an event; a final message only gains an event. True if it moved."""
    if message.status in FINAL:
        record_event(message, status, source, actor, code, f"ignored: already {message.status}", payload)
        return False
    for name, value in fields.items():
        setattr(message, name, value)
    message.status = status
    message.status_changed_at = utcnow()
    record_event(message, status, source, actor, code, note, payload)
    return True


def bulk_transition(ids, status, source, note=None, where=None, **fields):
    """Move many messages at once with one UPDATE and one multi-row INSERT of events; returns the ids moved."""
    if not ids:
        return []
    now = utcnow()
    stmt = (
        db.update(Message)
        .where(Message.id.in_(ids), Message.status.not_in(FINAL))
        .values(status=status, status_changed_at=now, **fields)
        .returning(Message.id)
    )
    if where is not None:
        stmt = stmt.where(where)
    moved = list(db.session.scalars(stmt, execution_options={"synchronize_session": False}))
    if moved:
        db.session.execute(
            db.insert(MessageEvent),
            [{"message_id": id, "status": status, "at": now, "source": source, "note": note} for id in moved],
        )
    return moved


def record_event(message, status, source, actor=None, code=None, note=None, payload=None):
    db.session.add(
        MessageEvent(
            message=message,
            status=status,
            source=source,
            actor=actor,
            code=code,
            note=note,
            payload=payload,
            at=utcnow(),
        )
    )
