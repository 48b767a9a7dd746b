"""Two agents side by side in the inbox: alerts and answers reach both without a reload."""

from playwright.sync_api import expect

from crm_sms.models import Conversation, db
from crm_sms.services import messages, provider_events
from tests.conftest import PASSWORD
from tests.fakes.vonage import inbound

NUMBER = "+14155550101"
OURS = "+16285550100"


def log_in(page, username):
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/contacts**")


def test_two_agents_see_an_inbound_message_and_then_its_answer_without_a_reload(
    app, browser, live_server, page, make_user, make_contact, make_sender, opt_in
):
    grace, alan = make_user("grace", "agent"), make_user("alan", "agent")
    sender = make_sender(OURS)
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))
    for author in (grace, alan):  # grace owns the conversation, alan joins it
        messages.compose(ada, ada.phone_numbers[0], sender, f"Hello from {author.name}", author)
    db.session.commit()
    conversation = db.session.scalar(db.select(Conversation))

    other = browser.new_context(base_url=live_server)
    other.set_default_timeout(10_000)
    alans = other.new_page()
    log_in(page, "grace")
    log_in(alans, "alan")
    page.goto("/sms/inbox")
    alans.goto("/sms/inbox?tab=subscribed")
    for each in (page, alans):
        each.evaluate("window.notReloaded = true")
        expect(each.locator(f"#conversation-{conversation.id}")).to_contain_text("Ada Lovelace")

    provider_events.receive_inbound(inbound("Is my order ready?", msisdn=NUMBER.lstrip("+"), to=OURS.lstrip("+")))
    db.session.commit()

    for each, alerts in ((page, "2"), (alans, "1")):  # grace was also alerted by alan's message
        row = each.locator(f"#conversation-{conversation.id}")
        expect(row).to_contain_text("Is my order ready?", timeout=15_000)
        expect(row).to_contain_text("Unanswered")
        expect(each.locator("#inbox-counts")).to_have_text(alerts, timeout=15_000)
        assert each.evaluate("window.notReloaded") is True

    page.locator(f"#conversation-{conversation.id} a").first.click()
    expect(page.locator("#thread")).to_contain_text("Is my order ready?")
    expect(page.locator("#inbox-counts .badge")).to_have_count(0, timeout=15_000)  # read now
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Message").fill("Yes, come by at 3")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#thread .bubble.outbound").last).to_contain_text("Yes, come by at 3")
    expect(page.locator("#thread .bubble.outbound").last.locator(".badge")).to_have_text(
        "In queue", timeout=15_000
    )  # confirmed by the server (no worker runs here)
    expect(page.get_by_label("Message")).to_have_value("")
    expect(page.locator("#people")).to_contain_text("Answered")
    assert page.evaluate("window.notReloaded") is True

    row = alans.locator(f"#conversation-{conversation.id}")
    expect(row).to_contain_text("Yes, come by at 3", timeout=15_000)
    expect(row).to_contain_text("Answered")
    assert alans.evaluate("window.notReloaded") is True
    other.close()


def test_a_reply_shows_at_once_then_as_the_server_saved_it(
    app, page, log_in_as, make_contact, make_sender, opt_in, make_user
):
    sender = make_sender(OURS)
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=(NUMBER,)))
    log_in_as("grace", "agent")
    from crm_sms.models import Person

    grace = db.session.scalar(db.select(Person).where(Person.name == "grace"))
    messages.compose(ada, ada.phone_numbers[0], sender, "Hello", grace)
    db.session.commit()
    conversation = db.session.scalar(db.select(Conversation))
    page.goto(f"/sms/conversations/{conversation.id}")

    page.route(
        "**/messages",
        lambda route: (
            route.continue_() if route.request.method == "GET" else (page.wait_for_timeout(800), route.continue_())
        ),
    )
    page.get_by_label("Message").fill("On my way")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page.locator("#thread .bubble.optimistic")).to_contain_text("On my way")
    expect(page.locator("#thread .bubble.optimistic")).to_have_count(0, timeout=10_000)
    expect(page.locator("#thread .bubble.outbound").last).to_contain_text("On my way")

    page.get_by_label("Message").fill("Hi {{ contact.nickname }}")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#reply [role=alert]")).to_contain_text("Unknown variable {{ contact.nickname }}")
    expect(page.locator("#thread .bubble.optimistic")).to_have_count(0)
    expect(page.locator("#thread")).not_to_contain_text("nickname")
