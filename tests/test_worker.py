import time

from crm_sms import worker
from crm_sms.queue import enqueue
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


def test_a_fresh_worker_sends_what_redis_lost_through_its_periodic_sweep(app, start_worker, make_contact, make_sender,
                                                                        make_user, opt_in):
    from crm_sms.models import Message, db
    from crm_sms.queue import redis
    from crm_sms.services import messages

    contact = opt_in(make_contact())
    message = messages.compose(contact, contact.phone_numbers[0], make_sender(), "Hi", make_user("agent", "agent"))
    db.session.commit()
    redis().flushdb()  # the dispatch job is gone; the database still says "queued"
    start_worker(CRM_SMS_SWEEP_INTERVAL=5, CRM_SMS_SIMULATOR_DELAY=0)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(Message, message.id).status == "delivered":
            break
        time.sleep(0.3)
    assert db.session.get(Message, message.id).status == "delivered"
