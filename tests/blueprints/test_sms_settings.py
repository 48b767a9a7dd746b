"""SMS settings for admins: sender numbers, signatures, quiet hours and texts."""

import html
import re

import pytest

from crm_sms.models import SenderNumber, Signature, db
from crm_sms.models.signature import TEXTS
from crm_sms.services import departments, senders, settings, signatures

SETTINGS = {
    "business_name": "Acme Fiber",
    "time_zone": "America/Chicago",
    "quiet_hours_start": "21:00",
    "quiet_hours_end": "08:00",
    "quiet_hours_manual_bypass": "y",
    "quiet_hours_unknown_start": "10:00",
    "quiet_hours_unknown_end": "18:00",
    "opt_out_text": "Reply STOP to opt out.",
}


def _field_errors(response, name):
    """The error messages shown on the form field whose input is called ``name``."""
    for label in re.findall(r'<label class="field[^"]*">(.*?)</label>', response.text, re.DOTALL):
        if f'name="{name}"' in label:
            return [html.unescape(e) for e in re.findall(r'<span class="error">([^<]*)</span>', label)]
    raise AssertionError(f"no field {name!r} on the page")


def _count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def support(app):
    department = departments.save(None, "Support", "(415) 555-0100", "support@example.com")
    db.session.commit()
    return department


@pytest.fixture
def make_signature(support):
    def make(name="Support", text=TEXTS[3], manual=False, bulk=False):
        signature = signatures.save(None, name, support, text, manual, bulk)
        db.session.commit()
        return signature

    return make


# Sender numbers


def test_admin_creates_a_sender_owned_by_a_user_and_it_comes_first_for_that_user(client, login, make_user):
    login("admin")
    senders.save(None, "+16285550100", label="Main line", is_default=True)
    db.session.commit()
    agent = make_user("agent2", "agent")
    response = client.post(
        "/sms/settings/senders",
        data={"e164": "(628) 555-0101", "label": "Agent 2's line", "user_id": agent.id, "mps": "2", "active": "y"},
    )
    assert response.status_code == 302
    mine = senders.for_user(agent)[0]
    assert (mine.e164, mine.label, mine.mps, mine.user_id) == ("+16285550101", "Agent 2's line", 2.0, agent.id)


def test_a_new_account_default_sender_clears_the_old_one(client, login):
    login("admin")
    old = senders.save(None, "+16285550100", is_default=True)
    db.session.commit()
    response = client.post("/sms/settings/senders", data={"e164": "+16285550101", "is_default": "y", "active": "y"})
    assert response.status_code == 302
    db.session.refresh(old)
    new = db.session.scalar(db.select(SenderNumber).where(SenderNumber.e164 == "+16285550101"))
    assert (old.is_default, new.is_default) == (False, True)


def test_a_foreign_sender_number_is_refused_on_the_number_and_nothing_is_saved(client, login):
    login("admin")
    response = client.post("/sms/settings/senders", data={"e164": "+44 20 7946 0000", "active": "y"})
    assert response.status_code == 422
    assert _field_errors(response, "e164") == [
        "+44 (United Kingdom) numbers are not allowed: only numbers from United States and Canada can receive SMS."
    ]
    assert _count(SenderNumber) == 0


def test_a_number_that_is_already_a_sender_is_refused(client, login):
    login("admin")
    senders.save(None, "+16285550100")
    db.session.commit()
    response = client.post("/sms/settings/senders", data={"e164": "(628) 555-0100", "active": "y"})
    assert response.status_code == 422
    assert _field_errors(response, "e164") == ["+16285550100 is already a sender number."]
    assert _count(SenderNumber) == 1


