"""Campaign pages: managers build, confirm, generate and follow campaigns and mass messages; others may not."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest

from crm_sms.jobs.campaigns import generate as generate_job
from crm_sms.models import Campaign, CampaignRecipient, Message, Template, db, utcnow
from crm_sms.queue import queue
from crm_sms.services import campaigns, mass_messages, settings, templates


def _field_errors(response, name):
    """The error messages shown on the form field whose input is called ``name``."""
    for label in re.findall(r'<label class="field[^"]*">(.*?)</label>', response.text, re.DOTALL):
        if f'name="{name}"' in label:
            return [html.unescape(e) for e in re.findall(r'<span class="error"[^>]*>([^<]*)</span>', label)]
    raise AssertionError(f"no field {name!r} on the page")


def _text(response):
    """The page as read: tags dropped, spaces collapsed."""
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))
    return re.sub(r" ([,.:])", r"\1", text)


def _local(moment):
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(settings.get("time_zone"))).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def template(make_user):
    made = templates.save(
        None, "Sale", "contacts", "Hi {{ contact.first_name }}, our sale starts Monday.", make_user("author", "manager")
    )
    db.session.commit()
    return made


@pytest.fixture
def draft(template, make_sender, make_user):
    campaign = campaigns.save(
        None,
        "Spring sale",
        utcnow() + timedelta(days=1),
        "contacts",
        template,
        make_sender(),
        None,
        make_user("owner", "manager"),
    )
    db.session.commit()
    return campaign


@pytest.fixture
def people(make_contact, opt_in):
    def make(n, **fields):
        return [opt_in(make_contact(f"P{i}", "Person", numbers=(f"+1415555{i:04d}",), **fields)) for i in range(n)]

    return make


def test_manager_creates_a_draft_campaign(client, login, template, make_sender):
    manager = login("manager")
    sender = make_sender()
    when = utcnow() + timedelta(days=2)
    response = client.post(
        "/sms/campaigns/new",
        data={
            "name": "Spring sale",
            "send_at": _local(when),
            "module": "contacts",
            "template_id": template.id,
            "sender_id": sender.id,
            "signature_id": 0,
        },
    )
    assert response.status_code == 302
    [campaign] = db.session.scalars(db.select(Campaign)).all()
    assert (
        campaign.name,
        campaign.status,
        campaign.module,
        campaign.template,
        campaign.sender,
        campaign.signature,
        campaign.created_by,
    ) == ("Spring sale", "draft", "contacts", template, sender, None, manager)
    assert response.headers["Location"] == f"/sms/campaigns/{campaign.id}"


def test_a_campaign_without_a_name_or_date_is_refused_on_the_fields(client, login, template, make_sender):
    login("manager")
    sender = make_sender()
    response = client.post(
        "/sms/campaigns/new",
        data={
            "name": "",
            "send_at": _local(utcnow() + timedelta(days=1)),
            "module": "contacts",
            "template_id": template.id,
            "sender_id": sender.id,
        },
    )
    assert response.status_code == 422
    assert _field_errors(response, "name") == ["A campaign needs a name."]
    response = client.post(
        "/sms/campaigns/new",
        data={"name": "Sale", "send_at": "", "module": "contacts", "template_id": template.id, "sender_id": sender.id},
    )
    assert _field_errors(response, "send_at") == ["Choose the dispatch date: when the messages go."]
    assert db.session.scalars(db.select(Campaign)).all() == []


def test_a_template_of_another_module_is_refused_on_the_template(client, login, template, make_sender):
    login("manager")
    response = client.post(
        "/sms/campaigns/new",
        data={
            "name": "Sale",
            "send_at": _local(utcnow() + timedelta(days=1)),
            "module": "accounts",
            "template_id": template.id,
            "sender_id": make_sender().id,
        },
    )
    assert response.status_code == 422
    assert _field_errors(response, "template_id") == ["Choose a template written for accounts."]


def test_the_template_picker_offers_the_modules_templates_but_no_mass_message(client, login, template):
    login("manager")
    mass_messages.ensure_saved_messages()
    templates.save(None, "Invoice", "accounts", "Your invoice, {{ account.name }}", None)
    db.session.commit()
    assert re.findall(r">([^<]+)</option>", client.get("/sms/campaigns/templates?module=accounts").text) == ["Invoice"]
    assert re.findall(r">([^<]+)</option>", client.get("/sms/campaigns/templates?module=contacts").text) == ["Sale"]


def test_manager_ticks_contacts_then_removes_one(client, login, draft, people):
    login("manager")
    ada, bob, _ = people(3)
    response = client.post(
        f"/sms/campaigns/{draft.id}/recipients/add",
        data={"record_ids": [ada.id, bob.id]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="campaign-recipients"')
    assert "Added 2 recipients." in response.text and "2 contacts" in response.text
    [first, _] = db.session.scalars(campaigns.recipients(draft)).all()
    response = client.post(
        f"/sms/campaigns/{draft.id}/recipients/remove",
        data={"recipient_ids": [first.id]},
        headers={"HX-Request": "true"},
    )
    assert "Removed 1 recipient." in response.text
    assert [r.contact for r in db.session.scalars(campaigns.recipients(draft))] == [bob]


def test_manager_adds_the_contacts_of_a_city_by_filter(client, login, draft, make_contact):
    login("manager")
    make_contact("A", "Boston", numbers=("+14155550001",), city="Boston")
    make_contact("B", "Denver", numbers=("+14155550002",), city="Denver")
    response = client.post(
        f"/sms/campaigns/{draft.id}/recipients/filter", data={"city": "boston"}, headers={"HX-Request": "true"}
    )
    assert "Added 1 recipient matching the filter." in response.text
    assert campaigns.recipient_count(draft) == 1


def test_an_empty_filter_is_refused_with_a_message(client, login, draft):
    login("manager")
    response = client.post(
        f"/sms/campaigns/{draft.id}/recipients/filter", data={"city": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Choose a filter: a search, a city or an account type (or add all contacts)." in html.unescape(response.text)


def test_a_manager_adds_all_contacts_at_once(client, login, draft, make_contact):
    for i in range(3):
        make_contact("P", f"N{i}", numbers=(f"+1415555000{i}",), city=["Boston", "Denver", None][i])
    login("manager")
    response = client.post(
        f"/sms/campaigns/{draft.id}/recipients/filter", data={"city": "", "every": "1"}, headers={"HX-Request": "true"}
    )
    assert "Added 3 recipients: all contacts." in response.text
    assert campaigns.recipient_count(draft) == 3


def test_the_search_lists_contacts_to_tick(client, login, draft, make_contact):
    login("manager")
    make_contact("Ada", "Lovelace", numbers=("+14155550001",))
    make_contact("Grace", "Hopper", numbers=("+14155550002",))
    response = client.get(f"/sms/campaigns/{draft.id}/candidates?q=love")
    assert "Ada Lovelace" in response.text and "Grace Hopper" not in response.text


def test_the_confirmation_shows_messages_skips_and_charges(client, login, draft, people, make_contact):
    login("manager")
    crowd = people(2)
    never = make_contact("Never", "Asked", numbers=("+14155559001",))
    campaigns.add_records(draft, [p.id for p in crowd] + [never.id])
    db.session.commit()
    text = _text(client.get(f"/sms/campaigns/{draft.id}/confirm"))
    assert "2 messages will be created for 3 recipients" in text
    assert "1 recipient will be skipped: Not opted in: 1" in text
    assert "Estimated: 2 segments, about 0.02 EUR in charges (0.0079 EUR per segment). Charges will occur." in text


def test_a_campaign_without_recipients_cannot_be_confirmed(client, login, draft):
    login("manager")
    response = client.get(f"/sms/campaigns/{draft.id}/confirm")
    assert response.status_code == 422
    assert "Add contacts first: the campaign has no recipients." in html.unescape(response.text)


def test_generate_enqueues_the_job_and_the_page_follows_the_progress(client, login, draft, people):
    login("manager")
    campaigns.add_records(draft, [p.id for p in people(2)])
    db.session.commit()
    response = client.post(f"/sms/campaigns/{draft.id}/generate")
    assert response.status_code == 302
    assert queue().get_job_ids() == [f"crm_sms-generate-{draft.id}"]
    db.session.refresh(draft)
    assert draft.status == "generating"
    page = client.get(f"/sms/campaigns/{draft.id}").text
    assert 'hx-trigger="load delay:1s"' in page and "Generating" in page
    generate_job(draft.id)
    status = client.get(f"/sms/campaigns/{draft.id}/status", headers={"HX-Request": "true"})
    assert status.text.lstrip().startswith('<section id="campaign-status"')
    assert "100% · 2 of 2 recipients · 2 messages" in _text(status)
    assert "2 In queue" in _text(status)
    assert "In queue" in client.get(f"/sms/campaigns/{draft.id}/messages").text


def test_a_generated_campaign_cannot_be_edited_or_generated_again(client, login, draft, people):
    login("manager")
    campaigns.add_records(draft, [p.id for p in people(1)])
    campaigns.generate(draft)
    db.session.commit()
    response = client.post(f"/sms/campaigns/{draft.id}/edit", data={"name": "Renamed"})
    assert response.status_code == 302
    assert "Only a draft can be changed; this campaign is generating." in _text(
        client.get(response.headers["Location"])
    )
    response = client.post(f"/sms/campaigns/{draft.id}/generate")
    assert response.status_code == 422
    assert "Only a draft can be generated; this campaign is generating." in html.unescape(response.text)
    response = client.post(
        f"/sms/campaigns/{draft.id}/recipients/filter", data={"city": "X"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    db.session.refresh(draft)
    assert draft.name == "Spring sale"


def test_manager_cancels_a_scheduled_campaign(client, login, draft, people):
    login("manager")
    campaigns.add_records(draft, [p.id for p in people(2)])
    campaigns.generate(draft)
    db.session.commit()
    generate_job(draft.id)
    response = client.post(f"/sms/campaigns/{draft.id}/cancel")
    assert "Canceled the campaign and 2 messages not sent yet." in _text(client.get(response.headers["Location"]))
    assert set(db.session.scalars(db.select(Message.status))) == {"canceled"}


def test_manager_sends_a_planned_outage_mass_message_to_accounts_of_a_type(
    client, login, make_sender, make_account, opt_in
):
    login("manager")
    sender = make_sender()
    opt_in(make_account("North Fiber", numbers=("+12125550101",), type="Customer"))
    make_account("Partner Co", numbers=("+12125550102",), type="Partner")
    planned = mass_messages.ensure_saved_messages()[0]
    db.session.commit()
    start = utcnow() + timedelta(days=1)
    response = client.post(
        "/sms/campaigns/mass/new",
        data={
            "template_id": planned.id,
            "outage_start": _local(start),
            "outage_end": _local(start + timedelta(hours=2)),
            "type": "Customer",
            "city": "",
            "send_at": "",
            "sender_id": sender.id,
            "signature_id": 0,
        },
    )
    assert response.status_code == 302
    [campaign] = db.session.scalars(db.select(Campaign)).all()
    assert response.headers["Location"] == f"/sms/campaigns/{campaign.id}/confirm"
    assert (campaign.source, campaign.module, set(campaign.fields)) == (
        "mass",
        "accounts",
        {"outage.start", "outage.end"},
    )
    assert "1 message will be created for 1 recipient" in _text(client.get(response.headers["Location"]))


def test_a_mass_message_with_its_end_before_its_start_is_refused_on_the_end(client, login, make_sender, make_account):
    login("manager")
    make_account("North Fiber", type="Customer")
    planned = mass_messages.ensure_saved_messages()[0]
    db.session.commit()
    start = utcnow() + timedelta(days=1)
    response = client.post(
        "/sms/campaigns/mass/new",
        data={
            "template_id": planned.id,
            "outage_start": _local(start),
            "outage_end": _local(start - timedelta(hours=1)),
            "type": "Customer",
            "sender_id": make_sender().id,
            "signature_id": 0,
        },
    )
    assert response.status_code == 422
    assert _field_errors(response, "outage_end") == ["The outage end must be after its start."]
    assert db.session.scalars(db.select(Campaign)).all() == []


def test_a_manager_cannot_edit_a_saved_mass_message(client, login):
    login("manager")
    planned = mass_messages.ensure_saved_messages()[0]
    db.session.commit()
    response = client.post(f"/sms/templates/{planned.id}", data={"name": "Mine", "module": "accounts", "body": "Hi"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Template, planned.id).body == mass_messages.SAVED_MESSAGES[0].body


def test_a_contact_page_lists_its_campaigns(client, login, draft, people):
    login("agent")
    [person] = people(1)
    campaigns.add_records(draft, [person.id])
    db.session.commit()
    section = re.search(
        r'<section id="record-campaigns".*?</section>', client.get(f"/contacts/{person.host_id}").text, re.DOTALL
    ).group(0)
    assert "Spring sale" in section and "Not generated yet" in section
    assert f'href="/sms/campaigns/{draft.id}"' not in section  # an agent cannot open campaigns


def test_the_sent_messages_page_filters_by_campaign(client, login, draft, people, make_sender):
    login("manager")
    campaigns.add_records(draft, [p.id for p in people(2)])
    campaigns.generate(draft)
    db.session.commit()
    generate_job(draft.id)
    page = client.get(f"/sms/messages?campaign={draft.id}").text
    assert page.count(">Spring sale</a>") == 2
    assert "No messages match." in client.get(f"/sms/messages?campaign={draft.id + 1}").text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/sms/messages.csv?campaign={draft.id}").text)))
    assert [row["campaign"] for row in rows] == ["Spring sale", "Spring sale"]


def test_the_nav_shows_campaigns_to_managers_only(client, login):
    login("manager")
    assert 'href="/sms/campaigns"' in client.get("/sms/templates").text


@pytest.mark.parametrize("role", ["agent", "customer"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/sms/campaigns"),
        ("get", "/sms/campaigns/new"),
        ("post", "/sms/campaigns/new"),
        ("get", "/sms/campaigns/{id}"),
        ("get", "/sms/campaigns/{id}/confirm"),
        ("post", "/sms/campaigns/{id}/generate"),
        ("post", "/sms/campaigns/{id}/cancel"),
        ("post", "/sms/campaigns/{id}/recipients/filter"),
        ("get", "/sms/campaigns/mass/new"),
        ("post", "/sms/campaigns/mass/new"),
    ],
)
def test_agents_and_customers_get_403_on_campaign_pages(client, login, draft, role, method, path):
    login(role)
    response = getattr(client, method)(path.format(id=draft.id), data={"name": "X", "city": "X"})
    assert response.status_code == 403
    assert "build and send SMS campaigns" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(CampaignRecipient)) == 0
    db.session.refresh(draft)
    assert draft.status == "draft"


def test_the_forms_carry_a_csrf_token_and_a_post_without_one_is_refused(make_app, login, draft):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        from tests.conftest import PASSWORD

        assert (
            client.post("/login", data={"username": "owner", "password": PASSWORD, "csrf_token": token}).status_code
            == 302
        )
        show = client.get(f"/sms/campaigns/{draft.id}").text
        assert show.count('name="csrf_token"') >= 4
        response = client.post(f"/sms/campaigns/{draft.id}/cancel")
        assert response.status_code == 400
        assert db.session.get(Campaign, draft.id).status == "draft"


def test_the_campaign_pages_open_for_a_manager(client, login, draft):
    login("manager")
    assert "Spring sale" in client.get("/sms/campaigns").text
    assert "New campaign" in client.get("/sms/campaigns/new").text
    assert "Edit “Spring sale”" in html.unescape(client.get(f"/sms/campaigns/{draft.id}/edit").text)
    mass = _text(client.get("/sms/campaigns/mass/new"))
    assert "Planned outage: Planned maintenance: service for {{ account.name }} will be down" in mass
    assert "Unplanned outage (no restoration ETA)" in mass


# Senders: a campaign obeys the sender rule of manual sends ---------------------------------------------------------


@pytest.fixture
def agents_line(make_sender, make_user):
    """Grace's own line (an agent's: nobody else sends from it)."""
    return make_sender("+16285550111", user=make_user("grace", "agent"))


def test_a_manager_cannot_pick_an_agents_own_line_as_the_campaign_sender(client, login, template, agents_line):
    login("manager")
    page = client.get("/sms/campaigns/new").text
    assert agents_line.e164 not in page

    response = client.post(
        "/sms/campaigns/new",
        data={
            "name": "Spring sale",
            "send_at": _local(utcnow() + timedelta(days=2)),
            "module": "contacts",
            "template_id": template.id,
            "sender_id": agents_line.id,
            "signature_id": 0,
        },
    )

    assert response.status_code == 422
    assert _field_errors(response, "sender_id") == [
        "+16285550111 is another user's own line: a campaign sends from one of the account's shared numbers "
        "(or your own line)."
    ]
    assert db.session.scalars(db.select(Campaign)).all() == []


def test_a_manager_cannot_move_a_draft_campaign_to_an_agents_own_line(client, login, draft, agents_line):
    login("manager")
    response = client.post(
        f"/sms/campaigns/{draft.id}/edit",
        data={
            "name": draft.name,
            "send_at": _local(draft.send_at),
            "module": "contacts",
            "template_id": draft.template_id,
            "sender_id": agents_line.id,
            "signature_id": 0,
        },
    )
    assert response.status_code == 422
    assert "another user's own line" in _field_errors(response, "sender_id")[0]
    db.session.expire_all()
    assert db.session.get(Campaign, draft.id).sender_id != agents_line.id


def test_a_mass_message_cannot_go_from_an_agents_own_line(client, login, make_account, agents_line):
    login("manager")
    make_account("North Fiber", type="Customer")
    planned = mass_messages.ensure_saved_messages()[0]
    db.session.commit()
    start = utcnow() + timedelta(days=1)
    response = client.post(
        "/sms/campaigns/mass/new",
        data={
            "template_id": planned.id,
            "outage_start": _local(start),
            "outage_end": _local(start + timedelta(hours=2)),
            "type": "Customer",
            "sender_id": agents_line.id,
            "signature_id": 0,
        },
    )
    assert response.status_code == 422
    assert "another user's own line" in _field_errors(response, "sender_id")[0]
    assert db.session.scalars(db.select(Campaign)).all() == []


def test_a_campaign_already_on_an_agents_line_is_neither_confirmed_nor_generated(
    client, login, draft, people, agents_line
):
    campaigns.add_records(draft, [p.id for p in people(1)])
    draft.sender = agents_line  # saved before the rule, or the line was handed to an agent since
    db.session.commit()
    login("manager")

    confirm = client.get(f"/sms/campaigns/{draft.id}/confirm")
    generate = client.post(f"/sms/campaigns/{draft.id}/generate")

    for response in (confirm, generate):
        assert response.status_code == 422
        assert "+16285550111 is another user's own line" in html.unescape(response.text)
    db.session.expire_all()
    assert db.session.get(Campaign, draft.id).status == "draft"
    assert queue().count == 0 and db.session.scalars(db.select(Message)).all() == []


def test_a_manager_may_run_a_campaign_from_their_own_line(client, login, template, make_sender):
    manager = login("manager")
    own = make_sender("+16285550112", user=manager)
    assert own.e164 in client.get("/sms/campaigns/new").text
    response = client.post(
        "/sms/campaigns/new",
        data={
            "name": "Spring sale",
            "send_at": _local(utcnow() + timedelta(days=2)),
            "module": "contacts",
            "template_id": template.id,
            "sender_id": own.id,
            "signature_id": 0,
        },
    )
    assert response.status_code == 302


# Frequency caps ------------------------------------------------------------------------------------------------


def _texted_by_a_campaign(number, ago, name="Spring sale"):
    earlier = Campaign(name=name, module="contacts", status="completed", send_at=utcnow() - ago)
    db.session.add(earlier)
    db.session.add(
        Message(
            direction="outbound",
            kind="campaign",
            status="delivered",
            body="Earlier",
            phone_e164=number,
            sender_e164="+16285550100",
            client_ref=f"earlier-{number}",
            send_at=utcnow() - ago,
            campaign=earlier,
        )
    )
    settings.put("frequency_cap_days", 7)
    db.session.commit()


def test_the_confirmation_counts_and_names_who_a_frequency_cap_skips_and_why(client, login, draft, people):
    login("manager")
    crowd = people(3)
    _texted_by_a_campaign("+14155550001", timedelta(days=2, hours=1), name="Summer sale")
    campaigns.add_records(draft, [p.id for p in crowd])
    db.session.commit()
    text = _text(client.get(f"/sms/campaigns/{draft.id}/confirm"))
    assert "2 messages will be created for 3 recipients" in text
    assert "Frequency cap: a number that received a campaign or mass message in the last 7 days" in text
    assert "1 recipient will be skipped: Frequency cap (a recent campaign or mass message): 1" in text
    assert "P1 Person received a campaign 2 days ago (Summer sale)" in text


def test_the_generated_campaign_lists_its_skipped_recipients_and_why(client, login, draft, people, make_contact):
    login("manager")
    crowd = people(2)
    never = make_contact("Never", "Asked", numbers=("+14155559001",))
    _texted_by_a_campaign("+14155550000", timedelta(days=1, hours=1))
    campaigns.add_records(draft, [p.id for p in crowd] + [never.id])
    campaigns.generate(draft)
    db.session.commit()
    generate_job(draft.id)
    page = _text(client.get(f"/sms/campaigns/{draft.id}"))
    assert "Skipped only (2)" in page
    skipped = _text(client.get(f"/sms/campaigns/{draft.id}/recipients?skipped=1", headers={"HX-Request": "true"}))
    assert "P0 Person received a campaign 1 day ago (Spring sale)" in skipped
    assert "Never Asked Not opted in" in skipped
    assert "P1 Person" not in skipped


def test_the_mass_message_page_says_the_frequency_caps_apply(client, login):
    login("manager")
    assert "open conversation" not in _text(client.get("/sms/campaigns/mass/new"))
    settings.put("frequency_cap_open_conversations", True)
    db.session.commit()
    text = _text(client.get("/sms/campaigns/mass/new"))
    assert "A recipient with an open conversation (a message waiting for an answer) is skipped." in text
    assert "They apply to mass messages too" in text
