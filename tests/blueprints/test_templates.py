"""SMS template pages: managers write templates; agents pick them in the compose form."""

import html
import re

import pytest

from crm_sms.models import Template, db
from crm_sms.services import templates


def _field_errors(response, name):
    """The error messages shown on the form field whose input is called ``name``."""
    for label in re.findall(r'<label class="field[^"]*">(.*?)</label>', response.text, re.DOTALL):
        if f'name="{name}"' in label:
            return [html.unescape(e) for e in re.findall(r'<span class="error"[^>]*>([^<]*)</span>', label)]
    raise AssertionError(f"no field {name!r} on the page")


def _templates():
    return db.session.scalars(db.select(Template).order_by(Template.name)).all()


def _options(page, selector_attribute):
    """(value, label) of the options of the select carrying ``selector_attribute``."""
    select = re.search(rf"<select[^>]*{selector_attribute}[^>]*>(.*?)</select>", page, re.DOTALL).group(1)
    return [
        (html.unescape(v), html.unescape(t)) for v, t in re.findall(r'<option value="([^"]*)">([^<]*)</option>', select)
    ]


@pytest.fixture
def make_template(make_user):
    author = make_user("author", "manager")

    def make(
        name="Order ready", module="contacts", body="Hi {{ contact.first_name }}, your order is ready.", locked=False
    ):
        template = templates.save(None, name, module, body, author)
        template.locked = locked
        db.session.commit()
        return template

    return make


def test_manager_creates_a_template(client, login):
    manager = login("manager")
    response = client.post(
        "/sms/templates/new",
        data={"name": "Order ready", "module": "contacts", "body": "Hi {{ contact.first_name }}, your order is ready."},
    )
    assert response.status_code == 302
    [template] = _templates()
    assert (template.name, template.module, template.body, template.created_by_id) == (
        "Order ready",
        "contacts",
        "Hi {{ contact.first_name }}, your order is ready.",
        manager.id,
    )


def test_an_unknown_variable_is_refused_on_the_message_naming_it_and_nothing_is_saved(client, login):
    login("manager")
    response = client.post(
        "/sms/templates/new", data={"name": "Shoes", "module": "contacts", "body": "Your size: {{ contact.shoe_size }}"}
    )
    assert response.status_code == 422
    [error] = _field_errors(response, "body")
    assert error.startswith("Unknown variable {{ contact.shoe_size }}: messages to contacts can use ")
    assert "Your size: {{ contact.shoe_size }}</textarea>" in html.unescape(response.text)  # nothing typed is lost
    assert _templates() == []


def test_an_account_template_cannot_use_contact_variables(client, login):
    login("manager")
    response = client.post(
        "/sms/templates/new", data={"name": "Invoice", "module": "accounts", "body": "Hi {{ contact.first_name }}"}
    )
    assert response.status_code == 422
    assert _field_errors(response, "body")[0].startswith(
        "Unknown variable {{ contact.first_name }}: messages to accounts"
    )
    assert _templates() == []


@pytest.mark.parametrize(
    "body, error",
    [
        ("Hi {{ contact.first_name.__class__ }}", "{{ contact.first_name.__class__ }} is not a variable"),
        ("Hi {{ contact.first_name!r:>99999999 }}", "{{ contact.first_name!r:>99999999 }} is not a variable"),
        (
            "Hi {contact.first_name}",
            "Write variables in double braces: {{ contact.first_name }}, not {contact.first_name}.",
        ),
    ],
)
def test_a_template_with_an_attribute_a_format_or_single_braces_is_refused(client, login, body, error):
    login("manager")
    response = client.post("/sms/templates/new", data={"name": "Hostile", "module": "contacts", "body": body})
    assert response.status_code == 422
    assert _field_errors(response, "body")[0].startswith(error)
    assert _templates() == []


def test_a_duplicate_name_is_refused_on_the_name(client, login, make_template):
    login("manager")
    make_template("Order ready")
    response = client.post("/sms/templates/new", data={"name": "order ready", "module": "contacts", "body": "Hi"})
    assert response.status_code == 422
    assert _field_errors(response, "name") == ["There is already a template called “Order ready”: choose another name."]
    assert len(_templates()) == 1


