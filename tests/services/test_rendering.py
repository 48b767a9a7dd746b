import pytest

from crm_sms.models import Department, Signature
from crm_sms.services import rendering
from crm_sms.services.rendering import RenderError

# The variables a message may use are the host's (the built-in CRM's here): an app is needed.
pytestmark = pytest.mark.usefixtures("app")


def test_variables_are_filled_from_the_contact_and_its_account(make_contact, make_account):
    contact = make_contact("Ada", "Lovelace", account=make_account("Acme"))
    assert rendering.fill("Hi {{contact.first_name}} of {{ account.name }}", contact) == "Hi Ada of Acme"


def test_an_empty_field_renders_as_nothing(make_contact):
    assert rendering.fill("Hi {{ contact.title }}!", make_contact("Ada", "L")) == "Hi !"


def test_unknown_variable_is_named_with_what_the_module_offers():
    with pytest.raises(RenderError) as error:
        rendering.check("Hi {{ account.owner }}", "accounts")
    assert str(error.value).startswith(
        "Unknown variable {{ account.owner }}: messages to accounts can use {{ account.name }}"
    )


def test_the_picker_offers_account_variables_on_contacts_but_not_the_reverse():
    assert "{{ account.name }}" in rendering.variables("contacts")
    assert "{{ contact.first_name }}" not in rendering.variables("accounts")


def test_signature_fills_the_department_phone_and_email():
    signature = Signature(
        text="Call {{ department.phone }}. Email {{ department.email }}. Reply STOP to unsubscribe.",
        department=Department(name="Support", phone="+14155550100", email="help@example.com"),
    )
    assert (
        rendering.signature_text(signature) == "Call (415) 555-0100. Email help@example.com. Reply STOP to unsubscribe."
    )


def test_opt_out_text_is_added_once():
    assert rendering.final_text("Hi", opt_out_text="Reply STOP to unsubscribe.") == "Hi\nReply STOP to unsubscribe."
    assert (
        rendering.final_text("Hi. Reply STOP to end.", opt_out_text="Reply STOP to unsubscribe.")
        == "Hi. Reply STOP to end."
    )


# The one fill-in function and its syntax

VALUES = {"business_name": "Acme", "support_phone": None, "contact": {"first_name": "Ada"}}


def test_fill_in_fills_names_and_record_fields_from_the_values_only():
    assert (
        rendering.fill_in("{{business_name}} for {{ contact.first_name }}: {{ support_phone }}.", VALUES)
        == "Acme for Ada: ."
    )


@pytest.mark.parametrize(
    "text",
    [
        "{{ business_name.__class__ }}",  # an attribute of a value: values are text, not objects
        "{{ contact.__class__ }}",
        "{{ contact }}",  # a record, not a field
        "{{ nobody }}",
        "{{ business_name!r }}",
        "{{ business_name:>99999999 }}",
        "{{ business_name.__class__.__mro__ }}",
        "{{ business_name|upper }}",
    ],
)
def test_fill_in_refuses_anything_but_a_known_name(text):
    with pytest.raises(RenderError):
        rendering.fill_in(text, VALUES)


def test_a_filled_in_value_is_never_read_as_a_placeholder():
    assert (
        rendering.fill_in("Hi {{ contact.first_name }}", {"contact": {"first_name": "{{ business_name }}"}})
        == "Hi {{ business_name }}"
    )


def test_fill_in_keeps_the_placeholders_of_records_filled_later():
    assert (
        rendering.fill_in("{{ outage.start }} at {{ account.name }}", {"outage": {"start": "noon"}}, keep=("account",))
        == "noon at {{ account.name }}"
    )


def test_only_text_and_numbers_fill_in_a_placeholder():
    with pytest.raises(TypeError):
        rendering.fill_in("{{ a }}", {"a": object()})


@pytest.mark.parametrize("text", ["{business_name.__class__.__mro__}", "{business_name!r:>99999999}"])
def test_the_hostile_format_map_texts_render_as_written_and_small(text):
    assert rendering.fill_in(text, VALUES) == text


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "{business_name.__class__.__mro__}",
            "{business_name.__class__.__mro__} is not a variable: notices can use "
            "{{ business_name }}, {{ support_phone }}",
        ),
        (
            "{business_name!r:>99999999}",
            "Write variables in double braces: {{ business_name }}, not {business_name!r:>99999999}.",
        ),
        ("{business_name}", "Write variables in double braces: {{ business_name }}, not {business_name}."),
        ("{{ business_name.__class__ }}", "Unknown variable {{ business_name.__class__ }}: notices can use"),
        ("{{ business_name!r:>99999999 }}", "{{ business_name!r:>99999999 }} is not a variable"),
        (
            "{{ employee }}",
            "Unknown variable {{ employee }}: notices can use {{ business_name }}, {{ support_phone }}.",
        ),
        ("Hi {{ business_name", "A variable is not closed"),
        ("x" * (rendering.MAX_TEXT + 1), "The text is too long"),
    ],
)
def test_check_text_refuses_naming_the_variable(text, message):
    with pytest.raises(RenderError) as error:
        rendering.check_text(text, ["business_name", "support_phone"], "notices")
    assert message in str(error.value)


def test_check_text_accepts_known_variables_and_single_braces_of_other_words():
    rendering.check_text("{{ business_name }} {{support_phone}} {not a variable} }", ["business_name", "support_phone"])


def test_names_lists_each_variable_once_in_order():
    assert rendering.names("{{ b }} {{ a.x }} {{b}} {{ bad name }}") == ["b", "a.x"]


def test_every_kind_of_text_is_filled_by_the_one_function(app, monkeypatch, make_contact, make_account):
    from crm_sms.services import consent_log, notices, settings

    filled = []
    real = rendering.fill_in

    def spy(text, values, keep=(), blank=True):
        filled.append(text)
        return real(text, values, keep, blank)

    monkeypatch.setattr(rendering, "fill_in", spy)
    department = Department(name="Support", phone="+14155550100", email="help@example.com")
    contact = make_contact("Ada", "L", account=make_account("Acme"))
    notices.text("notice_help")
    consent_log.legal_text()
    rendering.signature_text(Signature(text="Call {{ department.phone }}.", department=department))
    rendering.final_text("Hi {{ contact.first_name }}", contact)
    rendering.fill_fields("Down from {{ outage.start }}", {"outage.start": "noon"})
    assert filled == [
        settings.DEFAULTS["notice_help"],
        settings.DEFAULTS["customer_legal_text"],
        "Call {{ department.phone }}.",
        "Hi {{ contact.first_name }}",
        "Down from {{ outage.start }}",
    ]


def test_no_text_is_filled_by_str_format_or_by_pipes():
    import pathlib

    import crm_sms

    for path in pathlib.Path(crm_sms.__file__).parent.rglob("*.py"):
        source = path.read_text()
        assert "format_map(" not in source and "|DEPARTMENT_" not in source or "migrations" in path.parts, path
