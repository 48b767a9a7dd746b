"""How crm_sms sees the shop: the one place that maps the shop's records, numbers and roles to SMS.

crm_sms calls these methods; nothing in crm_sms knows the shop's tables.

Numbers: a customer's ``mobile`` column takes SMS; its ``phone`` column is shown on the SMS panel
(label "Phone") but never texted, because the shop keeps landlines and desk phones there. A company's
``phone`` is its office line and does take SMS. The columns are free text; crm_sms reads them with
``CRM_SMS_DEFAULT_REGION`` for numbers typed without a country code, and shows one it cannot read on
the panel as such.
"""

from flask import url_for
from sqlalchemy import or_

from crm_sms import Host, Phone

from .models import Company, Customer, User, db, visible_customers

#: The shop's roles as crm_sms's: ``is_admin`` wins over the role column.
ROLES = {"support_lead": "manager", "sales": "agent", "client": "customer"}


class ShopHost(Host):
    contact_model = Customer
    account_model = Company
    user_model = User

    # What templates and campaigns may use: {{ contact.first_name }}, {{ contact.company }}, {{ account.name }}.
    variables = {
        "contacts": ("first_name", "last_name", "city", "company"),
        "accounts": ("name", "city"),
    }
    # The campaign recipient filters, name -> label; search() reads them.
    filters = {
        "contacts": {"city": "City", "company": "Company"},
        "accounts": {"city": "City"},
    }

    # Records ----------------------------------------------------------------------------------------------

    def name(self, record):
        if isinstance(record, Customer):
            return record.full_name or record.email or f"Customer {record.id}"
        return record.name

    def url(self, record):
        if isinstance(record, Customer):
            return url_for("shop.customer", customer_id=record.id)
        return url_for("shop.company", company_id=record.id)

    def phones(self, record):
        """The record's numbers as the shop stores them (blank columns are no number)."""
        if isinstance(record, Customer):
            slots = [("mobile", record.mobile, "Mobile", True), ("phone", record.phone, "Phone", False)]
        else:
            slots = [("phone", record.phone, "Office", True)]
        return [
            Phone(number.strip(), label, sms=sms, key=key)
            for key, number, label, sms in slots
            if number and number.strip()
        ]

    def account_of(self, contact):
        return contact.company

    def values(self, record):
        if isinstance(record, Customer):
            return {
                "first_name": record.first_name or None,
                "last_name": record.last_name or None,
                "city": record.city,
                "company": record.company.name if record.company else None,
            }
        return {"name": record.name, "city": record.city}

    def search(self, kind, query, text=None, **filters):
        """Free text over name, email and city; ``city`` and ``company`` filters (blank ones are ignored)."""
        if kind == "contacts":
            if text:
                like = f"%{text.strip()}%"
                query = query.where(
                    or_(
                        Customer.first_name.ilike(like),
                        Customer.last_name.ilike(like),
                        (Customer.first_name + " " + Customer.last_name).ilike(like),
                        Customer.email.ilike(like),
                        Customer.city.ilike(like),
                    )
                )
            if filters.get("city"):
                query = query.where(Customer.city.ilike(filters["city"].strip()))
            if filters.get("company"):
                query = query.where(
                    Customer.company_id.in_(
                        db.select(Company.id).where(Company.name.ilike(f"%{filters['company'].strip()}%"))
                    )
                )
            return query
        if text:
            like = f"%{text.strip()}%"
            query = query.where(or_(Company.name.ilike(like), Company.city.ilike(like)))
        if filters.get("city"):
            query = query.where(Company.city.ilike(filters["city"].strip()))
        return query

    def visible(self, user, kind, query):
        """Customers: the shop's owner-only rule. Companies: every staff member sees them, a client their own."""
        if kind == "contacts":
            return visible_customers(user, query)
        if user.is_staff:
            return query
        customer = db.session.get(Customer, user.customer_id) if user.customer_id else None
        return query.where(Company.id == (customer.company_id if customer else None))

    # Users ------------------------------------------------------------------------------------------------

    def role(self, user):
        if user.is_admin:
            return "admin"
        return ROLES.get(user.role)

    def contact_of(self, user):
        return db.session.get(Customer, user.customer_id) if user.customer_id else None

    def user_name(self, user):
        return user.name or user.email

    def staff(self):
        return db.session.scalars(
            db.select(User).where(or_(User.is_admin, User.role.in_(("sales", "support_lead")))).order_by(User.name)
        ).all()