def test_editing_a_sender_keeps_its_own_number_without_calling_it_a_duplicate(client, login):
    login("admin")
    sender = senders.save(None, "+16285550100", label="Old")
    db.session.commit()
    response = client.post(
        f"/sms/settings/senders/{sender.id}", data={"e164": "+16285550100", "label": "New", "mps": "5", "mms": "y"}
    )
    assert response.status_code == 302
    db.session.refresh(sender)
    assert (sender.label, sender.mps, sender.mms, sender.active) == ("New", 5.0, True, False)


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "100001", "1e999"])
def test_messages_per_second_must_be_more_than_zero_and_finite_and_bounded(client, login, bad):
    login("admin")
    response = client.post("/sms/settings/senders", data={"e164": "+16285550100", "mps": bad, "active": "y"})
    assert response.status_code == 422
    assert _field_errors(response, "mps") == ["Messages per second must be more than 0 and at most 100000."]
    assert _count(SenderNumber) == 0


@pytest.mark.parametrize("bad", [0, float("nan"), float("inf"), 100_001])
def test_the_sender_service_refuses_a_rate_out_of_bounds(app, bad):
    with pytest.raises(senders.SenderError, match="more than 0 and at most 100000"):
        senders.save(None, "+16285550100", mps=bad)


def test_the_account_default_sender_cannot_belong_to_one_user(client, login, make_user):
    login("admin")
    agent = make_user("agent2", "agent")
    response = client.post(
        "/sms/settings/senders", data={"e164": "+16285550100", "user_id": agent.id, "is_default": "y", "active": "y"}
    )
    assert response.status_code == 422
    assert "cannot belong to one user" in _field_errors(response, "is_default")[0]
    assert _count(SenderNumber) == 0


def test_sender_list_names_the_owner_or_the_account(client, login, make_user):
    login("admin")
    agent = make_user("agent2", "agent")
    senders.save(None, "+16285550100", is_default=True)
    senders.save(None, "+16285550101")
    senders.save(None, "+16285550102", user=agent)
    db.session.commit()
    rows = re.findall(
        r"<tr><td>(\+\d+)</td><td>[^<]*</td>\s*<td>(.*?)</td>", client.get("/sms/settings/senders").text, re.DOTALL
    )
    assert [(number, re.sub(r"<[^>]+>", "", owner)) for number, owner in rows] == [
        ("+16285550100", "Account default"),
        ("+16285550101", "Account"),
        ("+16285550102", "agent2"),
    ]


# Signatures


def test_signature_with_a_name_already_taken_is_refused(client, login, support, make_signature):
    login("admin")
    make_signature("Support")
    response = client.post(
        "/sms/settings/signatures", data={"name": "support", "department": support.id, "text": TEXTS[0]}
    )
    assert response.status_code == 422
    assert _field_errors(response, "name") == ["There is already a signature called “Support”."]
    assert _count(Signature) == 1


def test_signature_text_outside_the_fixed_list_is_refused(client, login, support):
    login("admin")
    response = client.post(
        "/sms/settings/signatures",
        data={"name": "Chatty", "department": support.id, "text": "Text us anytime! Reply STOP to unsubscribe."},
    )
    assert response.status_code == 422
    assert _field_errors(response, "text") == ["Choose one of the signature texts offered: no other text is allowed."]
    assert _count(Signature) == 0


