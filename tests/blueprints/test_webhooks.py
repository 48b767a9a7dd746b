"""The provider's webhooks over HTTP: every shape Vonage uses, signatures, and bodies that are no event.

Each refusal is checked twice: the status code the provider sees, and that
nothing was stored or applied.
"""

import io
import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from crm_sms.models import InboundPart, Message, MessageEvent, ProviderReceipt, db
from tests.fakes.vonage import inbound, receipt, sign

STATUS_URL = "/sms/webhooks/vonage/status"
INBOUND_URL = "/sms/webhooks/vonage/inbound"
SIGNED = dict(
    CRM_SMS_PROVIDER="vonage",
    CRM_SMS_VONAGE_API_KEY="key",
    CRM_SMS_VONAGE_API_SECRET="secret",
    CRM_SMS_VONAGE_SIGNATURE_SECRET="sigsecret",
    CRM_SMS_VONAGE_SIGNATURE_METHOD="sha256",
)


@pytest.fixture
def pushed(make_app):
    """Build an app with extra config, push its context, and return a test client for it."""
    contexts = []

    def make(**config):
        app = make_app(**config)
        context = app.app_context()
        context.push()
        contexts.append(context)
        return app.test_client()

    yield make
    for context in reversed(contexts):
        context.pop()


@pytest.fixture
def sent_message():
    """An outbound message the provider accepted: ``sent``, with a provider id (call inside an app context)."""

    def make():
        message = Message(
            direction="outbound",
            status="sent",
            body="Your table is ready",
            phone_e164="+14155550101",
            sender_e164="+16285550100",
            client_ref=uuid.uuid4().hex,
            provider_id=uuid.uuid4().hex[:16].upper(),
        )
        db.session.add(message)
        db.session.commit()
        return message

    return make


def nothing_stored(message=None):
    """No receipt, inbound message or part was kept, and ``message`` is untouched."""
    assert db.session.scalar(db.select(db.func.count(ProviderReceipt.id))) == 0
    assert db.session.scalar(db.select(db.func.count(InboundPart.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Message.id)).where(Message.direction == "inbound")) == 0
    assert db.session.scalar(db.select(db.func.count(MessageEvent.id))) == 0
    if message is not None:
        db.session.refresh(message)
        assert message.status == "sent"
    return True


def delivered_once(message):
    db.session.refresh(message)
    events = db.session.scalars(db.select(MessageEvent).where(MessageEvent.message_id == message.id)).all()
    return message.status == "delivered" and [e.status for e in events] == ["delivered"]


# Shapes


@pytest.mark.parametrize("shape", ["GET", "form POST", "JSON POST"])
def test_receipt_is_applied_in_every_shape_vonage_sends(pushed, sent_message, shape):
    client = pushed()
    message = sent_message()
    params = receipt(message.provider_id, client_ref=message.client_ref)

    response = {
        "GET": lambda: client.get(STATUS_URL, query_string=params),
        "form POST": lambda: client.post(STATUS_URL, data=params),
        "JSON POST": lambda: client.post(STATUS_URL, json=params),
    }[shape]()

    assert response.status_code == 204
    assert delivered_once(message)


@pytest.mark.parametrize("shape", ["GET", "form POST", "JSON POST"])
def test_inbound_is_stored_in_every_shape_vonage_sends(pushed, shape):
    client = pushed()
    params = inbound("Is my table ready?", msisdn="14155550199")

    response = {
        "GET": lambda: client.get(INBOUND_URL, query_string=params),
        "form POST": lambda: client.post(INBOUND_URL, data=params),
        "JSON POST": lambda: client.post(INBOUND_URL, json=params),
    }[shape]()

    assert response.status_code == 204
    (message,) = db.session.scalars(db.select(Message)).all()
    assert (message.direction, message.body, message.phone_e164) == ("inbound", "Is my table ready?", "+14155550199")


