"""Redis restarted (killed, back empty) while two workers send: they come back, count again, and send the rest once."""

import collections
import time

import pytest

from crm_sms.models import MessageEvent, db
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


def _given_back():
    return db.session.scalar(db.select(db.func.count()).where(MessageEvent.note == "job queue unavailable; not sent"))


def test_after_redis_restarts_under_two_sending_workers_they_count_again_and_send_every_message_once(
    app, redis_server, queued, vonage_fake, vonage_worker
):
    refs = queued(MESSAGES)
    vonage_fake.balance = 10**9
    settings = {"CRM_SMS_REDIS_URL": redis_server.url, "CRM_SMS_PROVIDER_RPS": 25, "CRM_SMS_DISPATCH_BATCH": 10}
    workers = [vonage_worker(**settings) for _ in range(2)]
    assert wait_until(lambda: _workers_counted(app) == 2, 60, every=0.2), [worker_output(w) for w in workers]
    dispatch(jobs=2)
    assert wait_until(lambda: len(vonage_fake.accepted) >= MESSAGES // 4 + 5, 60, every=0.05)  # mid-batch, likely

    with redis_server.stopped():  # every job, lock, counter and worker record gone with it
        at_stop = len(vonage_fake.accepted)
        # Down until the sending job has noticed: it gives the messages it claimed and has not sent back to the
        # queue (or it stopped between two batches, holding none).
        assert wait_until(lambda: "sending" not in statuses().values(), 30, every=0.1), [
            worker_output(w) for w in workers
        ]
    back = time.monotonic()

    recovered = {}  # what came back, and when

    def back_to_normal():
        for name, check in (("counted", lambda: _workers_counted(app) == 2), ("sent", settled)):
            if name not in recovered and check():
                recovered[name] = time.monotonic() - back
        return len(recovered) == 2

    assert wait_until(back_to_normal, 120, every=0.2), (
        recovered,
        collections.Counter(statuses().values()),
        [worker_output(w) for w in workers],
    )
    assert all(w.poll() is None for w in workers)  # neither quit on the lost connection

    given_back = _given_back()
    taken = vonage_fake.accepted_refs()
    lost = len(set(refs.values()) - set(taken))
    twice = sum(n - 1 for n in taken.values())
    print(
        f"\nRedis restarted after {at_stop} of {MESSAGES} sends: both workers counted again "
        f"{recovered['counted']:.1f} s after it was back, the rest sent {recovered['sent']:.1f} s after "
        f"({given_back} claimed ones given back unsent); lost {lost}, sent twice {twice}"
    )
    assert collections.Counter(statuses().values()) == {"sent": MESSAGES}
    assert taken == collections.Counter(refs.values())  # each exactly once
    assert lost == 0 and twice == 0
