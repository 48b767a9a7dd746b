"""The RQ worker: each job runs in a fresh app context; a ticker enqueues the periodic sweep.

A worker outlives Redis going away: it waits for it and carries on, and registers again on its next
heartbeat (a restarted Redis has forgotten every worker). What a job lost to Redis was doing is in the
database, and the sweep finds it.
"""

import importlib
import logging
import os
import pkgutil
import threading
import time

from redis import RedisError
from rq import SimpleWorker, Worker, worker_registration
from sqlalchemy.orm import configure_mappers

from .config import config_value
from .models import db
from .queue import enqueue, redis

log = logging.getLogger(__name__)

SWEEP_JOB = "crm_sms.jobs.sweep.sweep"
SWEEP_TICK_KEY = "crm_sms:sweep:tick"


#: Seconds between a worker's maintenance rounds (RQ's default is 600): each round a worker whose scheduler is
#: not running tries to take over RQ's scheduler lock. The sweep, not this, is what bounds delayed work's delay.
MAINTENANCE_INTERVAL = 60


class _AppContextMixin:
    app = None
    #: Longest wait between tries to reach Redis again (RQ's default is 60 s).
    max_connection_wait_time = 5.0

    def perform_job(self, *args, **kwargs):
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)

    def execute_job(self, job, queue):
        # RQ quits on a Redis error while it records a job's end; the job's work is in the database.
        self._outlive_redis(super().execute_job, job, queue)

    def run_maintenance_tasks(self):
        self._outlive_redis(super().run_maintenance_tasks)

    def check_for_suspension(self, burst):
        self._outlive_redis(super().check_for_suspension, burst)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        # RQ waits for Redis around its blocking pop, not around the state it writes before.
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except RedisError:
                self._wait_for_redis()
                if self._stop_requested:
                    return None

    def heartbeat(self, timeout=None, pipeline=None):
        """RQ's heartbeat, which also puts the worker back in the registry a restarted Redis has lost
        (``Worker.count`` reads the registry; RQ registers only at birth). Without Redis, the next one will do."""
        connection = pipeline if pipeline is not None else self.connection
        try:
            connection.hset(self.key, mapping=self.serialize())  # unchanged fields, or the whole record again
            worker_registration.register(self, connection)
            super().heartbeat(timeout, pipeline)  # after: its expiry covers a record written again just now
        except RedisError:
            log.warning("heartbeat: Redis is unavailable")

    def _outlive_redis(self, call, *args):
        try:
            call(*args)
        except RedisError:
            self._wait_for_redis()

    def _wait_for_redis(self):
        log.warning("Redis is unavailable; waiting for it", exc_info=True)
        wait = 0.5
        while not self._stop_requested:
            try:
                self.connection.ping()
                return
            except RedisError:
                time.sleep(wait)
                wait = min(wait * 2, self.max_connection_wait_time)


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
    worker = worker_class([queue_name], connection=connection, maintenance_interval=MAINTENANCE_INTERVAL)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_ticker, args=(app, stop), name="crm_sms-sweep-ticker", daemon=True).start()
    try:
        return worker.work(burst=burst, with_scheduler=with_scheduler)
    finally:
        stop.set()
