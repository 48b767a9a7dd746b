"""The shop's own tables, as a small Flask CRM keeps them: numbers are free text typed by people."""

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()

#: The shop's roles (``User.role``); ``is_admin`` sits on top of any of them.
ROLES = ("sales", "support_lead", "client")


class Company(db.Model):
    __tablename__ = "companies"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    city = db.Column(db.String(100))
    phone = db.Column(db.String(40))  # free format: "(415) 555-0100", "+44 20 7946 0958"

    customers = db.relationship("Customer", back_populates="company")

    def __repr__(self):
        return f"<Company {self.id} {self.name!r}>"


class Customer(db.Model):
    __tablename__ = "customers"

    id = db.Column(db.Integer, primary_key=True)
    first_name = db.Column(db.String(100), nullable=False, default="")
    last_name = db.Column(db.String(100), nullable=False, default="")
    email = db.Column(db.String(200))
    city = db.Column(db.String(100))
    mobile = db.Column(db.String(40))  # free format, as typed on the customer form
    phone = db.Column(db.String(40))  # a landline or desk phone, free format
    company_id = db.Column(db.ForeignKey("companies.id"))
    owner_id = db.Column(db.ForeignKey("users.id"))  # the salesperson who owns the customer

    company = db.relationship(Company, back_populates="customers")
    owner = db.relationship("User", foreign_keys=[owner_id])

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def __repr__(self):
        return f"<Customer {self.id} {self.full_name!r}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(200), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False, default="")
    password_hash = db.Column(db.String(255), nullable=False)
    is_admin = db.Column(db.Boolean, nullable=False, default=False)
    role = db.Column(db.String(20), nullable=False, default="sales")  # one of ROLES
    customer_id = db.Column(db.ForeignKey("customers.id", use_alter=True))  # a client's own customer record

    customer = db.relationship(Customer, foreign_keys=[customer_id])

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_staff(self):
        return self.is_admin or self.role in ("sales", "support_lead")

    def __repr__(self):
        return f"<User {self.id} {self.email} {'admin' if self.is_admin else self.role}>"


def create_tables():
    """Create the shop's tables that do not exist yet. crm_sms's models have a metadata of their own, so this
    never touches crm_sms's tables: ``flask crm-sms upgrade`` owns those."""
    db.create_all()


def visible_customers(user, query):
    """The shop's one visibility rule: a salesperson sees the customers they own, a client their own record,
    admins and support leads every customer. Used by the shop's pages and by the SMS adapter alike."""
    if user.is_admin or user.role == "support_lead":
        return query
    if user.role == "sales":
        return query.where(Customer.owner_id == user.id)
    return query.where(Customer.id == user.customer_id)
