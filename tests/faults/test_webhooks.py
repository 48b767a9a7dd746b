"""Webhooks posted over HTTP to the app served by a real server: repeats, early and unknown receipts, bad bodies."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from crm_sms.models import Message, MessageEvent, ProviderReceipt, db, utcnow
from tests.conftest import serving, wait_until
from tests.fakes.vonage import SIGNATURE_SECRET, receipt, sign

from .conftest import SENDER, dispatch, statuses

THEM = "14153000001"


@pytest.fixture
def served(app):
    """The app in werkzeug's threaded server on a free port; yields the receipt webhook's URL."""
    with serving(app) as url:
        yield f"{url}/sms/webhooks/vonage/status"


@pytest.fixture
def sent(queued):
    """One message already sent, as the dispatcher records it; returns it."""
    refs = queued(1)
    message = db.session.scalar(db.select(Message).where(Message.client_ref == refs[THEM]))
    message.status, message.provider_id, message.sent_at = "sent", "0A0000001234ABCD", utcnow()
    db.session.commit()
    return message


def _post(url, fields):
    return requests.post(url, data=fields, timeout=10)


def _delivered(message, **fields):
    return receipt(
        message.provider_id,
        msisdn=THEM,
        to=SENDER.lstrip("+"),
        client_ref=message.client_ref,
        secret=SIGNATURE_SECRET,
        **fields,
    )


def test_the_same_receipt_ten_times_at_once_settles_its_message_once(served, sent):
    fields = _delivered(sent)
    with ThreadPoolExecutor(10) as pool:  # Vonage re-sends; here all ten arrive together
        answers = list(pool.map(lambda _: _post(served, fields), range(10)))
    assert [answer.status_code for answer in answers] == [204] * 10
    db.session.rollback()
    assert statuses() == {THEM: "delivered"}
    assert db.session.scalar(db.select(db.func.count()).select_from(ProviderReceipt)) == 1
    assert db.session.scalar(db.select(db.func.count()).where(MessageEvent.status == "delivered")) == 1


def test_a_receipt_before_the_send_is_recorded_waits_and_settles_it_once_it_is(
    served, queued, vonage_fake, vonage_worker
):
    refs = queued(1)
    hold = vonage_fake.hold(THEM)  # the fake has taken the message; the worker waits for its answer
    vonage_worker()
    dispatch()
    assert hold.arrived.wait(60)
    (taken,) = vonage_fake.accepted
    answer = _post(
        served,
        receipt(taken.message_id, msisdn=THEM, to=SENDER.lstrip("+"), client_ref=refs[THEM], secret=SIGNATURE_SECRET),
    )
    assert answer.status_code == 204
    db.session.rollback()
    assert statuses() == {THEM: "sending"}  # kept, not applied to a send not yet recorded
    hold.release()
    assert wait_until(lambda: statuses() == {THEM: "delivered"}, 30, every=0.1)
    assert [e.status for e in db.session.scalars(db.select(MessageEvent).order_by(MessageEvent.id))][-2:] == [
        "sent",
        "delivered",
    ]


def test_a_receipt_for_an_unknown_id_is_acknowledged_and_changes_no_message(served, sent):
    fields = receipt("0A00000000FFFFFF", msisdn="14155559999", client_ref="not-ours", secret=SIGNATURE_SECRET)
    assert _post(served, fields).status_code == 204  # answered, or Vonage re-sends it for a day
    db.session.rollback()
    assert statuses() == {THEM: "sent"}
    assert db.session.scalar(db.select(ProviderReceipt.message_id)) is None  # kept, matched to nothing


@pytest.mark.parametrize(
    "make_body, headers, status",
    [  # bodies are made when the test runs: a signature's timestamp is fresh for five minutes only
        (lambda: sign({"status": "delivered", "msisdn": THEM}, SIGNATURE_SECRET), None, 400),  # no message id
        (lambda: sign({"messageId": "0A01", "status": "exploded", "msisdn": THEM}, SIGNATURE_SECRET), None, 400),
        (lambda: "[1, 2, 3]", {"Content-Type": "application/json"}, 400),
        (lambda: "{not json", {"Content-Type": "application/json"}, 400),
        (lambda: receipt("0A01", msisdn=THEM, secret="another secret"), None, 401),  # forged: another secret
        (lambda: {**receipt("0A01", msisdn=THEM, secret=SIGNATURE_SECRET), "status": "failed"}, None, 401),  # altered
        (lambda: receipt("0A01", msisdn=THEM), None, 401),  # not signed at all
        (lambda: "x=" + "a" * (1024 * 1024), {"Content-Type": "application/x-www-form-urlencoded"}, 413),  # 1 MB
    ],
    ids=["no-id", "bad-status", "json-array", "broken-json", "other-secret", "altered", "unsigned", "1MB"],
)
def test_a_bad_webhook_is_refused_with_a_4xx_changes_nothing_and_the_app_keeps_serving(
    served, sent, make_body, headers, status
):
    assert requests.post(served, data=make_body(), headers=headers, timeout=10).status_code == status
    db.session.rollback()
    assert statuses() == {THEM: "sent"}
    assert _post(served, _delivered(sent)).status_code == 204  # the next, good receipt is served and applied
    db.session.rollback()
    assert statuses() == {THEM: "delivered"}
