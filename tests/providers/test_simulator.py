"""The simulator, in the real app on Redis: its reports travel the queue to the same signals as webhooks."""

import signal
from contextlib import ExitStack

import pytest
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from crm_sms import signals, worker
from crm_sms.models import SimulatedReport, db
from crm_sms.providers import OutboundSms
from crm_sms.queue import queue, redis
from crm_sms.services import sweep

CUSTOMER = "+14155550123"
OUR_NUMBER = "+14155550100"


def sms(to=CUSTOMER):
    return OutboundSms(to=to, sender=OUR_NUMBER, text="Your table is ready", client_ref="msg-7")


def send(app, to=CUSTOMER):
    """Send as a dispatch job does: the reports it owes are kept with the job's commit."""
    result = app.extensions["crm_sms"].provider.send(sms(to))
    db.session.commit()
    return result


def work(app):
    """Run every queued job as the worker does, then give Ctrl-C back to pytest."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.run(app, burst=True, simple=True, with_scheduler=False)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert FailedJobRegistry(queue=queue()).get_job_ids() == []


@pytest.fixture
def simulator_app(make_app):
    """Build an app on the simulator, reporting at once unless told otherwise; its context is pushed."""
    with ExitStack() as stack:

        def make(**config):
            app = make_app(**{"CRM_SMS_PROVIDER": "simulator", "CRM_SMS_SIMULATOR_DELAY": 0, **config})
            stack.enter_context(app.app_context())
            return app

        yield make


@pytest.fixture
def receipts():
    received = []
    with signals.receipt_received.connected_to(lambda app, receipt, **_: received.append((app, receipt))):
        yield received


@pytest.fixture
def inbound_messages():
    received = []
    with signals.message_received.connected_to(lambda app, inbound, **_: received.append((app, inbound))):
        yield received


def test_send_is_accepted_with_an_id_and_a_price(simulator_app):
    result = send(simulator_app())

    assert result.outcome == "accepted"
    assert result.provider_id
    assert result.price > 0


def test_send_keeps_a_receipt_report_in_the_database_and_enqueues_its_job(simulator_app):
    result = send(simulator_app())

    (report,) = db.session.scalars(db.select(SimulatedReport))
    (job,) = queue().get_jobs()
    assert (job.func_name, job.args) == ("crm_sms.jobs.provider_events.simulated", (report.id,))
    params = report.params
    assert (report.kind, params["messageId"], params["client-ref"]) == ("receipt", result.provider_id, "msg-7")


def test_a_report_whose_job_was_lost_is_delivered_by_the_sweep_once_due(simulator_app, receipts):
    app = simulator_app()
    result = send(app)
    redis().flushdb()  # its job is gone: Redis emptied, or the worker that held it killed

    sweep.run()
    db.session.commit()
    work(app)

    assert [(r.status, r.provider_id) for _, r in receipts] == [("delivered", result.provider_id)]
    assert db.session.scalar(db.select(SimulatedReport.id)) is None


def test_a_report_reached_by_both_its_job_and_the_sweep_is_delivered_once(simulator_app, receipts):
    app = simulator_app()
    send(app)
    sweep.run()  # the sweep finds it due while its own job still waits
    db.session.commit()
    assert len(queue().get_jobs()) == 2

    work(app)

    assert len(receipts) == 1


def test_a_report_not_yet_due_is_left_to_its_job(simulator_app):
    app = simulator_app(CRM_SMS_SIMULATOR_DELAY=30)
    send(app)

    sweep.run()
    db.session.commit()

    assert queue().count == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(SimulatedReport)) == 1


def test_report_waits_for_the_configured_delay(simulator_app):
    app = simulator_app(CRM_SMS_SIMULATOR_DELAY=30)

    send(app)

    assert queue().count == 0
    assert ScheduledJobRegistry(queue=queue()).count == 1


def test_queued_report_announces_a_delivered_receipt(simulator_app, receipts):
    app = simulator_app()
    result = send(app)

    work(app)

    ((sender, receipt),) = receipts
    assert sender is app
    assert (receipt.status, receipt.provider_id, receipt.client_ref) == ("delivered", result.provider_id, "msg-7")
    assert receipt.reason is None


def test_fail_number_gets_an_undeliverable_receipt_with_a_reason(simulator_app, receipts):
    app = simulator_app(CRM_SMS_SIMULATOR_FAIL_NUMBERS="+14155550199")
    result = send(app, to="+14155550199")

    work(app)

    ((_, receipt),) = receipts
    assert (receipt.status, receipt.provider_id) == ("undeliverable", result.provider_id)
    assert receipt.reason == "Absent subscriber (permanent)"


def test_other_numbers_are_delivered_when_fail_numbers_are_set(simulator_app, receipts):
    app = simulator_app(CRM_SMS_SIMULATOR_FAIL_NUMBERS="+14155550199")
    send(app)

    work(app)

    assert [receipt.status for _, receipt in receipts] == ["delivered"]


def test_reply_arrives_as_an_inbound_message_from_the_recipient(simulator_app, inbound_messages):
    app = simulator_app(CRM_SMS_SIMULATOR_REPLY="Thanks, on my way")
    send(app)

    work(app)

    ((sender, inbound),) = inbound_messages
    assert sender is app
    assert (inbound.sender, inbound.to, inbound.text) == (CUSTOMER, OUR_NUMBER, "Thanks, on my way")


def test_no_reply_without_a_configured_reply(simulator_app, receipts, inbound_messages):
    app = simulator_app()
    send(app)

    work(app)

    assert len(receipts) == 1
    assert inbound_messages == []


def test_fail_number_does_not_reply(simulator_app, receipts, inbound_messages):
    app = simulator_app(CRM_SMS_SIMULATOR_REPLY="Thanks", CRM_SMS_SIMULATOR_FAIL_NUMBERS="+14155550199")
    send(app, to="+14155550199")

    work(app)

    assert len(receipts) == 1
    assert inbound_messages == []
