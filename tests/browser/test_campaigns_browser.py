import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect

from crm_sms.models import db, utcnow
from crm_sms.services import templates
from tests.browser.conftest import settled
from tests.conftest import bulk_contacts


def test_manager_builds_confirms_and_generates_a_campaign_watching_its_progress(
    app, page, log_in_as, make_user, make_contact, make_sender, phone_types, start_worker
):
    bulk_contacts(300, phone_types["Mobile"], lambda i: f"+1415{2000000 + i:07d}", city="Boston")
    make_contact("Olive", "Outsider", numbers=("+14155559001",), city="Denver")  # never asked
    make_sender()
    templates.save(
        None,
        "Spring sale",
        "contacts",
        "Hi {{ contact.first_name }}, our sale starts Monday.",
        make_user("author", "manager"),
    )
    db.session.commit()
    log_in_as("boss", "manager")

    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Spring sale in Boston")
    page.get_by_label("Dispatch date").fill("2035-03-01T09:00")
    page.get_by_label("Template").select_option(label="Spring sale")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Spring sale in Boston")
    expect(page.locator("#campaign-status")).to_contain_text("Draft")

    recipients = page.locator("#campaign-recipients")
    recipients.get_by_label("City").fill("Boston")
    recipients.get_by_role("button", name="Add all matching").click()
    expect(recipients).to_contain_text("Added 300 recipients matching the filter.")
    expect(page.locator("#recipient-count")).to_have_text("300 contacts")
    settled(page)  # the search box is new: typed in before htmx knows it, the list would not follow
    recipients.get_by_label("Search contacts to tick").fill("outsider")
    expect(page.locator("#campaign-candidates label")).to_have_count(1)
    page.locator("#campaign-candidates").get_by_label("Olive Outsider · (415) 555-9001").check()
    recipients.get_by_role("button", name="Add ticked").click()
    expect(page.locator("#recipient-count")).to_have_text("301 contacts")

    page.get_by_role("link", name="Generate all SMS messages…").click()
    confirmation = page.locator("#campaign-confirmation")
    expect(confirmation).to_contain_text("300 messages will be created for 301 recipients")
    expect(confirmation).to_contain_text("Not opted in: 1")
    expect(confirmation).to_contain_text("300 segments")
    page.get_by_role("button", name="Generate 300 messages").click()
    progress = page.locator("#campaign-progress")
    expect(page.locator("#campaign-status-label")).to_have_text("Generating")
    expect(progress).to_have_attribute("value", "0")
    page.evaluate("window.notReloaded = true")

    start_worker(CRM_SMS_CAMPAIGN_CHUNK=1)
    seen = {"0"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "100" not in seen:
        seen.add(progress.get_attribute("value"))
        time.sleep(0.1)
    assert {"0", "100"} <= seen, seen  # one chunk per recipient: on this machine it also shows steps between
    assert page.evaluate("window.notReloaded") is True  # the fragment polled itself; the page stayed
    expect(page.locator("#campaign-status-label")).to_have_text("Scheduled")
    expect(page.locator("#campaign-totals")).to_contain_text("300 In queue")
    expect(page.locator("#campaign-totals")).to_contain_text("0 Opted out after")
    expect(page.locator(".campaign-chart .bar").first).to_be_visible()
    messages = page.locator("#campaign-messages")
    expect(messages).to_contain_text("300", timeout=15_000)
    expect(messages.locator("tbody .badge").first).to_have_text("In queue")
    assert re.search(
        r"100% · 301 of 301 recipients · 300 messages", page.locator("#campaign-progress-text").inner_text()
    )


def test_a_sending_campaigns_statuses_settle_and_a_stop_reply_gets_nothing_more(
    app, page, live_server, log_in_as, phone_types, campaign, start_worker
):
    from crm_sms.models import Message
    from crm_sms.services import campaigns, settings

    # The last recipient lives in New York, where it is quiet hours now, and not in San Francisco (three hours
    # behind): its message is held, not raced, until the STOP comes, however busy the machine.
    last = "12125550120"
    ids = bulk_contacts(20, phone_types["Mobile"], lambda i: f"+1415{3000000 + i:07d}" if i < 20 else f"+{last}")
    new_york = datetime.now(ZoneInfo("America/New_York"))
    settings.put("quiet_hours_start", f"{new_york - timedelta(hours=1):%H:%M}")
    settings.put("quiet_hours_end", f"{new_york + timedelta(hours=1):%H:%M}")
    campaigns.add_records(campaign, ids.values())
    campaign.send_at = utcnow()
    db.session.commit()
    log_in_as("boss", "manager")
    page.goto(f"/sms/campaigns/{campaign.id}")
    page.get_by_role("link", name="Generate all SMS messages…").click()
    page.get_by_role("button", name="Generate 20 messages").click()
    status, totals = page.locator("#campaign-status-label"), page.locator("#campaign-totals")

    # Two workers, as deployed: one sends, the other takes the simulator's receipts meanwhile.
    for _ in range(2):
        start_worker(CRM_SMS_PROVIDER_RPS=5, CRM_SMS_SIMULATOR_DELAY=0.2, CRM_SMS_DISPATCH_BATCH=5)
    expect(status).to_have_text("Sending", timeout=20_000)
    expect(totals.locator(".total-delivered strong")).to_have_text("19", timeout=40_000)
    expect(totals.locator(".total-queued strong")).to_have_text("1")  # held: "In queue" counts it
    expect(status).to_have_text("Sending")
    answer = requests.post(
        f"{live_server}/sms/webhooks/vonage/inbound",
        data={
            "msisdn": last,
            "to": "16285550100",
            "messageId": "STOP-1",
            "text": "STOP",
            "type": "text",
            "message-timestamp": "2026-12-02 09:00:00",
        },
        timeout=10,
    )
    assert answer.status_code == 204

    expect(status).to_have_text("Completed", timeout=40_000)
    expect(totals.locator(".total-delivered strong")).to_have_text("19")
    expect(totals.locator(".total-opted_out strong")).to_have_text("1")
    expect(totals.locator(".total-queued strong")).to_have_text("0")
    db.session.expire_all()
    stopped = db.session.scalars(
        db.select(Message).where(Message.campaign_id == campaign.id, Message.phone_e164 == f"+{last}")
    ).one()
    assert (stopped.status, stopped.provider_id) == ("canceled", None)  # never handed to the provider
    assert [e.note for e in stopped.events if e.status == "held"] == ["quiet hours"]


def test_canceling_a_campaign_asks_first(page, log_in_as, campaign):
    log_in_as("boss", "manager")
    page.goto(f"/sms/campaigns/{campaign.id}")
    status = page.locator("#campaign-status-label")

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Cancel campaign").click()
    expect(status).to_have_text("Draft")
    assert asked == ["Cancel this campaign? Messages not sent yet will not be sent."]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel campaign").click()
    expect(status).to_have_text("Canceled")
    expect(page.get_by_role("button", name="Cancel campaign")).to_have_count(0)
