import time

from crm_sms import worker
from crm_sms.queue import enqueue, queue, redis
from crm_sms.services import sweep


def test_the_sweep_runs_every_registered_sweeper_in_an_app_context(app, monkeypatch):
    calls = []
    monkeypatch.setattr(sweep, "_sweepers", [lambda: calls.append("ran") or 3])
    enqueue("crm_sms.jobs.sweep.sweep")
    worker.run(app, burst=True, simple=True, with_scheduler=False)
    assert calls == ["ran"]
    assert sweep.last_run() is not None


def test_a_worker_process_runs_the_periodic_sweep_by_itself(app, start_worker):
    process = start_worker(CRM_SMS_SWEEP_INTERVAL=5)
    deadline = time.monotonic() + 30
    while sweep.last_run() is None and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert sweep.last_run() is not None


def test_a_worker_counts_again_at_its_next_heartbeat_after_redis_forgot_it(app):
    from rq import SimpleWorker, Worker

    worker_class = type("CrmSmsWorker", (worker._AppContextMixin, SimpleWorker), {"app": app})
    running = worker_class([queue()], connection=redis())
    running.register_birth()
    assert Worker.count(queue=queue()) == 1
    redis().flushdb()  # a restarted Redis: RQ registers a worker only at its birth
    assert Worker.count(queue=queue()) == 0

    running.heartbeat()

    assert Worker.count(queue=queue()) == 1
    (found,) = Worker.all(queue=queue())
    assert found.name == running.name and redis().ttl(running.key) > 0  # whole again, and it still expires
    running.register_death()
