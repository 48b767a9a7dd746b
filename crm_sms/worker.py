"""The RQ worker: each job runs in a fresh app context; a ticker enqueues the periodic sweep."""

import importlib
import logging
import os
import pkgutil
import threading

from rq import SimpleWorker, Worker
from sqlalchemy.orm import configure_mappers

from .config import config_value
from .models import db
from .queue import enqueue, redis

log = logging.getLogger(__name__)

SWEEP_JOB = "crm_sms.jobs.sweep.sweep"
SWEEP_TICK_KEY = "crm_sms:sweep:tick"


class _AppContextMixin:
    app = None

    def perform_job(self, *args, **kwargs):
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)


def tick(interval):
    """Enqueue the sweep if no process has in the last ``interval`` seconds.

    Every worker ticks; a key in Redis makes one sweep per interval in all. If
    Redis is emptied the key goes too, so the next tick enqueues at once.
    """
    if redis().set(SWEEP_TICK_KEY, os.getpid(), nx=True, ex=interval):
        enqueue(SWEEP_JOB, job_id="crm_sms-sweep")
        return True
    return False


def _ticker(app, stop):
    interval = config_value("SWEEP_INTERVAL", app)
    while True:
        try:
            with app.app_context():
                tick(interval)
        except Exception:  # Redis away for a moment: try again next tick
            log.exception("could not enqueue the sweep")
        if stop.wait(min(5, interval)):
            return


def _warm_up():
    """Do once, before forking, what every forked job would otherwise do again: import the jobs and the
    features they use, and set up the ORM's mappers."""
    from . import jobs

    for module in pkgutil.iter_modules(jobs.__path__):
        importlib.import_module(f"{jobs.__name__}.{module.name}")
    configure_mappers()


def run(app, burst=False, simple=False, with_scheduler=True):
    """Work the crm_sms queue until stopped (or until empty with ``burst``)."""
    base = SimpleWorker if simple else Worker
    worker_class = type("CrmSmsWorker", (_AppContextMixin, base), {"app": app})
    with app.app_context():
        connection = redis()
        # A forked job must not reuse the parent's database connections.
        engines = list(db.engines.values())
        queue_name = config_value("QUEUE")
        _warm_up()
    os.register_at_fork(after_in_child=lambda: [engine.dispose(close=False) for engine in engines])
    worker = worker_class([queue_name], connection=connection)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_ticker, args=(app, stop), name="crm_sms-sweep-ticker", daemon=True).start()
    try:
        return worker.work(burst=burst, with_scheduler=with_scheduler)
    finally:
        stop.set()
