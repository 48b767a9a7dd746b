"""The Content-Security-Policy is on, and the pages work under it: no violation anywhere."""

from playwright.sync_api import expect

from crm_sms.models import db
from crm_sms.services import messages, templates


def test_the_pages_break_no_rule_of_the_content_security_policy(
    app, page, log_in_as, make_user, make_contact, make_sender, opt_in
):
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    manager = make_user("author", "manager")
    templates.save(None, "Order ready", "contacts", "Hi {{ contact.first_name }}, your order is ready.", manager)
    sender = make_sender()
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    messages.compose(contact, contact.phone_numbers[0], sender, "Hello", manager)
    db.session.commit()

    log_in_as("boss", "manager")
    page.goto(f"/contacts/{contact.host_id}")
    page.get_by_label("Template").select_option(label="Order ready")  # an hx-on handler
    expect(page.get_by_label("Message")).to_have_value("Hi {{ contact.first_name }}, your order is ready.")
    expect(page.locator("#sms-counter")).to_contain_text("GSM-7")  # sms.js
    for path in ("/sms/inbox", "/sms/templates/new", "/sms/campaigns", "/sms/consent/report", "/sms/messages"):
        assert page.goto(path).ok, path
        page.wait_for_load_state("networkidle")
    assert violations == []

    # The check itself: an injected inline script is refused, and seen.
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "document.body.append(Object.assign(document.createElement('script'), {textContent: 'window.ran = 1'}))"
        )
    assert page.evaluate("window.ran") is None
    assert len(violations) == 1 and "script-src" in violations[0]
