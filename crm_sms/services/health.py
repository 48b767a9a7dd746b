"""Health: can this process reach the database and Redis, and is the work keeping up.

Cheap by design (a load balancer asks every few seconds): one query to
probe the database, two indexed MINs for the oldest due message, and a few
O(1) Redis reads. Errors are named, never detailed: the answer is public.
"""

import logging
import time

from rq import Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from ..models import db, utcnow
from ..queue import queue
from . import dispatch, sweep

log = logging.getLogger(__name__)


def check():
    """A report of the database, Redis and the queue; ``status`` is "unavailable" when the database or Redis is down.

    ``oldest_due_seconds``: how long the message that has waited longest for a worker has been due (None when
    nothing waits); it grows when workers are missing or cannot keep up.
    """
    report = {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "oldest_due_seconds": None,
        "queue": None,
        "last_sweep_seconds": None,
    }
    try:
        oldest = dispatch.oldest_due()
        if oldest is not None:
            report["oldest_due_seconds"] = round(max(0.0, (utcnow() - oldest).total_seconds()), 1)
    except Exception:
        db.session.rollback()
        log.warning("health: the database is unavailable", exc_info=True)
        report["database"] = "error"
    try:
        jobs = queue()
        report["queue"] = {
            "name": jobs.name,
            "queued": jobs.count,
            "scheduled": ScheduledJobRegistry(queue=jobs).get_job_count(cleanup=False),
            "failed": FailedJobRegistry(queue=jobs).get_job_count(cleanup=False),
            "workers": Worker.count(queue=jobs),
        }
        last = sweep.last_run()
        report["last_sweep_seconds"] = round(time.time() - last, 1) if last is not None else None
    except Exception:
        log.warning("health: Redis is unavailable", exc_info=True)
        report["redis"] = "error"
    if "error" in (report["database"], report["redis"]):
        report["status"] = "unavailable"
    return report