def test_webhooks_need_no_login_and_no_csrf_token(pushed, sent_message):
    client = pushed(WTF_CSRF_ENABLED=True)
    message = sent_message()

    receipt_response = client.post(STATUS_URL, data=receipt(message.provider_id))
    inbound_response = client.post(INBOUND_URL, data=inbound("Thanks!"))

    assert (receipt_response.status_code, inbound_response.status_code) == (204, 204)
    assert delivered_once(message)
    assert db.session.scalar(db.select(db.func.count(Message.id)).where(Message.direction == "inbound")) == 1


# Signatures


def test_correctly_signed_receipt_is_applied(pushed, sent_message):
    client = pushed(**SIGNED)
    message = sent_message()

    response = client.post(STATUS_URL, data=receipt(message.provider_id, secret="sigsecret", method="sha256"))

    assert response.status_code == 204
    assert delivered_once(message)


def test_correctly_signed_json_inbound_is_stored(pushed):
    client = pushed(**SIGNED)

    response = client.post(INBOUND_URL, json=inbound("Hello", secret="sigsecret", method="sha256"))

    assert response.status_code == 204
    assert db.session.scalar(db.select(Message.body).where(Message.direction == "inbound")) == "Hello"


def test_the_same_receipt_signed_again_is_applied_once(pushed, sent_message):
    # Vonage re-sends a receipt it got no answer for with a fresh timestamp, nonce and signature.
    client = pushed(**SIGNED)
    message = sent_message()
    at = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    first, again = (receipt(message.provider_id, at=at, secret="sigsecret", method="sha256") for _ in range(2))
    assert first["sig"] != again["sig"]

    responses = [client.post(STATUS_URL, data=first), client.post(STATUS_URL, data=again)]

    assert [r.status_code for r in responses] == [204, 204]
    assert db.session.scalar(db.select(db.func.count(ProviderReceipt.id))) == 1
    assert delivered_once(message)


@pytest.mark.parametrize(
    "url, params",
    [
        (STATUS_URL, receipt("0A0000001234ABCD")),
        (INBOUND_URL, inbound("Hello")),
    ],
    ids=["receipt", "inbound"],
)
def test_unsigned_webhook_is_refused_when_a_signature_secret_is_set(pushed, sent_message, url, params):
    client = pushed(**SIGNED)
    message = sent_message()

    response = client.post(url, data={**params, "messageId": message.provider_id})

    assert response.status_code == 401
    assert nothing_stored(message)


@pytest.mark.parametrize(
    "forge",
    [
        lambda params: receipt(params["messageId"], secret="not-the-secret", method="sha256"),
        lambda params: {**receipt(params["messageId"], secret="sigsecret", method="sha256"), "status": "failed"},
        lambda params: {**receipt(params["messageId"], secret="sigsecret", method="md5")},
    ],
    ids=["wrong secret", "field changed after signing", "wrong method"],
)
def test_forged_signature_is_refused(pushed, sent_message, forge):
    client = pushed(**SIGNED)
    message = sent_message()

    response = client.post(STATUS_URL, data=forge({"messageId": message.provider_id}))

    assert response.status_code == 401
    assert nothing_stored(message)


YEAR = 365 * 24 * 3600


def signed_receipt(provider_id, timestamp):
    """A receipt signed as Vonage signs it, its signed ``timestamp`` as given (False: none)."""
    return sign(receipt(provider_id), "sigsecret", "sha256", timestamp=timestamp)


@pytest.mark.parametrize(
    "timestamp, reason",
    [
        (lambda now: now - 3 * YEAR, "more than 5 minutes from now"),
        (lambda now: 0, "more than 5 minutes from now"),
        (lambda now: now + YEAR, "more than 5 minutes from now"),
        (lambda now: now + 6 * 60, "more than 5 minutes from now"),
        (lambda now: False, "has no timestamp"),
        (lambda now: "", "has no timestamp"),
        (lambda now: "yesterday", "not a unix time"),
        (lambda now: "1e9", "not a unix time"),
    ],
    ids=["3 years old", "1970", "a year ahead", "6 minutes ahead", "none", "empty", "garbage", "exponent"],
)
def test_signed_webhook_whose_timestamp_is_not_fresh_is_refused_naming_why(pushed, sent_message, timestamp, reason):
    client = pushed(**SIGNED)
    message = sent_message()

    response = client.post(STATUS_URL, data=signed_receipt(message.provider_id, timestamp(int(time.time()))))

    assert response.status_code == 401
    assert reason in response.get_json()["error"]
    assert nothing_stored(message)


