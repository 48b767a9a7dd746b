from playwright.sync_api import expect


def test_agent_finds_a_contact_and_sees_its_phone_numbers(app, page, log_in_as, make_contact):
    make_contact("Ada", "Lovelace", numbers=("+14155550101", "+12125550199"))
    make_contact("Alan", "Turing", numbers=("+14155550102",))
    log_in_as("agent", "agent")
    page.get_by_role("searchbox", name="Search contacts").fill("lovelace")
    expect(page.locator("#contacts-table")).not_to_contain_text("Alan Turing")
    page.get_by_role("link", name="Ada Lovelace").click()
    numbers = page.locator("#phone-numbers")
    expect(numbers).to_contain_text("(415) 555-0101")
    expect(numbers).to_contain_text("(212) 555-0199")


def test_a_foreign_number_is_refused_in_place_and_a_good_one_added(app, page, log_in_as, make_contact):
    contact = make_contact("Ada", "Lovelace", numbers=("+14155550101",))
    log_in_as("agent", "agent")
    page.goto(f"/contacts/{contact.host_id}")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Add a number").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Add number").click()
    expect(page.get_by_role("alert")).to_have_text(
        "+44 (United Kingdom) numbers are not allowed: only numbers from United States and Canada can receive SMS."
    )
    page.get_by_label("Add a number").fill("(617) 555-0100")
    page.get_by_role("button", name="Add number").click()
    expect(page.locator("#phone-numbers")).to_contain_text("(617) 555-0100")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the list; the page never reloaded


def test_customer_sees_only_their_own_contact(app, page, log_in_as, make_contact):
    me = make_contact("Casey", "Customer", numbers=("+14155550142",))
    other = make_contact("Other", "Person", numbers=("+14155550188",))
    log_in_as("casey", "customer", contact=me)
    expect(page.get_by_role("heading", level=1)).to_have_text("My contact information")
    expect(page.locator("#phone-numbers")).to_contain_text("(415) 555-0142")
    expect(page.get_by_role("link", name="Contacts")).to_have_count(0)
    response = page.goto(f"/contacts/{other.host_id}")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Other Person")
