"""Four worker processes claiming from one queue of 5,000 messages, on PostgreSQL."""

import collections

import pytest
from rq import Worker

from crm_sms.models import db
from crm_sms.queue import redis
from tests.conftest import wait_until

from .conftest import dispatch, settled, statuses


def test_four_workers_claiming_from_one_queue_hand_each_of_5000_messages_over_exactly_once(
    app, queued, vonage_fake, vonage_worker
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite has one writer at a time: four workers there wait on its file lock in turn, and the "
            "claim under test (SELECT … FOR UPDATE SKIP LOCKED, then UPDATE) is PostgreSQL's"
        )
    refs = queued(5000, mps=100000)
    vonage_fake.balance = 10**9
    for _ in range(4):
        vonage_worker(CRM_SMS_PROVIDER_RPS=100000)
    assert wait_until(lambda: len(Worker.all(connection=redis())) == 4, 60, every=0.2)
    dispatch(jobs=4)  # one job for each worker: all four claim batches at once

    assert wait_until(settled, 240, every=0.5), collections.Counter(statuses().values())
    assert collections.Counter(statuses().values()) == {"sent": 5000}
    assert vonage_fake.accepted_refs() == collections.Counter(refs.values())  # each exactly once
    assert vonage_fake.sends() == collections.Counter(list(refs))  # and no other request for any number
    connections = collections.Counter(request.client for request in vonage_fake.requests)
    assert len([n for n in connections.values() if n >= 100]) >= 4  # the four shared the work
