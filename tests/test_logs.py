"""Structured logs: one JSON line per send attempt and per webhook, through the ``crm_sms`` logger."""

import io
import json
import logging

import pytest

from crm_sms import logs
from crm_sms.jobs.dispatch import dispatch
from crm_sms.models import db
from crm_sms.providers import SendResult
from crm_sms.services import messages
from tests.fakes.vonage import inbound


@pytest.fixture
def json_lines():
    """crm_sms's logs as JSON into a buffer; returns a function that parses the lines of one ``event``."""
    stream = io.StringIO()
    logs.install("json", stream)

    def lines(event):
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [entry for entry in parsed if entry.get("event") == event]

    yield lines
    logs.uninstall()


@pytest.fixture
def queued(make_user, make_sender, make_contact, opt_in):
    contact = opt_in(make_contact(numbers=("+14155550101",)))
    message = messages.compose(contact, contact.phone_numbers[0], make_sender(), "Hello", make_user())
    db.session.commit()
    return message


def test_a_send_writes_one_json_line_with_its_outcome(queued, provider, json_lines):
    dispatch()
    [entry] = json_lines("send")
    assert entry["message_id"] == queued.id and entry["provider_id"] == "ID00001"
    assert (entry["outcome"], entry["status"], entry["reason"]) == ("accepted", "sent", None)
    assert (entry["sender"], entry["recipient"]) == ("+16285550100", "***0101")
    assert entry["duration_ms"] >= 0 and entry["level"] == "INFO" and entry["logger"] == "crm_sms.services.dispatch"
    assert "+14155550101" not in json.dumps(entry)


def test_a_refused_send_logs_the_providers_reason(queued, provider, json_lines):
    provider.answer(SendResult("failed", code="6", reason="The message was unroutable"))
    dispatch()
    [entry] = json_lines("send")
    assert (entry["outcome"], entry["status"], entry["code"], entry["reason"]) == (
        "failed",
        "failed",
        "6",
        "The message was unroutable",
    )


def test_a_webhook_writes_one_json_line(client, json_lines):
    client.post("/sms/webhooks/vonage/inbound", data=inbound("Thanks!"))
    [entry] = json_lines("webhook")
    assert (entry["kind"], entry["outcome"], entry["status_code"]) == ("inbound", "stored", 204)
    assert entry["duration_ms"] >= 0


def test_a_refused_webhook_logs_why_and_its_status(client, json_lines):
    client.post("/sms/webhooks/vonage/status", data={"nothing": "useful"})
    client.post("/sms/webhooks/vonage/status", json=["not", "an", "object"])
    first, second = json_lines("webhook")
    assert (first["kind"], first["status_code"], first["level"]) == ("receipt", 400, "WARNING")
    assert first["outcome"].startswith("refused: ")
    assert (second["outcome"], second["status_code"]) == ("expected a JSON object", 400)


def test_the_log_format_setting_installs_one_handler_however_many_apps(make_app):
    try:
        make_app(CRM_SMS_LOG_FORMAT="json")
        make_app(CRM_SMS_LOG_FORMAT="json")
        logger = logging.getLogger("crm_sms")
        [handler] = logger.handlers
        assert isinstance(handler.formatter, logs.JsonFormatter) and not logger.propagate
    finally:
        logs.uninstall()
    assert logging.getLogger("crm_sms").handlers == [] and logging.getLogger("crm_sms").propagate


def test_without_the_setting_the_host_keeps_its_logging(make_app):
    make_app()
    assert logging.getLogger("crm_sms").handlers == []


def test_a_phone_number_is_masked_to_its_last_four_digits():
    assert logs.mask("+14155550101") == "***0101"
