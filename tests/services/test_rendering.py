import pytest

from crm_sms.models import Account, Contact, Department, Signature
from crm_sms.services import rendering
from crm_sms.services.rendering import RenderError


def test_variables_are_filled_from_the_contact_and_its_account():
    contact = Contact(first_name="Ada", last_name="Lovelace", account=Account(name="Acme"))
    assert rendering.fill("Hi {{contact.first_name}} of {{ account.name }}", contact) == "Hi Ada of Acme"


def test_an_empty_field_renders_as_nothing():
    assert rendering.fill("Hi {{ contact.title }}!", Contact(first_name="Ada", last_name="L")) == "Hi !"


def test_unknown_variable_is_named_with_what_the_module_offers():
    with pytest.raises(RenderError) as error:
        rendering.check("Hi {{ account.owner }}", "accounts")
    assert str(error.value).startswith("Unknown variable {{ account.owner }}: messages to accounts can use {{ account.name }}")


def test_the_picker_offers_account_variables_on_contacts_but_not_the_reverse():
    assert "{{ account.name }}" in rendering.variables("contacts")
    assert "{{ contact.first_name }}" not in rendering.variables("accounts")


def test_signature_fills_the_department_phone_and_email():
    signature = Signature(text="Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
                          department=Department(name="Support", phone="+14155550100", email="help@example.com"))
    assert rendering.signature_text(signature) == "Call (415) 555-0100. Email help@example.com. Reply STOP to unsubscribe."


def test_opt_out_text_is_added_once():
    assert rendering.final_text("Hi", opt_out_text="Reply STOP to unsubscribe.") == "Hi\nReply STOP to unsubscribe."
    assert rendering.final_text("Hi. Reply STOP to end.", opt_out_text="Reply STOP to unsubscribe.") == \
        "Hi. Reply STOP to end."
