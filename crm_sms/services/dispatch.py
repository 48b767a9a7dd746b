"""Dispatch: claim due messages, check them again, send them within the rate limits, record the answers.

A worker claims a batch with one atomic UPDATE, so two workers never hold
one message. Each message is marked ``attempted_at`` (and committed) just
before the provider is called, so after a crash the sweep can tell a message
that was never handed over (queued again) from one that may have been
(``unknown``: never resent blindly).
"""

import logging
import random
import time
from datetime import timedelta

from flask import current_app
from redis import RedisError
from rq import Worker
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import logs, signals
from ..config import config_value
from ..extension import state
from ..host import host
from ..models import Message, Record, SenderNumber, db, utcnow
from ..providers import OutboundSms
from ..queue import queue, redis
from . import (
    consent,
    holds,
    messages,
    notices,
    outbound,
    quiet_hours,
    rate_limit,
    readiness,
    receipts,
    records,
    rendering,
    segments,
    settings,
)
from .sweep import sweeper

log = logging.getLogger(__name__)

#: Held messages that go again by themselves once their send_at comes.
RETRYABLE_HOLDS = ("quiet_hours", "insufficient_funds")
CREDIT_PAUSE_KEY = "crm_sms:paused:insufficient_funds"
CREDIT_PAUSE_SECONDS = 600
#: The messages that wait for a worker once their send_at comes.
_WAITING = (Message.status == "queued", db.and_(Message.status == "held", Message.hold_reason.in_(RETRYABLE_HOLDS)))


def _due(now):
    return db.and_(Message.send_at <= now, db.or_(*_WAITING))


def oldest_due(now=None):
    """The send time of the message that has waited longest for a worker (due, not claimed), or None.

    One indexed MIN per kind of waiting message, so it stays cheap with a long backlog.
    """
    now = now or utcnow()
    times = [
        db.session.scalar(db.select(db.func.min(Message.send_at)).where(waiting, Message.send_at <= now))
        for waiting in _WAITING
    ]
    return min((at for at in times if at is not None), default=None)


