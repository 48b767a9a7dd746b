"""The provider timing out, answering 5xx and throttling for a stretch, while two workers send."""

import bisect
import collections

from crm_sms.models import MessageEvent, db
from tests.conftest import wait_until

from .conftest import dispatch, settled, statuses

RPS = 10


def test_a_stretch_of_transient_faults_is_retried_with_backoff_fails_nothing_and_keeps_the_rate(
    app, queued, vonage_fake, vonage_worker
):
    refs = queued(20, mps=1000)  # the account's rate, not the sender's, is the one that binds
    vonage_fake.fail_for(5, "timeout", "503", "throttled", "500", "429")
    settings = {"CRM_SMS_PROVIDER_RPS": RPS, "CRM_SMS_DISPATCH_BATCH": 5, "CRM_SMS_SWEEP_INTERVAL": 5}
    workers = [vonage_worker(**settings), vonage_worker(**settings)]
    dispatch(jobs=2)

    assert wait_until(settled, 90, every=0.2), [w.poll() for w in workers]
    assert statuses() == {number: "sent" for number in refs}  # none failed for a transient fault
    assert vonage_fake.accepted_refs() == collections.Counter(refs.values())  # and each taken once
    retried_for = set(db.session.scalars(db.select(MessageEvent.code).where(MessageEvent.note.like("will retry:%"))))
    assert retried_for == {"timeout", "503", "1", "500", "429"}

    tries = collections.defaultdict(list)

    for request in vonage_fake.requests:
        tries[request.form["client-ref"]].append(request.at)
    for times in tries.values():  # the n-th retry waits at least 2**(n-1) seconds, less 20% jitter
        assert all(
            later - earlier >= 0.8 * 2**n for n, (earlier, later) in enumerate(zip(times, times[1:], strict=False))
        )
    assert max(len(times) for times in tries.values()) >= 3  # some met the stretch twice, and waited longer

    arrivals = sorted(request.at for request in vonage_fake.requests)
    busiest = max(bisect.bisect_left(arrivals, at + 1) - i for i, at in enumerate(arrivals))
    assert busiest <= RPS + 1  # requests in any one second, both workers together: the limit, give or take jitter
