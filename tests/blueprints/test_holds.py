"""Held messages on the pages: each says when it goes; saving the quiet hours moves them at once."""

import html
from datetime import UTC, datetime

import pytest

from crm_sms.jobs.sweep import sweep
from crm_sms.models import Conversation, db
from crm_sms.queue import queue
from crm_sms.services import messages, outbound, settings
from tests.blueprints.test_sms_settings import SETTINGS, _field_errors

GOES = "Held until Fri 2026-12-04 11:00 America/New_York (recipient's time: Fri 2026-12-04 08:00 America/Los_Angeles)."


@pytest.fixture
def held(login, make_contact, make_sender, opt_in, campaign):
    """A message to a Los Angeles number held for quiet hours, in a campaign, seen by an admin."""
    admin = login("admin")
    settings.put("time_zone", "America/New_York")
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    message = messages.compose(contact, contact.phone_numbers[0], make_sender("+16285550199"), "Hello", admin)
    outbound.transition(
        message, "held", "worker", hold_reason="quiet_hours", send_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    )
    message.campaign = campaign
    db.session.commit()
    return message


def _says_when(page):
    return GOES in html.unescape(page)


def test_every_page_listing_a_held_message_says_when_it_goes(client, held):
    conversation = db.session.scalar(db.select(Conversation))
    pages = {
        "messages": "/sms/messages",
        "message": f"/sms/messages/{held.id}",
        "contact panel": f"/contacts/{held.contact.host_id}",
        "conversation": f"/sms/conversations/{conversation.id}",
        "campaign": f"/sms/campaigns/{held.campaign_id}",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert _says_when(response.text), name


def test_a_message_awaiting_consent_says_it_goes_once_the_number_opts_in(client, held):
    held.hold_reason = "awaiting_consent"
    db.session.commit()
    assert "Goes when the number opts in." in client.get(f"/sms/messages/{held.id}").text


def test_saving_the_quiet_hours_enqueues_the_sweep_that_releases_held_messages(client, held):
    form = {
        "business_name": "Acme",
        "time_zone": "America/New_York",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "opt_out_text": "Reply STOP to opt out.",
    }
    assert client.post("/sms/settings", data=form).status_code == 302
    assert "crm_sms-sweep" in queue().job_ids
    sweep()
    db.session.refresh(held)
    assert (held.status, held.hold_reason) == ("queued", None)
    assert not _says_when(client.get(f"/sms/messages/{held.id}").text)


def test_the_hours_for_numbers_with_no_known_zone_and_the_state_rules_are_saved(client, login):
    login("admin")
    form = {**SETTINGS, "quiet_hours_unknown_start": "11:00", "quiet_hours_unknown_end": "17:30"}
    assert client.post("/sms/settings", data={**form, "quiet_hours_state_rules": "y"}).status_code == 302
    saved = [settings.get(f"quiet_hours_{key}") for key in ("unknown_start", "unknown_end", "state_rules")]
    assert saved == ["11:00", "17:30", True]
    page = client.get("/sms/settings").text
    assert "Texas 9:00 to 21:00, Sundays 12:00 to 21:00" in page and "State holidays are not taken into account" in page


@pytest.mark.parametrize(
    "change, field, error",
    [
        (
            {"quiet_hours_unknown_end": ""},
            "quiet_hours_unknown_end",
            "Give both ends of the hours for numbers with no known time zone, or clear both.",
        ),
        (
            {"quiet_hours_start": "09:00", "quiet_hours_end": "20:00"},
            "quiet_hours_unknown_start",
            "These hours all fall in the quiet hours: no message to such a number could go.",
        ),
        (
            {"quiet_hours_unknown_start": "18:00"},
            "quiet_hours_unknown_end",
            "The end must differ from the start: clear both for no limit.",
        ),
    ],
)
def test_hours_for_numbers_with_no_known_zone_that_cannot_work_are_refused(client, login, change, field, error):
    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, **change})
    assert response.status_code == 422
    assert _field_errors(response, field) == [error]
    assert settings.get("quiet_hours_start") is None
