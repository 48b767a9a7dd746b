from crm_sms import worker
from crm_sms.models import db
from crm_sms.queue import enqueue_after_commit, queue, redis


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