def test_manager_edits_a_template(client, login, make_template):
    login("manager")
    template = make_template()
    response = client.post(
        f"/sms/templates/{template.id}",
        data={"name": "Invoice", "module": "accounts", "body": "Your invoice, {{ account.name }}"},
    )
    assert response.status_code == 302
    db.session.refresh(template)
    assert (template.name, template.module, template.body) == (
        "Invoice",
        "accounts",
        "Your invoice, {{ account.name }}",
    )


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/sms/templates"),
        ("get", "/sms/templates/new"),
        ("post", "/sms/templates/new"),
        ("get", "/sms/templates/{id}"),
        ("post", "/sms/templates/{id}"),
        ("post", "/sms/templates/{id}/delete"),
        ("post", "/sms/templates/preview"),
    ],
)
def test_agent_gets_403_on_the_template_pages(client, login, make_template, method, path):
    login("agent")
    template = make_template()
    response = getattr(client, method)(
        path.format(id=template.id), data={"name": "X", "module": "contacts", "body": "X"}
    )
    assert response.status_code == 403
    assert "write SMS templates" in response.text
    assert [(t.name, t.body) for t in _templates()] == [("Order ready", template.body)]


def test_agent_sees_the_contact_templates_in_the_compose_picker_of_a_contact(
    client, login, make_template, make_contact
):
    login("agent")
    make_template("Welcome", "contacts", "Welcome, {{ contact.first_name }}!")
    make_template("Invoice", "accounts", "Your invoice, {{ account.name }}")
    contact = make_contact()
    page = client.get(f"/contacts/{contact.host_id}").text
    assert _options(page, 'data-fill-into="#sms-body"') == [
        ("", "Choose…"),
        ("Welcome, {{ contact.first_name }}!", "Welcome"),
    ]
    assert 'href="/sms/templates"' not in page  # no "Templates" link for an agent


def test_an_account_page_offers_only_the_account_templates(client, login, make_template, make_account):
    login("agent")
    make_template("Welcome", "contacts", "Welcome, {{ contact.first_name }}!")
    make_template("Invoice", "accounts", "Your invoice, {{ account.name }}")
    account = make_account()
    page = client.get(f"/accounts/{account.host_id}").text
    assert _options(page, 'data-fill-into="#sms-body"') == [
        ("", "Choose…"),
        ("Your invoice, {{ account.name }}", "Invoice"),
    ]


def test_the_compose_picker_is_left_out_when_there_is_no_template_for_the_module(
    client, login, make_template, make_contact
):
    login("agent")
    make_template("Invoice", "accounts", "Your invoice, {{ account.name }}")
    page = client.get(f"/contacts/{make_contact().host_id}").text
    assert "data-fill-into" not in page


def test_a_template_body_cannot_break_out_of_the_compose_picker(client, login, make_template, make_contact):
    login("agent")
    make_template("Sneaky", "contacts", '"><script>alert(1)</script>')
    page = client.get(f"/contacts/{make_contact().host_id}").text
    assert "<script>alert(1)" not in page
    assert _options(page, 'data-fill-into="#sms-body"')[1] == ('"><script>alert(1)</script>', "Sneaky")


