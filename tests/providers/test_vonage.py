"""VonageProvider against a local fake of Vonage's SMS API, over TLS, in Vonage's formats."""

import base64
import socket
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crm_sms.providers import OutboundSms, WebhookError
from crm_sms.providers.vonage import VonageProvider
from tests.fakes import vonage as fake_vonage
from tests.fakes.vonage import API_KEY, API_SECRET, SIGNATURE_SECRET

TO = "+447700900000"
SENDER = "+14155550100"


def sms(to=TO, text="Your order has shipped", **fields):
    return OutboundSms(to=to, sender=SENDER, text=text, client_ref="msg-42", **fields)


@pytest.fixture
def provider(vonage_fake):
    return VonageProvider(API_KEY, api_secret=API_SECRET, rest_host=vonage_fake.host)


@pytest.fixture
def impatient_provider(vonage_fake):
    """Waits one second for an answer, so a slow answer times out quickly."""
    return VonageProvider(API_KEY, api_secret=API_SECRET, rest_host=vonage_fake.host, timeout=1)


@pytest.fixture
def signed_provider(vonage_fake):
    return VonageProvider(API_KEY, signature_secret=SIGNATURE_SECRET, rest_host=vonage_fake.host)


# Sending: what goes over the wire


def test_accepted_send_keeps_message_id_price_and_balance(provider, vonage_fake):
    result = provider.send(sms())

    assert result.outcome == "accepted"
    assert result.provider_id.startswith("0A")
    assert result.provider_id == result.raw["messages"][0]["message-id"]
    assert result.price == Decimal("0.03330000")
    assert result.balance == Decimal("3.10829265")


def test_send_posts_numbers_without_plus_and_the_client_ref(provider, vonage_fake):
    provider.send(sms())

    (request,) = vonage_fake.requests
    assert (request.method, request.path) == ("POST", "/sms/json")
    assert request.form["to"] == "447700900000"
    assert request.form["from"] == "14155550100"
    assert request.form["text"] == "Your order has shipped"
    assert request.form["type"] == "text"
    assert request.form["client-ref"] == "msg-42"


def test_unicode_message_is_sent_as_type_unicode(provider, vonage_fake):
    provider.send(sms(text="Ваш заказ отправлен ✓", unicode=True))

    assert vonage_fake.requests[0].form["type"] == "unicode"
    assert vonage_fake.requests[0].form["text"] == "Ваш заказ отправлен ✓"


def test_without_signature_secret_the_key_and_secret_go_in_basic_auth(provider, vonage_fake):
    provider.send(sms())

    request = vonage_fake.requests[0]
    credentials = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"
    assert "api_secret" not in request.form


def test_signed_send_carries_a_signature_the_api_accepts(signed_provider, vonage_fake):
    result = signed_provider.send(sms())

    request = vonage_fake.requests[0]
    assert result.outcome == "accepted"
    assert request.form["api_key"] == API_KEY
    assert {"timestamp", "sig"} <= request.form.keys()
    assert "authorization" not in request.headers
    assert "api_secret" not in request.form


def test_signed_text_with_ampersand_and_equals_is_accepted(signed_provider):
    assert signed_provider.send(sms(text="Tom & Jerry: 2+2=4")).outcome == "accepted"


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_signature_uses_the_configured_digest(vonage_fake, method):
    vonage_fake.signature_method = method
    provider = VonageProvider(
        API_KEY, signature_secret=SIGNATURE_SECRET, signature_method=method, rest_host=vonage_fake.host
    )

    assert provider.send(sms()).outcome == "accepted"


def test_wrong_signature_secret_is_held_for_retry_naming_the_secret(vonage_fake):
    provider = VonageProvider(API_KEY, signature_secret="not-the-secret", rest_host=vonage_fake.host)

    result = provider.send(sms())

    assert (result.outcome, result.code) == ("retry", "14")
    assert "signature secret" in result.reason