def test_only_one_signature_is_the_default_for_manual_and_one_for_bulk(client, login, support, make_signature):
    login("admin")
    first = make_signature("First", manual=True, bulk=True)
    response = client.post(
        "/sms/settings/signatures",
        data={"name": "Second", "department": support.id, "text": TEXTS[0], "default_for_manual": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(first)
    second = db.session.scalar(db.select(Signature).where(Signature.name == "Second"))
    assert (first.default_for_manual, first.default_for_bulk) == (False, True)
    assert (second.default_for_manual, second.default_for_bulk) == (True, False)


def test_signatures_list_shows_the_text_with_the_department_phone_and_email(client, login, make_signature):
    login("admin")
    make_signature("Support", text=TEXTS[3])
    page = client.get("/sms/settings/signatures").text
    assert "Have a question? Call (415) 555-0100. Email support@example.com. Reply STOP to unsubscribe." in page


def test_signature_form_offers_the_fixed_texts_only(client, login, support):
    login("admin")
    page = client.get("/sms/settings/signatures").text
    select = re.search(r'<select[^>]*name="text".*?</select>', page, re.DOTALL).group(0)
    assert [html.unescape(v) for v in re.findall(r'value="([^"]*)"', select)] == list(TEXTS)


def test_signature_form_shows_where_the_department_fills_in(client, login, support):
    login("admin")
    page = html.unescape(client.get("/sms/settings/signatures").text)
    assert ">Have a question? Call [department phone]. Email [department email]. Reply STOP to unsubscribe.<" in page


def test_signatures_page_without_departments_links_to_the_departments_tab(client, login):
    login("admin")
    page = client.get("/sms/settings/signatures").text
    assert "there are no departments yet" in page
    assert 'href="/sms/settings/departments">Add a department</a>' in page
    assert 'name="text"' not in page


# SMS settings


def test_quiet_hours_and_texts_are_saved_and_read_back(client, login):
    login("admin")
    times = {"quiet_hours_start": "9:30", "quiet_hours_end": "8:00", "quiet_hours_unknown_start": "8:30"}
    response = client.post("/sms/settings", data={**SETTINGS, **times, "quiet_hours_unknown_end": "09:00"})
    assert response.status_code == 302
    saved = {
        key: settings.get(key)
        for key in (
            "business_name",
            "time_zone",
            "quiet_hours_start",
            "quiet_hours_end",
            "quiet_hours_manual_bypass",
            "quiet_hours_unknown_start",
            "quiet_hours_unknown_end",
            "quiet_hours_state_rules",
            "opt_out_text",
            "provider_balance",
        )
    }
    assert saved == {
        "business_name": "Acme Fiber",
        "time_zone": "America/Chicago",
        "quiet_hours_start": "09:30",
        "quiet_hours_end": "08:00",
        "quiet_hours_manual_bypass": True,
        "quiet_hours_unknown_start": "08:30",
        "quiet_hours_unknown_end": "09:00",
        "quiet_hours_state_rules": False,
        "opt_out_text": "Reply STOP to opt out.",
        "provider_balance": None,
    }


def test_clearing_both_quiet_hours_turns_them_off(client, login):
    login("admin")
    settings.put("quiet_hours_start", "21:00")
    settings.put("quiet_hours_end", "08:00")
    db.session.commit()
    response = client.post("/sms/settings", data={**SETTINGS, "quiet_hours_start": "", "quiet_hours_end": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (settings.get("quiet_hours_start"), settings.get("quiet_hours_end")) == (None, None)


@pytest.mark.parametrize(
    "given, missing", [("quiet_hours_start", "quiet_hours_end"), ("quiet_hours_end", "quiet_hours_start")]
)
def test_only_one_end_of_quiet_hours_is_refused(client, login, given, missing):
    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, missing: ""})
    assert response.status_code == 422
    assert _field_errors(response, missing) == [
        "Quiet hours need both a start and an end: fill in both, or clear both."
    ]
    assert settings.get(given) is None


@pytest.mark.parametrize("bad", ["25:00", "21:60", "9pm", "21:00:00", "-1:30"])
def test_a_time_that_is_not_hh_mm_is_refused(client, login, bad):
    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, "quiet_hours_start": bad})
    assert response.status_code == 422
    assert _field_errors(response, "quiet_hours_start") == ["Enter a time as HH:MM on a 24-hour clock, such as 21:00."]
    assert settings.get("quiet_hours_start") is None


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "../etc/passwd", "utc"])
def test_an_unknown_time_zone_is_refused(client, login, zone):
    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, "time_zone": zone})
    assert response.status_code == 422
    assert _field_errors(response, "time_zone")[0].startswith("Unknown time zone")
    assert settings.get("time_zone") == "UTC"


