"""SMS templates: what a saved template is guaranteed to be, and what its preview shows."""

import pytest

from crm_sms.models import Template, db
from crm_sms.services import templates
from crm_sms.services.rendering import RenderError
from crm_sms.services.templates import TemplateError


@pytest.fixture
def manager(make_user):
    return make_user("manager", "manager")


@pytest.fixture
def make_template(manager):
    def make(
        name="Order ready", module="contacts", body="Hi {{ contact.first_name }}, your order is ready.", locked=False
    ):
        template = templates.save(None, name, module, body, manager)
        template.locked = locked
        db.session.commit()
        return template

    return make


def _names():
    return db.session.scalars(db.select(Template.name).order_by(Template.name)).all()


def test_save_creates_a_template_with_its_author(manager):
    template = templates.save(None, "  Order ready ", "contacts", " Hi {{ contact.first_name }} ", manager)
    db.session.commit()
    assert (template.name, template.module, template.body, template.locked, template.created_by) == (
        "Order ready",
        "contacts",
        "Hi {{ contact.first_name }}",
        False,
        manager,
    )


def test_an_unknown_variable_is_refused_naming_it_and_nothing_is_saved(manager):
    with pytest.raises(TemplateError) as refused:
        templates.save(None, "Shoes", "contacts", "Your size: {{ contact.shoe_size }}", manager)
    assert refused.value.field == "body"
    assert str(refused.value).startswith("Unknown variable {{ contact.shoe_size }}: ")
    assert _names() == []


def test_an_account_template_cannot_use_contact_variables(manager):
    with pytest.raises(TemplateError, match=r"^Unknown variable \{\{ contact.first_name \}\}: messages to accounts"):
        templates.save(None, "Hello", "accounts", "Hello {{ contact.first_name }}", manager)
    assert _names() == []


def test_a_contact_template_may_use_the_contacts_account_variables(manager):
    template = templates.save(
        None, "Hello", "contacts", "Hello {{ contact.first_name }} of {{ account.name }}", manager
    )
    assert template.id is not None


def test_a_duplicate_name_is_refused_whatever_its_case(make_template, manager):
    make_template("Order ready")
    with pytest.raises(TemplateError, match="There is already a template called “Order ready”") as refused:
        templates.save(None, "order READY", "accounts", "Hello", manager)
    assert refused.value.field == "name"
    assert _names() == ["Order ready"]


def test_a_template_keeps_its_own_name_when_edited(make_template, manager):
    template = make_template("Order ready")
    templates.save(template, "Order ready", "contacts", "Your order is ready.", manager)
    assert template.body == "Your order is ready."


@pytest.mark.parametrize(
    "name, module, body, field",
    [
        ("", "contacts", "Hello", "name"),
        ("Hello", "leads", "Hello", "module"),
        ("Hello", "contacts", "   ", "body"),
    ],
)
def test_a_missing_name_module_or_body_is_refused_on_that_field(manager, name, module, body, field):
    with pytest.raises(TemplateError) as refused:
        templates.save(None, name, module, body, manager)
    assert refused.value.field == field
    assert _names() == []


def test_a_locked_template_cannot_be_changed(make_template, manager):
    template = make_template(body="Spring sale!", locked=True)
    with pytest.raises(TemplateError, match="is locked: it is the text of a mass message and cannot be changed"):
        templates.save(template, template.name, "contacts", "Summer sale!", manager)
    db.session.refresh(template)
    assert template.body == "Spring sale!"


def test_a_locked_template_cannot_be_deleted(make_template):
    template = make_template(locked=True)
    with pytest.raises(TemplateError, match="cannot be deleted"):
        templates.delete(template)
    assert _names() == ["Order ready"]


def test_delete_removes_an_unlocked_template(make_template):
    templates.delete(make_template())
    db.session.commit()
    assert _names() == []


def test_for_module_lists_only_that_modules_templates_by_name(make_template):
    make_template("Welcome", "contacts", "Welcome!")
    make_template("Invoice", "accounts", "Your invoice, {{ account.name }}")
    make_template("Appointment", "contacts", "See you soon.")
    assert [t.name for t in templates.for_module("contacts")] == ["Appointment", "Welcome"]
    assert [t.name for t in templates.for_module("accounts")] == ["Invoice"]


def test_preview_fills_the_contacts_values_and_counts_the_segments(make_contact):
    contact = make_contact("Ada", "Lovelace")
    preview = templates.preview("Hi {{ contact.first_name }}, your order is ready.", contact)
    assert preview.text == "Hi Ada, your order is ready."
    assert (preview.count.characters, preview.count.encoding, preview.count.segments) == (28, "GSM-7", 1)


def test_preview_of_a_contact_fills_its_accounts_variables(make_contact, make_account):
    contact = make_contact("Ada", "Lovelace", account=make_account("Acme Logistics"))
    assert templates.preview("{{ contact.first_name }} at {{ account.name }}", contact).text == "Ada at Acme Logistics"


def test_preview_adds_no_signature_or_opt_out_text(make_account):
    assert templates.preview("Invoice for {{ account.name }}", make_account("Acme")).text == "Invoice for Acme"


def test_preview_counts_the_text_as_filled_not_as_written(make_contact):
    contact = make_contact("Ada", "Lovelace", city="Ada" * 40)
    assert templates.preview("{{ contact.city }}{{ contact.city }}", contact).count.segments == 2


def test_preview_without_a_record_keeps_the_variables_as_written():
    assert templates.preview("Hi {{ contact.first_name }}", None).text == "Hi {{ contact.first_name }}"


def test_preview_without_a_record_still_refuses_variables_the_module_lacks(app):
    with pytest.raises(RenderError, match=r"Unknown variable \{\{ contact.first_name \}\}: messages to accounts"):
        templates.preview("Hi {{ contact.first_name }}", None, module="accounts")


def test_preview_of_an_account_refuses_contact_variables(make_account):
    with pytest.raises(RenderError, match=r"Unknown variable \{\{ contact.first_name \}\}"):
        templates.preview("Hi {{ contact.first_name }}", make_account())


def test_records_offers_the_first_fifty_by_name_and_finds_others_by_search(make_contact):
    for n in range(templates.RECORD_CHOICES + 1):
        make_contact(f"Person{n:02d}", f"Zed{n:02d}", numbers=())
    make_contact("Ada", "Lovelace", numbers=())
    offered = templates.records("contacts")
    assert len(offered) == templates.RECORD_CHOICES and offered[0].name == "Ada Lovelace"
    assert [c.name for c in templates.records("contacts", "Zed50")] == ["Person50 Zed50"]


def test_the_compose_picker_leaves_out_saved_mass_messages(make_template):
    make_template(name="Spring sale", module="accounts", body="Spring sale!")
    from crm_sms.services import mass_messages

    mass_messages.ensure_saved_messages()

    assert [t.name for t in templates.for_module("accounts")] == ["Spring sale"]
