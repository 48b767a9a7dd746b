from crm_sms.crm.models import Account
from crm_sms.models import db


def test_account_list_filters_by_type_and_search(client, login, make_account):
    login("manager")
    make_account("Acme Logistics", numbers=("+12125550101",), type="Customer", city="Boston")
    make_account("Bluebird Dental", numbers=("+12125550102",), type="Prospect", city="Denver")
    page = client.get("/accounts?type=Prospect").text
    assert "Bluebird Dental" in page and "Acme Logistics" not in page
    page = client.get("/accounts?q=boston").text
    assert "Acme Logistics" in page and "Bluebird Dental" not in page
    page = client.get("/accounts?q=212 555 0102").text
    assert "Bluebird Dental" in page and "Acme Logistics" not in page


def test_account_page_shows_its_contacts_and_phone_numbers(client, login, make_account, make_contact):
    login("agent")
    account = make_account("Acme Logistics", numbers=("+12125550101",))
    make_contact("Ada", "Lovelace", account=account)
    page = client.get(f"/accounts/{account.host_id}").text
    assert "Ada Lovelace" in page and "(212) 555-0101" in page and "Office" in page


def test_staff_creates_and_edits_an_account(client, login):
    login("agent")
    response = client.post("/accounts/new", data={"name": "Cedar Foods", "type": "Partner", "city": "Austin"})
    account = db.session.scalar(db.select(Account))
    assert response.location == f"/accounts/{account.id}"
    client.post(f"/accounts/{account.id}/edit", data={"name": "Cedar Foods Inc", "type": "Customer", "city": ""})
    db.session.refresh(account)
    assert (account.name, account.type, account.city) == ("Cedar Foods Inc", "Customer", None)


def test_account_with_an_unknown_type_is_refused(client, login):
    login("agent")
    response = client.post("/accounts/new", data={"name": "Cedar Foods", "type": "Pirate"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.text
    assert db.session.scalar(db.select(db.func.count(Account.id))) == 0
