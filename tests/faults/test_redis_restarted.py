"""Redis restarted (killed, back empty) while two workers send: they come back, count again, and send the rest once."""

import collections
import time

import pytest

from tests.conftest import wait_until, worker_output

from .conftest import dispatch, settled, statuses

MESSAGES = 200


@pytest.fixture
def app(redis_server, make_app, vonage_config):  # Redis outlives the app: its teardown empties it
    app = make_app(CRM_SMS_REDIS_URL=redis_server.url, **vonage_config)
    with app.app_context():
        yield app


def _workers_counted(app):
    answer = app.test_client().get("/sms/health").json
    return answer["redis"] == "ok" and answer["queue"]["workers"]


def test_after_redis_restarts_under_two_sending_workers_they_count_again_and_send_every_message_once(
        app, redis_server, queued, vonage_fake, vonage_worker):
    refs = queued(MESSAGES)
    vonage_fake.balance = 10 ** 9
    settings = {"CRM_SMS_REDIS_URL": redis_server.url, "CRM_SMS_PROVIDER_RPS": 25, "CRM_SMS_DISPATCH_BATCH": 10}
    workers = [vonage_worker(**settings) for _ in range(2)]
    assert wait_until(lambda: _workers_counted(app) == 2, 60, every=0.2), [worker_output(w) for w in workers]
    dispatch(jobs=2)
    assert wait_until(lambda: len(vonage_fake.accepted) >= MESSAGES // 4, 60, every=0.05)

    redis_server.stop()  # every job, lock, counter and worker record gone with it
    at_stop = len(vonage_fake.accepted)
    redis_server.start()
    back = time.monotonic()

    assert wait_until(lambda: _workers_counted(app) == 2, 60, every=0.2), [worker_output(w) for w in workers]
    counted_after = time.monotonic() - back
    assert wait_until(settled, 120, every=0.2), collections.Counter(statuses().values())
    sent_after = time.monotonic() - back
    assert all(w.poll() is None for w in workers)  # neither quit on the lost connection

    taken = vonage_fake.accepted_refs()
    lost = len(set(refs.values()) - set(taken))
    twice = sum(n - 1 for n in taken.values())
    print(f"\nRedis restarted after {at_stop} of {MESSAGES} sends: both workers counted again {counted_after:.1f} s "
          f"after it was back, the rest sent {sent_after:.1f} s after; lost {lost}, sent twice {twice}")
    assert collections.Counter(statuses().values()) == {"sent": MESSAGES}
    assert taken == collections.Counter(refs.values())  # each exactly once
    assert lost == 0 and twice == 0
