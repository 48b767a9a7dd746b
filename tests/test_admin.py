from crm_sms.crm.models import PhoneType
from crm_sms.models import Department, db


def test_admin_marks_a_phone_type_sms_capable(client, login, phone_types):
    login("admin")
    home = phone_types["Home"]
    response = client.post(f"/admin/phone-types/{home.id}", data={"name": "Home", "sms_capable": "y"})
    assert response.status_code == 302
    db.session.refresh(home)
    assert home.sms_capable


def test_phone_type_names_are_unique(client, login, phone_types):
    login("admin")
    response = client.post("/admin/phone-types", data={"name": "Mobile"})
    assert response.status_code == 422
    assert "There is already a phone type called" in response.text
    assert db.session.scalar(db.select(db.func.count(PhoneType.id))) == 3


def test_admin_adds_a_department_with_its_phone_in_e164(client, login):
    login("admin")
    client.post(
        "/sms/settings/departments", data={"name": "Support", "phone": "(415) 555-0100", "email": "support@example.com"}
    )
    department = db.session.scalar(db.select(Department))
    assert (department.name, department.phone, department.email) == ("Support", "+14155550100", "support@example.com")


def test_department_with_a_foreign_phone_is_refused(client, login):
    login("admin")
    response = client.post("/sms/settings/departments", data={"name": "Support", "phone": "+44 20 7946 0000"})
    assert response.status_code == 422
    assert "+44 (United Kingdom) numbers are not allowed" in response.text
    assert db.session.scalar(db.select(Department)) is None


def test_managers_cannot_change_settings(client, login, phone_types):
    login("manager")
    response = client.post(f"/admin/phone-types/{phone_types['Home'].id}", data={"name": "Home", "sms_capable": "y"})
    assert response.status_code == 403
    db.session.refresh(phone_types["Home"])
    assert not phone_types["Home"].sms_capable
