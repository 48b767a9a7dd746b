from crm_sms.crm.models import Contact
from crm_sms.models import db
from tests.conftest import builtin, record_of


def test_contact_list_shows_name_account_and_primary_phone(client, login, make_contact, make_account):
    login("agent")
    make_contact("Ada", "Lovelace", numbers=("+14155550101",), account=make_account("Acme Logistics"))
    page = client.get("/contacts").text
    assert "Ada Lovelace" in page and "Acme Logistics" in page and "(415) 555-0101" in page


def test_contact_list_is_paginated(make_app, login, make_contact):
    app = make_app(CRM_SMS_PAGE_SIZE=2)
    for i in range(5):
        make_contact("Person", f"Number{i}", numbers=(f"+1415555010{i}",))
    client = app.test_client()
    client.post("/login", data={"username": login("agent").name, "password": "secret-pass"})
    first = client.get("/contacts").text
    assert "Number0" in first and "Number1" in first and "Number2" not in first
    assert "Page 1 of 3" in first
    last = client.get("/contacts?page=3").text
    assert "Number4" in last and "Number0" not in last


def test_search_finds_contacts_by_name_email_city_or_phone_digits(client, login, make_contact):
    login("agent")
    make_contact("Ada", "Lovelace", numbers=("+14155550101",), email="ada@example.com", city="London")
    make_contact("Alan", "Turing", numbers=("+12125550102",), city="Manchester")
    for query in ["ada lov", "Lovelace Ada", "ada@example", "london", "415-555", "(415) 555 01"]:
        page = client.get("/contacts", query_string={"q": query}).text
        assert "Ada Lovelace" in page and "Alan Turing" not in page, query


def test_search_treats_wildcards_as_text(client, login, make_contact):
    login("agent")
    make_contact("Ada", "Lovelace")
    assert "Ada Lovelace" not in client.get("/contacts", query_string={"q": "%"}).text


def test_htmx_search_returns_only_the_table(client, login, make_contact):
    login("agent")
    make_contact("Ada", "Lovelace")
    response = client.get("/contacts?q=ada", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<div id="contacts-table">')
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, login):
    login("agent")
    response = client.get("/contacts", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.text


def test_contact_page_lists_its_phone_numbers(client, login, make_contact):
    login("agent")
    contact = make_contact(numbers=("+14155550101", "+12125550199"))
    page = client.get(f"/contacts/{contact.host_id}").text
    assert "(415) 555-0101" in page and "(212) 555-0199" in page


def test_staff_creates_a_contact_in_an_account(client, login, make_account):
    login("agent")
    account = make_account()
    response = client.post(
        "/contacts/new",
        data={
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "account_id": int(account.host_id),
            "ready": "y",
        },
    )
    contact = db.session.scalar(db.select(Contact).where(Contact.last_name == "Hopper"))
    assert response.location == f"/contacts/{contact.id}"
    assert contact.account_id == int(account.host_id) and contact.ready


def test_contact_without_a_last_name_is_refused_and_not_saved(client, login):
    login("agent")
    response = client.post("/contacts/new", data={"first_name": "Grace", "last_name": "", "account_id": 0})
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 0


def test_contact_with_a_bad_email_is_refused(client, login, make_contact):
    login("agent")
    contact = make_contact()
    response = client.post(
        f"/contacts/{contact.host_id}/edit",
        data={"first_name": "Ada", "last_name": "Lovelace", "email": "not-an-email", "account_id": 0},
    )
    assert response.status_code == 422
    assert "Invalid email address." in response.text


def test_customer_sees_their_own_contact_as_my_contact_information(client, login):
    customer = login("customer")
    response = client.get("/contacts/me", follow_redirects=True)
    assert "My contact information" in response.text
    assert f"/contacts/{record_of(customer).host_id}/edit" in response.text


def test_customer_cannot_open_another_contact(client, login, make_contact):
    login("customer")
    other = make_contact("Other", "Person", numbers=("+14155550188",))
    assert client.get(f"/contacts/{other.host_id}").status_code == 404
    assert client.get(f"/contacts/{other.host_id}/edit").status_code == 404
    response = client.post(f"/contacts/{other.host_id}/edit", data={"first_name": "Hacked", "last_name": "X"})
    assert response.status_code == 404
    assert builtin(other).first_name == "Other"


def test_customer_cannot_list_contacts_or_accounts(client, login):
    login("customer")
    assert client.get("/contacts").status_code == 403
    assert client.get("/accounts").status_code == 403


def test_customer_edits_their_name_but_not_ready_or_account(client, login, make_account):
    customer = login("customer")
    account = make_account()
    response = client.post(
        f"/contacts/{record_of(customer).host_id}/edit",
        data={"first_name": "Casey", "last_name": "Jones", "account_id": int(account.host_id), "ready": ""},
    )
    assert response.status_code == 302
    contact = builtin(record_of(customer))
    db.session.refresh(contact)
    assert contact.last_name == "Jones"
    assert contact.account_id is None and contact.ready is True


def test_missing_contact_is_404(client, login):
    login("agent")
    assert client.get("/contacts/999999").status_code == 404