def claim(limit, now=None):
    """Claim up to ``limit`` due messages for this worker: they become ``sending``. Returns them.

    Those that may no longer go (opted out since they were queued) are canceled in the same transaction,
    so the consent checked is the one at the moment of the claim; ``deliver`` checks again before sending.
    """
    now = now or utcnow()
    if redis().exists(CREDIT_PAUSE_KEY):
        return []
    due = db.select(Message.id).where(_due(now)).order_by(Message.send_at, Message.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = outbound.bulk_transition(
        list(db.session.scalars(due)),
        "sending",
        "worker",
        where=_due(now),
        hold_reason=None,
        attempted_at=None,
    )
    batch = db.session.scalars(
        db.select(Message)
        .where(Message.id.in_(ids))
        .order_by(Message.send_at, Message.id)
        .options(
            joinedload(Message.contact).joinedload(Record.account),
            joinedload(Message.account),
            selectinload(Message.signature),
        )
        .execution_options(populate_existing=True)
    ).all()
    refused = consent.blocked(batch)
    for message in batch:
        if message.id in refused:
            outbound.transition(
                message, "canceled", "worker", note=refused[message.id], reject_reason=refused[message.id]
            )
    return [message for message in batch if message.id not in refused]


def deliver(batch):
    """Send a claimed batch; the caller commits at each yield (before each provider call, and at the end).

    The caller's session must not expire objects on commit (the batch is this worker's alone).
    """
    if not batch:
        return
    provider = state.provider
    config = settings.get_all()
    blocked = consent.blocked(batch)
    texted_before = _numbers_texted_before({m.phone_e164 for m in batch})
    rules = quiet_hours.Rules.from_settings(config)
    rps = config_value("PROVIDER_RPS")
    # The last line of ``readiness``: a setting blanked since a message was queued fails it, saying which.
    refused = readiness.problem(config)
    try:
        disclaimer = config["consent_policy"] == "disclaimer"
        first_note = notices.text("disclaimer_text", blank=False) if disclaimer else config["opt_out_text"]
    except rendering.EmptyValue as error:
        first_note, refused = None, refused or f"The disclaimer quotes {error.placeholder}, which is empty"
    sender_rates = _sender_rates({m.sender_e164 for m in batch})
    # The host records whose values the texts fill in, loaded at once (kept referenced: the session holds them
    # weakly, and each message's rendering finds its own there without a query).
    loaded = _host_records(batch)  # noqa: F841 (held, not read)
    balance, out_of_credit = None, False  # other workers learn it from the pause key when they claim
    for position, message in enumerate(batch):
        now = utcnow()
        if message.id in blocked:
            outbound.transition(
                message, "canceled", "worker", note=blocked[message.id], reject_reason=blocked[message.id]
            )
            continue
        if refused:
            outbound.transition(message, "failed", "worker", note=refused, reject_reason=refused)
            continue
        if holds.hold(message, now, rules, config["quiet_hours_manual_bypass"]):
            continue
        if out_of_credit:
            _hold_for_credit(message, now)
            continue
        note = None if message.phone_e164 in texted_before else first_note
        if message.kind == "automatic":
            text = message.body  # a notice says exactly what the admin wrote
        else:
            people = message.contact, message.account
            try:
                text = rendering.final_text(message.body, *people, message.signature, note, blank=False)
            except rendering.EmptyValue as error:  # the record's field was emptied since the message was queued
                reason = messages.empty_error(error, "contacts" if message.contact else "accounts")
                outbound.transition(message, "failed", "worker", note=reason, reject_reason=reason)
                continue
        texted_before.add(message.phone_e164)
        count = segments.count(text)  # a filled-in name can turn GSM-7 into Unicode
        _mark(message, rendered_body=text, encoding=count.encoding, segments=count.segments, attempted_at=now)
        # One commit per message: what happened to the ones before, and this one's mark. From here
        # on a crash leaves it "unknown", never resent; the unmarked rest go back to the queue.
        yield message
        try:
            wait = rate_limit.reserve(
                ("provider", rps), (f"sender:{message.sender_e164}", sender_rates.get(message.sender_e164, rps))
            )
        except RedisError:  # no pace without Redis: give this one (marked, not sent) and the rest back
            log.warning("Redis is unavailable: the batch's unsent messages are queued again", exc_info=True)
            _give_back(batch[position:])
            yield None
            raise
        if wait > 0:
            time.sleep(wait)
        started = time.monotonic()
        result = provider.send(
            OutboundSms(
                to=message.phone_e164,
                sender=message.sender_e164,
                text=message.rendered_body,
                client_ref=message.client_ref,
                unicode=message.encoding == "UCS-2",
            )
        )
        balance = result.balance if result.balance is not None else balance
        _record(message, result)
        log.info(
            "send message %s: %s",
            message.id,
            result.outcome,
            extra={
                "event": "send",
                "message_id": message.id,
                "provider_id": result.provider_id,
                "outcome": result.outcome,
                "status": message.status,
                "code": result.code,
                "reason": result.reason,
                "sender": message.sender_e164,
                "recipient": logs.mask(message.phone_e164),
                "duration_ms": logs.since(started),
            },
        )
        out_of_credit = out_of_credit or result.outcome == "out_of_credit"
    if balance is not None:
        settings.put("provider_balance", str(balance))
    sent = [m for m in batch if m.status == "sent"]
    texted = {m.contact.host_id for m in sent if m.contact is not None}
    if texted:  # the host hears which contacts were texted (the built-in CRM's call campaigns, seed 003)
        host.texted("contacts", sorted(texted))
    receipts.apply_waiting(sent)
    for message in sent:
        signals.message_sent.send(current_app._get_current_object(), message=message)
    yield None


def _host_records(batch):
    """The host records of the batch's non-automatic messages that use record variables, one query per kind."""
    wanted = {"contacts": set(), "accounts": set()}
    for m in batch:
        if m.kind != "automatic" and "{{" in (m.body or ""):
            for record in (m.contact, m.contact.account if m.contact else None, m.account):
                if record is not None:
                    wanted[record.kind].add(record)
    return [records.host_records(kind, found) for kind, found in wanted.items() if found]


def _give_back(unsent):
    ids = [message.id for message in unsent if message.status == "sending"]
    outbound.bulk_transition(
        ids,
        "queued",
        "worker",
        where=Message.status == "sending",
        attempted_at=None,
        note="job queue unavailable; not sent",
    )


def _mark(message, **fields):
    """Write the last fields before the send with one plain UPDATE (the hot path skips the ORM's flush)."""
    db.session.execute(
        db.update(Message).where(Message.id == message.id).values(**fields),
        execution_options={"synchronize_session": False},
    )
    for name, value in fields.items():
        set_committed_value(message, name, value)


def _record(message, result):
    raw = {"answer": result.raw} if result.raw else None
    if result.outcome == "accepted":
        message.provider_id, message.price, message.sent_at = result.provider_id, result.price, utcnow()
        outbound.transition(message, "sent", "provider", code=result.code, payload=raw)
    elif result.outcome == "failed":
        outbound.transition(
            message,
            "failed",
            "provider",
            code=result.code,
            note=result.reason,
            payload=raw,
            reject_reason=result.reason,
        )
    elif result.outcome == "unknown":
        outbound.transition(message, "unknown", "provider", code=result.code, note=result.reason, payload=raw)
    elif result.outcome == "out_of_credit":
        redis().set(CREDIT_PAUSE_KEY, 1, ex=CREDIT_PAUSE_SECONDS)
        _hold_for_credit(message, utcnow(), code=result.code, payload=raw)
    else:  # a transient fault: try again later, never fail the message for it
        delay = min(300, 2 ** min(message.attempts, 8)) * random.uniform(0.8, 1.2)
        at = utcnow() + timedelta(seconds=delay)
        outbound.transition(
            message,
            "queued",
            "provider",
            code=result.code,
            note=f"will retry: {result.reason}",
            payload=raw,
            attempts=message.attempts + 1,
            attempted_at=None,
            send_at=at,
        )
        outbound.schedule_dispatch(at)


def _hold_for_credit(message, now, code=None, payload=None):
    at = now + timedelta(seconds=CREDIT_PAUSE_SECONDS)
    outbound.transition(
        message,
        "held",
        "provider",
        code=code,
        note="insufficient funds",
        payload=payload,
        hold_reason="insufficient_funds",
        attempted_at=None,
        send_at=at,
    )
    outbound.schedule_dispatch(at, now)


def _numbers_texted_before(numbers):
    return set(
        db.session.scalars(
            db.select(Message.phone_e164)
            .distinct()
            .where(Message.phone_e164.in_(numbers), Message.direction == "outbound", Message.sent_at.is_not(None))
        )
    )


def _sender_rates(numbers):
    return dict(
        db.session.execute(db.select(SenderNumber.e164, SenderNumber.mps).where(SenderNumber.e164.in_(numbers))).all()
    )


@sweeper
def enqueue_due():
    """Dispatch again whatever is due (after a Redis flush, or a worker that died)."""
    if db.session.scalar(db.select(Message.id).where(_due(utcnow())).limit(1)) is None:
        return 0
    outbound.enqueue_dispatch("crm_sms-dispatch")
    return 1


def senders_allowed():
    """How many dispatch jobs may send at once: ``CRM_SMS_DISPATCH_JOBS``, leaving one worker to the other
    jobs (receipts, releases, the sweep) so that a campaign never starves them; one at least."""
    return max(1, min(config_value("DISPATCH_JOBS"), Worker.count(queue=queue()) - 1))


#: The dispatch jobs sending now, each with the time its place lapses (a killed job's lapses by itself).
SENDERS_KEY = "crm_sms:dispatch:senders"
_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
    return 1
end
return 0
"""


def join(name, seconds):
    """Count the dispatch job ``name`` among those sending for ``seconds`` more, if fewer than allowed are
    (or it is one already). True if it is.

    Without the cap, each wake-up (a message queued, the sweep) while a campaign sends would hold one
    more worker, until none was left for receipts, releases and the sweep.
    """
    now = time.time()
    return bool(redis().eval(_JOIN, 1, SENDERS_KEY, now, now + seconds, name, senders_allowed()))


def leave(name):
    redis().zrem(SENDERS_KEY, name)


def spread():
    """Enqueue more dispatch jobs, up to ``senders_allowed`` in all, those not already waiting or running.

    One job sends one message at a time, so its pace is the provider's answer time; several send in
    parallel, within the same shared rate limits, and claims keep them from ever holding one message twice.
    """
    waiting = {"queued", "started", "scheduled", "deferred"}
    for slot in range(1, senders_allowed()):
        job = queue().fetch_job(f"crm_sms-dispatch-helper-{slot}")
        if job is None or job.get_status(refresh=False) not in waiting:
            outbound.enqueue_dispatch(f"crm_sms-dispatch-helper-{slot}")


@sweeper
def settle_stale():
    """Messages a dead worker left in ``sending``: unknown if handed over, else queued again."""
    cutoff = utcnow() - timedelta(seconds=config_value("STALE_SENDING_SECONDS"))
    stale = db.and_(Message.status == "sending", Message.status_changed_at < cutoff)
    ids = list(db.session.scalars(db.select(Message.id).where(stale)))
    unknown = outbound.bulk_transition(
        ids,
        "unknown",
        "sweep",
        where=Message.attempted_at.is_not(None),
        note="worker stopped while sending; not resent",
    )
    requeued = outbound.bulk_transition(
        [i for i in ids if i not in set(unknown)],
        "queued",
        "sweep",
        where=Message.attempted_at.is_(None),
        note="worker stopped before sending",
    )
    # A receipt that came while it was sending settles it now (it was waiting for the send to be recorded).
    receipts.apply_waiting(db.session.scalars(db.select(Message).where(Message.id.in_(unknown))).all())
    return len(unknown) + len(requeued)
