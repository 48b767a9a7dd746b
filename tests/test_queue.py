from crm_sms import worker
from crm_sms.models import Setting, db
from crm_sms.queue import deferred, enqueue, enqueue_after_commit, queue, redis


def test_a_job_is_enqueued_only_when_the_transaction_commits(app):
    enqueue_after_commit("crm_sms.jobs.sweep.sweep")
    assert queue().count == 0
    db.session.commit()
    assert queue().job_ids and queue().fetch_job(queue().job_ids[0]).func_name == "crm_sms.jobs.sweep.sweep"


def test_a_rolled_back_transaction_enqueues_nothing(app):
    enqueue_after_commit("crm_sms.jobs.sweep.sweep")
    db.session.rollback()
    db.session.commit()
    assert queue().count == 0


def test_the_sweep_is_enqueued_once_per_interval_whoever_ticks(app):
    assert worker.tick(30) is True
    assert worker.tick(30) is False  # another worker, same interval
    assert queue().count == 1


def test_the_sweep_is_enqueued_again_at_once_after_redis_is_emptied(app):
    worker.tick(30)
    redis().flushdb()
    assert worker.tick(30) is True
    assert queue().count == 1


def enqueue_a_twin():
    """A job that, while it runs, has a job enqueued under its own id (as the sweep or a sent message does)."""
    enqueue("tests.test_queue.count_a_run", job_id="crm_sms-test-twin")
    count_a_run()


def count_a_run():
    redis().incr("crm_sms-test-runs")


def test_a_job_enqueued_under_the_id_of_a_running_one_runs_too_and_neither_fails(app):
    from rq import SimpleWorker

    redis().delete("crm_sms-test-runs")
    enqueue("tests.test_queue.enqueue_a_twin", job_id="crm_sms-test-twin")
    SimpleWorker([queue()], connection=redis()).work(burst=True)
    assert int(redis().get("crm_sms-test-runs")) == 2
    assert queue().failed_job_registry.count == 0


def test_a_job_enqueued_again_while_it_waits_is_queued_once(app):
    for _ in range(3):
        enqueue("tests.test_queue.count_a_run", job_id="crm_sms-test-once")
    assert queue().job_ids == ["crm_sms-test-once"]


def test_a_job_that_redis_cannot_take_after_the_commit_leaves_the_commit_standing_and_is_noted(redis_server, make_app):
    app = make_app(CRM_SMS_REDIS_URL=redis_server.url)
    with app.app_context(), redis_server.stopped():
        setting = Setting(key="probe", value="1")
        db.session.add(setting)
        enqueue_after_commit("crm_sms.jobs.sweep.sweep")
        enqueue_after_commit("crm_sms.jobs.dispatch.dispatch")
        assert deferred() is False
        db.session.commit()  # no error: the row is there, the jobs are left to the sweep
        assert deferred() is True
        assert db.session.get(Setting, "probe") is not None
    with app.app_context():
        assert deferred() is False  # told per request or job
        assert queue().count == 0