def test_wrong_api_secret_is_held_for_retry_naming_the_credentials(vonage_fake):
    provider = VonageProvider(API_KEY, api_secret="not-the-secret", rest_host=vonage_fake.host)

    result = provider.send(sms())

    assert (result.outcome, result.code) == ("retry", "4")
    assert "API key and secret" in result.reason


# Sending: how each answer is classified


def test_throttled_answer_is_retried_not_failed(provider, vonage_fake):
    vonage_fake.throttle()

    result = provider.send(sms())

    assert (result.outcome, result.code) == ("retry", "1")
    assert "Throttled" in result.reason


def test_http_429_is_retried_not_failed(provider, vonage_fake):
    vonage_fake.throttle(http=True)

    result = provider.send(sms())

    assert (result.outcome, result.code) == ("retry", "429")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_is_retried(provider, vonage_fake, status):
    vonage_fake.server_error(status=status)

    result = provider.send(sms())

    assert (result.outcome, result.code) == ("retry", str(status))


def test_timeout_is_retried(impatient_provider, vonage_fake):
    vonage_fake.delay = 3

    result = impatient_provider.send(sms())

    assert (result.outcome, result.code) == ("retry", "timeout")


def test_unreachable_api_is_retried(vonage_fake):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = VonageProvider(API_KEY, api_secret=API_SECRET, rest_host=f"127.0.0.1:{port}", timeout=1)

    result = provider.send(sms())

    assert (result.outcome, result.code) == ("retry", "connection")


@pytest.mark.parametrize("fault", ["throttle", "http_429", "server_error", "timeout"])
def test_transient_faults_are_not_retried_by_the_http_client(impatient_provider, vonage_fake, fault):
    """Retries belong to the sending pipeline, with backoff: one send is one request."""
    if fault == "timeout":
        vonage_fake.delay = 3
    elif fault == "server_error":
        vonage_fake.server_error(times=5)
    else:
        vonage_fake.throttle(times=5, http=fault == "http_429")

    impatient_provider.send(sms())

    assert len(vonage_fake.requests) == 1


def test_next_send_after_a_throttled_one_is_accepted(provider, vonage_fake):
    vonage_fake.throttle(times=1)
    provider.send(sms())

    assert provider.send(sms()).outcome == "accepted"


def test_insufficient_balance_is_out_of_credit(provider, vonage_fake):
    vonage_fake.balance = Decimal("0.01")

    result = provider.send(sms())

    assert (result.outcome, result.code, result.reason) == ("out_of_credit", "9", "Insufficient funds")


def test_send_after_the_balance_runs_out_is_out_of_credit(provider, vonage_fake):
    vonage_fake.balance = Decimal("0.05")

    first, second = provider.send(sms()), provider.send(sms())

    assert (first.outcome, first.balance) == ("accepted", Decimal("0.01670000"))
    assert second.outcome == "out_of_credit"


@pytest.mark.parametrize(
    "status, reason",
    [
        ("6", "Invalid message: the number could not be routed"),
        ("7", "Number barred"),
        ("12", "Message too long"),
        ("15", "Invalid sender address"),
    ],
)
def test_permanent_refusal_fails_with_a_readable_reason(provider, vonage_fake, status, reason):
    vonage_fake.answer("447700900000", status)

    result = provider.send(sms())

    assert (result.outcome, result.code, result.reason) == ("failed", status, reason)
    assert result.provider_id is None


def test_unknown_status_fails_with_vonages_error_text(provider, vonage_fake):
    vonage_fake.answer("447700900000", "99", "Some new refusal")

    result = provider.send(sms())

    assert (result.outcome, result.code, result.reason) == ("failed", "99", "Some new refusal")


def test_scripted_status_applies_only_to_its_number(provider, vonage_fake):
    vonage_fake.answer("447700900666", "7")

    assert provider.send(sms(to="+447700900666")).outcome == "failed"
    assert provider.send(sms(to="+447700900000")).outcome == "accepted"


# Configured through the app