@pytest.mark.parametrize("offset", [-4 * 60, 4 * 60], ids=["4 minutes old", "4 minutes ahead"])
def test_signed_webhook_within_five_minutes_is_accepted(pushed, sent_message, offset):
    client = pushed(**SIGNED)
    message = sent_message()

    response = client.post(STATUS_URL, data=signed_receipt(message.provider_id, int(time.time()) + offset))

    assert response.status_code == 204
    assert delivered_once(message)


def test_signed_inbound_three_years_old_is_refused(pushed):
    client = pushed(**SIGNED)
    old = sign(inbound("STOP"), "sigsecret", "sha256", timestamp=int(time.time()) - 3 * YEAR)

    response = client.post(INBOUND_URL, json=old)

    assert response.status_code == 401
    assert nothing_stored()


# Bodies that are no event


@pytest.mark.parametrize(
    "url, kwargs",
    [
        (STATUS_URL, lambda pid: {"data": {k: v for k, v in receipt(pid).items() if k != "messageId"}}),
        (STATUS_URL, lambda pid: {"data": receipt(pid, status="teleported")}),
        (STATUS_URL, lambda pid: {"json": [receipt(pid)]}),
        (STATUS_URL, lambda pid: {"data": f"messageId={pid}&status=delivered", "content_type": "application/json"}),
        (STATUS_URL, lambda pid: {"data": {}}),
        (INBOUND_URL, lambda pid: {"data": {k: v for k, v in inbound("Hello").items() if k != "msisdn"}}),
        (INBOUND_URL, lambda pid: {"json": "Hello"}),
        (INBOUND_URL, lambda pid: {"data": inbound("Hello", concat=("7F", "three", "1"))}),
    ],
    ids=[
        "missing messageId",
        "unknown status",
        "JSON array",
        "not JSON with a JSON type",
        "empty form",
        "inbound without sender",
        "inbound JSON string",
        "inbound part numbers not numbers",
    ],
)
def test_malformed_body_is_refused_with_400_and_nothing_is_stored(pushed, sent_message, url, kwargs):
    client = pushed()
    message = sent_message()

    response = client.post(url, **kwargs(message.provider_id))

    assert response.status_code == 400
    assert nothing_stored(message)


@pytest.mark.parametrize(
    "url, content_type, announced",
    [
        (STATUS_URL, "application/x-www-form-urlencoded", True),
        (STATUS_URL, "application/json", True),
        (INBOUND_URL, "application/x-www-form-urlencoded", True),
        (STATUS_URL, "application/x-www-form-urlencoded", False),
        (STATUS_URL, "application/json", False),
    ],
    ids=["receipt form", "receipt JSON", "inbound form", "receipt form chunked", "receipt JSON chunked"],
)
def test_a_one_megabyte_body_is_refused_and_the_next_request_is_served(
    pushed, sent_message, url, content_type, announced
):
    client = pushed()
    message = sent_message()
    params = {**(receipt(message.provider_id) if url == STATUS_URL else inbound("Hello")), "padding": "x" * 2**20}
    body = (json.dumps(params) if content_type == "application/json" else urlencode(params)).encode()
    if announced:
        response = client.post(url, data=body, content_type=content_type)
    else:  # no Content-Length: a server that reads chunked bodies says it ends the stream itself
        response = client.post(
            url,
            input_stream=io.BytesIO(body),
            content_type=content_type,
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )

    assert response.status_code == 413
    assert nothing_stored(message)
    assert client.post(STATUS_URL, data=receipt(message.provider_id)).status_code == 204
    assert delivered_once(message)


def test_a_chunked_body_under_the_limit_is_read_whole(pushed):
    client = pushed()
    text = "long " * 12_000  # 60 kB: under the 64 KiB limit
    body = urlencode(inbound(text)).encode()

    response = client.post(
        INBOUND_URL,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert response.status_code == 204
    assert db.session.scalar(db.select(Message.body).where(Message.direction == "inbound")) == text
