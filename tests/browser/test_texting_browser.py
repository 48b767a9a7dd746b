from playwright.sync_api import expect


def test_agent_texts_a_contact_and_watches_it_get_delivered(
    app, page, log_in_as, make_contact, make_sender, opt_in, start_worker
):
    start_worker(CRM_SMS_SIMULATOR_DELAY=1)
    make_sender()
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    log_in_as("agent", "agent")
    page.goto(f"/contacts/{contact.host_id}")
    page.evaluate("window.notReloaded = true")

    body = page.get_by_label("Message")
    counter = page.locator("#sms-counter")
    body.fill("Hello")
    expect(counter).to_contain_text("5 characters · GSM-7 · 1 segment")
    body.fill("Hello 😀")
    expect(counter).to_contain_text("UCS-2")
    expect(counter).to_contain_text("“😀” forces Unicode")
    body.fill("Your order is ready, ")
    page.get_by_label("Insert a variable").select_option("{{ contact.first_name }}")
    expect(body).to_have_value("Your order is ready, {{ contact.first_name }}")

    page.get_by_role("button", name="Send SMS").click()
    rows = page.locator("#sms-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Your order is ready")
    expect(rows.first.locator(".badge")).to_have_text("Delivered", timeout=20_000)
    assert page.evaluate("window.notReloaded") is True

    rows.first.get_by_role("link", name="View").click()
    expect(page.locator("#sms-message-detail")).to_contain_text("Your order is ready, Ada")
    expect(page.locator("#sms-message-detail")).to_contain_text("Reply STOP to unsubscribe.")


def test_a_bad_message_is_refused_in_place(app, page, log_in_as, make_contact, make_sender, opt_in):
    make_sender()
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    log_in_as("agent", "agent")
    page.goto(f"/contacts/{contact.host_id}")
    page.get_by_label("Message").fill("Hi {{ contact.nickname }}")
    page.get_by_role("button", name="Send SMS").click()
    expect(page.locator("#sms-panel [role=alert]")).to_contain_text("Unknown variable {{ contact.nickname }}")
    expect(page.get_by_label("Message")).to_have_value("Hi {{ contact.nickname }}")  # nothing typed is lost
    expect(page.locator("#sms-list")).to_contain_text("No SMS messages yet.")