def test_app_with_vonage_provider_sends_through_the_api(make_app, vonage_fake):
    app = make_app(
        CRM_SMS_PROVIDER="vonage",
        CRM_SMS_VONAGE_REST_HOST=vonage_fake.host,
        CRM_SMS_VONAGE_API_KEY=API_KEY,
        CRM_SMS_VONAGE_API_SECRET=API_SECRET,
        CRM_SMS_VONAGE_UNSIGNED_WEBHOOKS=True,
    )

    result = app.extensions["crm_sms"].provider.send(sms())

    assert result.outcome == "accepted"
    assert vonage_fake.requests[0].headers["authorization"].startswith("Basic ")


def test_app_with_signature_secret_signs_with_the_configured_method(make_app, vonage_fake):
    vonage_fake.signature_method = "sha256"
    app = make_app(
        CRM_SMS_PROVIDER="vonage",
        CRM_SMS_VONAGE_REST_HOST=vonage_fake.host,
        CRM_SMS_VONAGE_API_KEY=API_KEY,
        CRM_SMS_VONAGE_SIGNATURE_SECRET=SIGNATURE_SECRET,
        CRM_SMS_VONAGE_SIGNATURE_METHOD="sha256",
    )

    result = app.extensions["crm_sms"].provider.send(sms())

    assert result.outcome == "accepted"
    assert "sig" in vonage_fake.requests[0].form


# Webhook signatures


def test_correctly_signed_receipt_is_verified(signed_provider):
    params = fake_vonage.receipt("0A0000000123ABCD1", secret=SIGNATURE_SECRET)

    assert signed_provider.signature_problem(params) is None


def test_signed_inbound_with_ampersand_in_text_is_verified(signed_provider):
    params = fake_vonage.inbound("Fish & chips = lunch", secret=SIGNATURE_SECRET)

    assert signed_provider.signature_problem(params) is None


def test_receipt_signed_with_another_secret_is_refused(signed_provider):
    params = fake_vonage.receipt("0A0000000123ABCD1", secret="someone-elses-secret")

    assert signed_provider.signature_problem(params) == "bad signature"


def test_receipt_altered_after_signing_is_refused(signed_provider):
    params = fake_vonage.receipt("0A0000000123ABCD1", status="failed", err_code="3", secret=SIGNATURE_SECRET)

    assert signed_provider.signature_problem({**params, "status": "delivered", "err-code": "0"}) == "bad signature"


def test_unsigned_receipt_is_refused_when_a_secret_is_configured(signed_provider):
    assert "not signed" in signed_provider.signature_problem(fake_vonage.receipt("0A0000000123ABCD1"))


def test_any_receipt_passes_when_no_secret_is_configured(provider):
    assert provider.signature_problem(fake_vonage.receipt("0A0000000123ABCD1")) is None


def test_a_signed_receipt_is_fresh_for_five_minutes_either_way_of_its_timestamp(signed_provider):
    params = fake_vonage.receipt("0A0000000123ABCD1", secret=SIGNATURE_SECRET)
    signed_at = int(params["timestamp"])

    assert signed_provider.signature_problem(params, now=signed_at + 300) is None
    assert signed_provider.signature_problem(params, now=signed_at - 300) is None
    assert "more than 5 minutes from now" in signed_provider.signature_problem(params, now=signed_at + 301)
    assert "more than 5 minutes from now" in signed_provider.signature_problem(params, now=signed_at - 301)


def test_signature_check_leaves_the_params_untouched(signed_provider):
    params = fake_vonage.receipt("0A0000000123ABCD1", secret=SIGNATURE_SECRET)
    before = dict(params)

    signed_provider.signature_problem(params)

    assert params == before


# Delivery receipts


def test_delivered_receipt_is_read(provider):
    at = datetime(2025, 3, 1, 9, 30, 15, tzinfo=UTC)
    params = fake_vonage.receipt("0A0000000123ABCD1", client_ref="msg-42", at=at)

    receipt = provider.parse_receipt(params)

    assert (receipt.provider_id, receipt.client_ref, receipt.status) == ("0A0000000123ABCD1", "msg-42", "delivered")
    assert (receipt.code, receipt.reason) == ("0", None)
    assert receipt.at == at
    assert receipt.price == Decimal("0.03330000")
    assert receipt.raw == params


