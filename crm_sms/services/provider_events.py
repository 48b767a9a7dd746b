"""What the SMS provider tells us: delivery receipts and inbound messages.

The webhooks and the simulator both end here, so a simulated report takes the
same path as a real one.
"""

import uuid
from datetime import timedelta

from flask import current_app

from .. import signals
from ..extension import state
from ..models import InboundPart, Message, MessageEvent, ProviderReceipt, SimulatedReport, db, utcnow
from ..queue import enqueue_after_commit
from . import consent, conversations, inbound, receipts, replies
from .sweep import sweeper

SIMULATED_JOB = "crm_sms.jobs.provider_events.simulated"
SIMULATED_DUE_JOB = "crm_sms.jobs.provider_events.simulated_due"


def _limits(**columns):
    """{field: most characters}: the shortest of the columns each field is stored in."""
    return {name: min(column.type.length for column in stored) for name, stored in columns.items()}


#: How long each field of a receipt or an inbound message may be: what the columns that keep it hold.
RECEIPT_LIMITS = _limits(
    provider_id=(ProviderReceipt.provider_id, Message.provider_id),
    client_ref=(ProviderReceipt.client_ref, Message.client_ref),
    code=(ProviderReceipt.code, MessageEvent.code),
)
INBOUND_LIMITS = _limits(
    provider_id=(Message.provider_id, InboundPart.provider_id),
    sender=(Message.phone_e164, InboundPart.sender),
    to=(Message.sender_e164,),
    concat_ref=(InboundPart.concat_ref,),
)


def provider():
    return state.provider


def receive_receipt(params):
    """Read a delivery receipt (WebhookError if malformed or too long to store), apply it once, and announce it."""
    receipt = provider().parse_receipt(params, RECEIPT_LIMITS)
    message = receipts.record(receipt)
    signals.receipt_received.send(current_app._get_current_object(), receipt=receipt, message=message)
    return receipt


def receive_inbound(params):
    """Read an inbound message (WebhookError if malformed or too long to store), store it once, act on a keyword,
    and announce it."""
    parsed = provider().parse_inbound(params, INBOUND_LIMITS)
    message = inbound.record(parsed)
    if message is not None:
        keyword = replies.handle_reply(message)
        held = keyword is None and consent.hold_inbound(message)
        if not held:  # a message hidden until its sender consents is not announced either
            conversations.note_inbound(message, keyword)
            signals.message_received.send(current_app._get_current_object(), inbound=parsed, message=message)
    return message


# The simulator's reports ---------------------------------------------------------------------------------------


def schedule_simulated(delay, kind, params, now=None):
    """Owe a simulator report (``receipt`` or ``inbound``) ``delay`` seconds from now.

    Stored with the send's own commit, then a job is scheduled for it; if that job is lost (its worker
    killed, Redis emptied, RQ's scheduler gone) the sweep delivers the report once it is due.
    """
    report = SimulatedReport(
        id=uuid.uuid4().hex, kind=kind, params=params, due_at=(now or utcnow()) + timedelta(seconds=delay)
    )
    db.session.add(report)  # written with the send's commit: no write lock before it (one writer on SQLite)
    enqueue_after_commit(SIMULATED_JOB, report.id, delay=delay, job_id=f"crm_sms-simulated-{report.id}")
    return report


def deliver_simulated(report_ids):
    """Deliver these reports as the webhooks would, each at most once (taken by deleting its row); returns how many.

    A report whose row is gone was delivered already (by its job or by the sweep).
    """
    delivered = 0
    for report in db.session.scalars(db.select(SimulatedReport).where(SimulatedReport.id.in_(report_ids))).all():
        taken = db.session.execute(
            db.delete(SimulatedReport).where(SimulatedReport.id == report.id),
            execution_options={"synchronize_session": False},
        )
        if taken.rowcount:
            (receive_receipt if report.kind == "receipt" else receive_inbound)(report.params)
            delivered += 1
    return delivered


def due_simulated(limit, now=None):
    """Ids of up to ``limit`` simulator reports whose time has come, the oldest first."""
    return list(
        db.session.scalars(
            db.select(SimulatedReport.id)
            .where(SimulatedReport.due_at <= (now or utcnow()))
            .order_by(SimulatedReport.due_at, SimulatedReport.id)
            .limit(limit)
        )
    )


@sweeper
def enqueue_due_simulated():
    """Deliver the simulator's overdue reports (their delayed jobs lost with a worker, Redis or RQ's scheduler)."""
    if not due_simulated(1):
        return 0
    enqueue_after_commit(SIMULATED_DUE_JOB, job_id="crm_sms-simulated-due")
    return 1