def test_preview_renders_against_the_chosen_contact_with_the_segment_count(client, login, make_contact):
    login("manager")
    make_contact("Ada", "Lovelace")
    grace = make_contact("Grace", "Hopper", numbers=("+14155550102",))
    response = client.post(
        "/sms/templates/preview",
        headers={"HX-Request": "true"},
        data={"module": "contacts", "record_id": grace.id, "body": "Hi {{ contact.first_name }}, your order is ready."},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="template-preview"')  # the fragment alone
    assert "Hi Grace, your order is ready.</blockquote>" in response.text
    assert re.search(r"30 characters\s+· GSM-7 · 1 segment<", response.text)


def test_preview_names_an_unknown_variable(client, login, make_account):
    login("manager")
    account = make_account()
    response = client.post(
        "/sms/templates/preview",
        headers={"HX-Request": "true"},
        data={"module": "accounts", "record_id": account.id, "body": "Hi {{ contact.first_name }}"},
    )
    assert "Unknown variable {{ contact.first_name }}: messages to accounts" in html.unescape(response.text)


def test_the_form_previews_the_first_contact_by_last_name_with_a_live_counter(
    client, login, make_contact, make_template
):
    login("manager")
    make_contact("Alan", "Turing", numbers=("+14155550102",))
    make_contact("Ada", "Lovelace")
    page = client.get(f"/sms/templates/{make_template().id}").text
    assert "Hi Ada, your order is ready.</blockquote>" in page
    assert '<textarea id="body" name="body" rows="5" data-sms-counter="#body-counter"' in page
    assert 'hx-trigger="input changed delay:400ms from:#body' in page


def test_the_variables_picker_follows_the_module(client, login):
    login("manager")
    response = client.get("/sms/templates/variables?module=accounts", headers={"HX-Request": "true"})
    options = re.findall(r"<option>([^<]*)</option>", response.text)
    assert options[0] == "{{ account.name }}"
    assert not [o for o in options if "contact." in o]
    assert 'data-insert-into="#body"' in response.text


def test_the_record_search_finds_accounts_by_name(client, login, make_account):
    login("manager")
    make_account("Acme Logistics")
    globex = make_account("Globex", numbers=("+12125550102",))
    response = client.get("/sms/templates/records?module=accounts&q=glob", headers={"HX-Request": "true"})
    assert re.findall(r'<option value="(\d+)">([^<]*)</option>', response.text) == [(str(globex.id), "Globex")]
    assert response.headers["HX-Trigger-After-Settle"] == "template-records-changed"  # the preview follows


def test_the_list_shows_name_module_start_of_body_and_segments(client, login, make_template):
    login("manager")
    make_template("Long one", "contacts", "Dear customer, " + "a" * 200)
    row = re.search(r'<tr id="template-\d+">(.*?)</tr>', client.get("/sms/templates").text, re.DOTALL).group(1)
    cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
    assert cells[:4] == ["Long one", "Contacts", "Dear customer, " + "a" * 52 + "...", "2"]


def test_manager_deletes_a_template(client, login, make_template):
    login("manager")
    template = make_template()
    response = client.post(f"/sms/templates/{template.id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Deleted the template “Order ready”." in response.text
    assert _templates() == []


def test_a_locked_template_cannot_be_edited(client, login, make_template):
    login("manager")
    template = make_template(body="Spring sale!", locked=True)
    page = client.get(f"/sms/templates/{template.id}").text
    assert "This template is locked" in page and "<fieldset disabled" in page and ">Save</button>" not in page
    response = client.post(
        f"/sms/templates/{template.id}", data={"name": template.name, "module": "contacts", "body": "Summer sale!"}
    )
    assert response.status_code == 422
    assert "cannot be changed" in _field_errors(response, "body")[0]
    db.session.refresh(template)
    assert template.body == "Spring sale!"


def test_a_locked_template_cannot_be_deleted(client, login, make_template):
    login("manager")
    template = make_template(locked=True)
    assert "Delete</button>" not in client.get("/sms/templates").text
    response = client.post(f"/sms/templates/{template.id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "is locked: it is the text of a mass message and cannot be deleted" in response.text
    assert _templates() == [template]


def test_managers_see_the_templates_link(client, login):
    login("manager")
    assert re.search(r'<a href="/sms/templates"[^>]*>Templates</a>', client.get("/contacts").text)


def test_a_delete_without_htmx_comes_back_to_the_list_saying_so(client, login, make_template):
    login("manager")
    template = make_template()
    response = client.post(f"/sms/templates/{template.id}/delete", follow_redirects=True)
    assert response.request.path == "/sms/templates"
    assert "Deleted the template “Order ready”." in response.text and "No templates yet." in response.text