def test_opt_out_text_without_stop_is_refused(client, login):
    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, "opt_out_text": "Text QUIT to leave."})
    assert response.status_code == 422
    assert _field_errors(response, "opt_out_text") == [
        "The opt-out text must tell people to reply STOP: carriers require every business text to say how to opt out."
    ]
    assert settings.get("opt_out_text") == "Reply STOP to unsubscribe."


def test_settings_page_shows_the_provider_and_its_last_balance(client, login):
    login("admin")
    settings.put("provider_balance", "12.3456")
    db.session.commit()
    page = client.get("/sms/settings").text
    assert "<dt>Provider</dt><dd>Simulator" in page
    assert "<strong>12.35 EUR</strong>" in page  # in the account's currency (CRM_SMS_CURRENCY)


# Who may


PAGES = ["/sms/settings/senders", "/sms/settings/signatures", "/sms/settings"]


@pytest.mark.parametrize("role", ["manager", "agent"])
@pytest.mark.parametrize("url", PAGES)
def test_only_admins_open_the_sms_settings_pages(client, login, role, url):
    login(role)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["manager", "agent"])
def test_only_admins_change_sms_settings(client, login, support, role):
    login(role)
    posts = {
        "/sms/settings/senders": {"e164": "+16285550100", "is_default": "y", "active": "y"},
        "/sms/settings/signatures": {"name": "Support", "department": support.id, "text": TEXTS[0]},
        "/sms/settings": SETTINGS,
    }
    assert [client.post(url, data=data).status_code for url, data in posts.items()] == [403, 403, 403]
    assert (_count(SenderNumber), _count(Signature)) == (0, 0)
    assert settings.get_all() == settings.DEFAULTS


def test_public_minutes_are_saved_and_empty_means_the_configured_default(client, login):
    from crm_sms.services import conversations

    login("admin")
    assert client.post("/sms/settings", data={**SETTINGS, "public_minutes": "2.5"}).status_code == 302
    assert conversations.public_minutes() == 2.5
    assert client.post("/sms/settings", data={**SETTINGS, "public_minutes": ""}).status_code == 302
    db.session.expire_all()
    assert conversations.public_minutes() == 20.0


@pytest.mark.parametrize("bad", ["0", "-5", "soon", "20000", "nan"])
def test_public_minutes_that_make_no_sense_are_refused(client, login, bad):
    from crm_sms.services import conversations

    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, "public_minutes": bad})
    assert response.status_code == 422
    assert _field_errors(response, "public_minutes")[0] in (
        "Enter minutes between 0.1 and 10080 (a week), or leave it empty for the default.",
        "Enter a number, such as 1 or 0.5.",
    )
    assert conversations.public_minutes() == 20.0


def test_the_frequency_caps_are_saved_and_empty_or_zero_turns_the_cap_off(client, login):
    login("admin")
    data = {**SETTINGS, "frequency_cap_days": "7", "frequency_cap_open_conversations": "y"}
    assert client.post("/sms/settings", data=data).status_code == 302
    assert (settings.get("frequency_cap_days"), settings.get("frequency_cap_open_conversations")) == (7, True)
    page = client.get("/sms/settings").text
    assert 'name="frequency_cap_days"' in page and 'value="7"' in page
    for off in ("", "0"):
        assert client.post("/sms/settings", data={**SETTINGS, "frequency_cap_days": off}).status_code == 302
        db.session.expire_all()
        assert (settings.get("frequency_cap_days"), settings.get("frequency_cap_open_conversations")) == (None, False)


@pytest.mark.parametrize("bad", ["-1", "seven", "1.5", "366", "7 days"])
def test_a_frequency_cap_that_is_not_a_whole_number_of_days_is_refused(client, login, bad):
    login("admin")
    response = client.post("/sms/settings", data={**SETTINGS, "frequency_cap_days": bad})
    assert response.status_code == 422
    assert _field_errors(response, "frequency_cap_days")[0] in (
        "Enter days between 1 and 365, or leave it empty (or 0) for no frequency cap.",
        "Enter a whole number of days, such as 7, or leave it empty for no cap.",
    )
    assert settings.get("frequency_cap_days") is None
