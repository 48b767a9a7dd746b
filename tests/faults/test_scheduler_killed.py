"""The worker holding RQ's scheduler lock killed with SIGKILL while receipts and a pool release wait to be due.

RQ's lock outlives its holder by a minute and the other workers look for it only at their maintenance
rounds; the sweep (every ``CRM_SMS_SWEEP_INTERVAL``, 30 s by default) finds the due work in the database.
"""

import collections

import pytest

from crm_sms.models import Conversation, Message, MessageEvent, SenderNumber, SimulatedReport, db, utcnow
from crm_sms.queue import queue, redis
from crm_sms.services import messages, provider_events, settings
from tests.conftest import _descendants, kill_worker, wait_until, worker_output
from tests.fakes.vonage import inbound

from .conftest import SENDER, settled, statuses

#: The simulator reports delivery this long after a send: time enough to kill the scheduler's holder first.
RECEIPT_DELAY = 20
PROMISE = 60  # seconds after due, at most


@pytest.fixture
def app(make_app):
    """The simulator, as in the demo: its receipts are delayed jobs (this test's point)."""
    app = make_app(CRM_SMS_PROVIDER="simulator", CRM_SMS_SIMULATOR_DELAY=RECEIPT_DELAY)
    with app.app_context():
        yield app


def _holder(workers):
    """The worker whose scheduler process holds RQ's scheduler lock for our queue, or None."""
    name = redis().get(f"rq:scheduler-lock:{queue().name}")
    pid = name and redis().hget(f"rq:scheduler:{name.decode()}", "pid")
    if not pid:
        return None
    return next((w for w in workers if int(pid) in [w.pid, *_descendants(w.pid)]), None)


def _delivered_at():
    return dict(
        db.session.execute(
            db.select(Message.phone_e164, MessageEvent.at).join(MessageEvent).where(MessageEvent.status == "delivered")
        ).all()
    )


def test_receipts_and_a_release_still_run_within_a_minute_of_due_when_the_schedulers_holder_is_killed(
    app, queued, start_worker, make_contact, make_user, opt_in
):
    workers = [start_worker(CRM_SMS_SIMULATOR_DELAY=RECEIPT_DELAY) for _ in range(2)]  # the default sweep: 30 s
    assert wait_until(lambda: _holder(workers) is not None, 60, every=0.2), [worker_output(w) for w in workers]
    holder = _holder(workers)

    refs = queued(5)
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    sender = db.session.scalar(db.select(SenderNumber))
    messages.compose(contact, contact.phone_numbers[0], sender, "Hello", make_user("grace", "agent"))
    settings.put("public_minutes", 0.25)  # 15 seconds
    db.session.commit()
    provider_events.receive_inbound(inbound("Anyone there?", msisdn="14155550101", to=SENDER.lstrip("+")))
    db.session.commit()
    release_due = db.session.scalar(db.select(Conversation.due_at))

    assert wait_until(settled, 60, every=0.2)  # all six sent; their receipts wait in RQ's scheduled registry
    receipts_due = {
        "+" + report.params["msisdn"]: report.due_at for report in db.session.scalars(db.select(SimulatedReport))
    }
    assert len(receipts_due) == 6 and min(receipts_due.values()) > utcnow()  # none due yet
    kill_worker(holder)
    killed_at = utcnow()
    other = next(w for w in workers if w is not holder)

    last_due = max(*receipts_due.values(), release_due)
    deadline = (last_due - utcnow()).total_seconds() + PROMISE
    assert wait_until(
        lambda: (
            set(statuses().values()) == {"delivered"}
            and db.session.scalar(db.select(Conversation.pooled_at)) is not None
        ),
        deadline,
        other,
        every=0.5,
    ), (statuses(), worker_output(other))

    delivered = _delivered_at()
    late = {number: (at - receipts_due[number]).total_seconds() for number, at in delivered.items()}
    pooled_late = (db.session.scalar(db.select(Conversation.pooled_at)) - release_due).total_seconds()
    events = collections.Counter(
        db.session.scalars(db.select(MessageEvent.message_id).where(MessageEvent.status == "delivered"))
    )
    ahead = (min(receipts_due.values()) - killed_at).total_seconds()
    print(
        f"\nscheduler holder killed {ahead:.1f} s before the first receipt was due: receipts ran "
        f"{min(late.values()):.1f}-{max(late.values()):.1f} s after due, the release {pooled_late:.1f} s after due; "
        f"receipts lost {6 - len(delivered)}, applied twice {sum(n - 1 for n in events.values())}"
    )
    assert max(late.values()) <= PROMISE and 0 <= pooled_late <= PROMISE
    assert len(delivered) == 6 and set(events.values()) == {1}
    assert set(refs) <= {number.lstrip("+") for number in delivered}
