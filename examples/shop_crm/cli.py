"""``flask shop init-db`` (the shop's tables) and ``flask shop seed`` (demo users and records)."""

import click
from flask.cli import AppGroup

from .models import Company, Customer, User, create_tables, db

group = AppGroup("shop", help="The shop's own database and demo data.")

PASSWORD = "shop-pass"

#: (email, name, role, is_admin)
USERS = [
    ("admin@shop.test", "Alex Admin", "support_lead", True),
    ("lead@shop.test", "Lee Lead", "support_lead", False),
    ("sam@shop.test", "Sam Sales", "sales", False),
    ("sue@shop.test", "Sue Sales", "sales", False),
]

COMPANIES = [
    ("Bayview Bikes", "San Francisco", "(415) 555-0100"),
    ("Thames Tea", "London", "+44 20 7946 0958"),
    ("Lakeside Labs", "Chicago", None),
]

#: (first, last, email, city, mobile, phone, company, owner) — numbers as people type them.
CUSTOMERS = [
    ("Ada", "Lovelace", "ada@example.com", "San Francisco", "(415) 555-0101", None, "Bayview Bikes", "sam"),
    ("Alan", "Turing", "alan@example.com", "San Francisco", "415.555.0102", "415-555-0202", "Bayview Bikes", "sam"),
    ("Grace", "Hopper", "grace@example.com", "Chicago", "+1 312 555 0103", None, "Lakeside Labs", "sue"),
    ("Katherine", "Johnson", "kj@example.com", "Chicago", "312 555 0104", None, None, "sue"),
    ("Tim", "Berners-Lee", "tim@example.co.uk", "London", None, "+44 20 7946 0105", "Thames Tea", "sue"),
    ("Nobody", "Reachable", None, "Chicago", "call me after 6", None, None, "sam"),
]


@group.command("init-db")
def init_db():
    """Create the shop's tables (crm_sms's: ``flask crm-sms upgrade``)."""
    create_tables()
    click.echo("Shop tables ready.")


@group.command("seed")
def seed():
    """Demo users, companies and customers, once; a client login for Ada."""
    if db.session.scalar(db.select(User).limit(1)) is not None:
        click.echo("Demo data already there.")
    else:
        users = {}
        for email, name, role, is_admin in USERS:
            users[email.split("@")[0]] = user = User(email=email, name=name, role=role, is_admin=is_admin)
            user.set_password(PASSWORD)
        companies = {name: Company(name=name, city=city, phone=phone) for name, city, phone in COMPANIES}
        customers = [
            Customer(
                first_name=first,
                last_name=last,
                email=email,
                city=city,
                mobile=mobile,
                phone=phone,
                company=companies.get(company),
                owner=users[owner],
            )
            for first, last, email, city, mobile, phone, company, owner in CUSTOMERS
        ]
        db.session.add_all([*users.values(), *companies.values(), *customers])
        db.session.flush()
        client = User(email="ada@example.com", name="Ada Lovelace", role="client", customer_id=customers[0].id)
        client.set_password(PASSWORD)
        db.session.add(client)
        db.session.commit()
        click.echo("Demo data created.")
    click.echo(f"Log in with any of these (password {PASSWORD}):")
    for email, _name, role, is_admin in USERS:
        click.echo(f"  {email:<18} {'admin' if is_admin else role}")
    click.echo(f"  {'ada@example.com':<18} client (Ada Lovelace's own page)")