def test_failed_receipt_is_undeliverable_with_the_carriers_reason(provider):
    receipt = provider.parse_receipt(fake_vonage.receipt("0A0000000123ABCD1", status="failed", err_code="3"))

    assert (receipt.status, receipt.code, receipt.reason) == ("undeliverable", "3", "Absent subscriber (permanent)")


@pytest.mark.parametrize(
    "status, ours",
    [
        ("accepted", "sent"),
        ("buffered", "sent"),
        ("expired", "undeliverable"),
        ("rejected", "undeliverable"),
        ("unknown", "unknown"),
    ],
)
def test_receipt_status_is_mapped(provider, status, ours):
    assert provider.parse_receipt(fake_vonage.receipt("0A0000000123ABCD1", status=status)).status == ours


def test_unlisted_carrier_error_is_still_given_a_reason(provider):
    receipt = provider.parse_receipt(fake_vonage.receipt("0A0000000123ABCD1", status="failed", err_code="77"))

    assert receipt.reason == "Carrier error 77"


def test_receipt_posted_as_json_with_numbers_is_read(provider):
    params = {**fake_vonage.receipt("0A0000000123ABCD1", status="failed"), "err-code": 6, "price": 0.0333}

    receipt = provider.parse_receipt(params)

    assert (receipt.status, receipt.code, receipt.reason) == ("undeliverable", "6", "Anti-spam rejection")
    assert receipt.price == Decimal("0.0333")


def test_receipt_without_message_id_is_refused(provider):
    params = fake_vonage.receipt("0A0000000123ABCD1")
    del params["messageId"]

    with pytest.raises(WebhookError, match="messageId"):
        provider.parse_receipt(params)


def test_receipt_with_unknown_status_is_refused(provider):
    with pytest.raises(WebhookError, match="teleported"):
        provider.parse_receipt(fake_vonage.receipt("0A0000000123ABCD1", status="teleported"))


def test_empty_body_is_not_a_receipt(provider):
    with pytest.raises(WebhookError):
        provider.parse_receipt({})


# Inbound messages


def test_inbound_message_is_read_with_e164_numbers(provider):
    at = datetime(2025, 3, 1, 9, 31, 0, tzinfo=UTC)
    params = fake_vonage.inbound("Yes please", message_id="0B0000000123ABCD9", at=at)

    message = provider.parse_inbound(params)

    assert (message.provider_id, message.sender, message.to) == ("0B0000000123ABCD9", "+447700900000", "+14155550100")
    assert (message.text, message.at) == ("Yes please", at)
    assert (message.concat_ref, message.concat_total, message.concat_part) == (None, 1, 1)


def test_each_part_of_a_concatenated_message_carries_its_place(provider):
    parts = [fake_vonage.inbound(f"part {n}", concat=("4F2A", 3, n)) for n in (1, 2, 3)]

    messages = [provider.parse_inbound(params) for params in parts]

    assert [(m.concat_ref, m.concat_total, m.concat_part) for m in messages] == [
        ("4F2A", 3, 1),
        ("4F2A", 3, 2),
        ("4F2A", 3, 3),
    ]
    assert len({m.provider_id for m in messages}) == 3


def test_concat_fields_are_ignored_unless_concat_is_true(provider):
    params = {**fake_vonage.inbound("hello", concat=("4F2A", 3, 2)), "concat": "false"}

    message = provider.parse_inbound(params)

    assert (message.concat_ref, message.concat_total, message.concat_part) == (None, 1, 1)


@pytest.mark.parametrize("field", ["messageId", "msisdn", "to"])
def test_inbound_missing_a_required_field_is_refused(provider, field):
    params = fake_vonage.inbound("hello")
    del params[field]

    with pytest.raises(WebhookError, match=field):
        provider.parse_inbound(params)


def test_inbound_with_non_numeric_part_is_refused(provider):
    params = {**fake_vonage.inbound("hello", concat=("4F2A", 3, 1)), "concat-part": "first"}

    with pytest.raises(WebhookError, match="concat"):
        provider.parse_inbound(params)
