from playwright.sync_api import expect

from crm_sms.models import db
from crm_sms.services import templates


def _template(make_user, name, module, body):
    template = templates.save(None, name, module, body, make_user("author", "manager"))
    db.session.commit()
    return template


def test_choosing_a_template_in_the_compose_form_fills_the_message(
    app, page, log_in_as, make_user, make_contact, make_sender, opt_in
):
    _template(make_user, "Order ready", "contacts", "Hi {{ contact.first_name }},\nyour order is ready.")
    make_sender()
    contact = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    log_in_as("agent", "agent")
    page.goto(f"/contacts/{contact.host_id}")
    page.get_by_label("Template").select_option(label="Order ready")
    expect(page.get_by_label("Message")).to_have_value("Hi {{ contact.first_name }},\nyour order is ready.")
    expect(page.locator("#sms-counter")).to_contain_text("49 characters · GSM-7 · 1 segment")

    page.get_by_role("button", name="Send SMS").click()
    expect(page.locator("#sms-list tbody tr")).to_have_count(1)
    expect(page.locator("#sms-list")).to_contain_text("Hi {{ contact.first_name }}")  # filled when it is sent


def test_manager_writes_a_template_watching_the_preview(app, page, log_in_as, make_contact, make_account):
    make_contact("Ada", "Lovelace", numbers=("+14155550101",))
    make_contact("Grace", "Hopper", numbers=("+14155550102",))
    make_account("Acme Logistics")
    log_in_as("boss", "manager")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name").fill("Order ready")
    body = page.get_by_label("Message")
    body.fill("Hi ")
    page.get_by_label("Insert a variable").select_option("{{ contact.first_name }}")
    preview = page.locator("#template-preview")
    expect(preview).to_contain_text("Hi Grace")  # Hopper comes first by last name
    expect(preview).to_contain_text("8 characters · GSM-7 · 1 segment")

    page.get_by_label("Search").fill("lovelace")
    expect(preview).to_contain_text("Hi Ada")

    page.get_by_label("Module").select_option("accounts")
    expect(page.get_by_label("Insert a variable")).not_to_contain_text("contact.first_name")
    expect(page.get_by_label("Search")).to_have_value("lovelace")
    expect(preview).to_contain_text("Unknown variable {{ contact.first_name }}")
    page.get_by_label("Search").fill("")
    body.fill("Your invoice, ")
    page.get_by_label("Insert a variable").select_option("{{ account.name }}")
    expect(preview).to_contain_text("Your invoice, Acme Logistics")

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#templates-table")).to_contain_text("Order ready")
    expect(page.locator("#templates-table")).to_contain_text("Accounts")
