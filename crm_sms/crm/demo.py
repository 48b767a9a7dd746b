"""Demo data: a small CRM with users of every role. Used by ``flask crm-sms seed-demo``."""

import random
from datetime import timedelta

from ..models import Signature, db, utcnow
from ..models.signature import TEXTS
from ..services import (
    campaigns,
    consent,
    departments,
    mass_messages,
    messages,
    people,
    phone_numbers,
    provider_events,
    records,
    senders,
    settings,
    templates,
    triggers,
)
from . import users
from .models import ACCOUNT_TYPES, Account, Contact, User
from .services import phones

PASSWORD = "demo1234"
USERS = [
    ("admin", "admin"),
    ("manager", "manager"),
    ("agent", "agent"),
    ("agent2", "agent"),
    ("customer", "customer"),
]
PHONE_TYPES = [("Mobile", True), ("Office", True), ("Home", False), ("Fax", False)]
AREA_CODES = ["415", "212", "312", "617", "206", "303", "512", "404", "416", "604", "514", "403"]
FIRST = [
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Iris",
    "Jack",
    "Kate",
    "Liam",
    "Maya",
    "Noah",
    "Olive",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wendy",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jones",
    "Kim",
    "Lopez",
    "Martin",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Reyes",
    "Smith",
    "Tanaka",
    "Usman",
    "Vance",
    "Walsh",
    "Young",
]
COMPANIES = [
    "Acme",
    "Bluebird",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Northwind",
    "Oakridge",
    "Pioneer",
    "Quarry",
    "Riverside",
    "Summit",
    "Tidewater",
    "Union",
    "Valley",
    "Westfield",
    "Yellowstone",
]
SUFFIXES = ["Logistics", "Dental", "Builders", "Foods", "Energy", "Clinic", "Motors", "Realty"]
CITIES = [
    "San Francisco",
    "New York",
    "Chicago",
    "Boston",
    "Seattle",
    "Denver",
    "Austin",
    "Atlanta",
    "Toronto",
    "Vancouver",
    "Montreal",
    "Calgary",
]


def seed(accounts=40, contacts=300):
    """Create the demo users, phone types, departments, accounts and contacts.

    Returns False (and changes nothing) when the demo data is already there.
    """
    if db.session.scalar(db.select(User.id).where(User.username == "admin")):
        return False
    rng = random.Random(42)
    numbers = iter(rng.sample([f"+1{area}55501{n:02d}" for area in AREA_CODES for n in range(100)], 1000))
    types = {name: phones.save_phone_type(None, name, sms) for name, sms in PHONE_TYPES}
    support, *_ = [
        departments.save(None, name, next(numbers), f"{email}@example.com")
        for name, email in [("Support", "support"), ("Billing", "billing"), ("Sales", "sales")]
    ]
    settings.put("support_email", "support@example.com")  # the answer to HELP needs a way to reach the business
    db.session.add_all(
        [
            Signature(name="Support", department=support, text=TEXTS[3], default_for_manual=True),
            Signature(name="Short", department=support, text=TEXTS[0], default_for_bulk=True),
        ]
    )

    account_rows = []
    for i in range(accounts):
        city_index = rng.randrange(len(CITIES))
        account = Account(
            name=f"{COMPANIES[i % len(COMPANIES)]} {SUFFIXES[i % len(SUFFIXES)]}",
            type=rng.choice(ACCOUNT_TYPES),
            industry=SUFFIXES[i % len(SUFFIXES)],
            city=CITIES[city_index],
            email=f"hello@{COMPANIES[i % len(COMPANIES)].lower()}{i}.example.com",
        )
        db.session.add(account)
        phones.add(account, next(numbers), types["Office"])
        account_rows.append(account)

    contact_rows = []
    for i in range(contacts):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        account = rng.choice(account_rows) if rng.random() < 0.8 else None
        contact = Contact(
            first_name=first,
            last_name=last,
            account=account,
            title=rng.choice(["Owner", "Manager", "Buyer", None]),
            email=f"{first.lower()}.{last.lower()}{i}@example.com",
            city=account.city if account else rng.choice(CITIES),
        )
        db.session.add(contact)
        phones.add(contact, next(numbers), types["Mobile"])
        for kind in rng.sample(["Office", "Home"], rng.randrange(3)):
            phones.add(contact, next(numbers), types[kind])
        contact_rows.append(contact)

    made = {}
    for username, role in USERS:
        contact = contact_rows[0] if role == "customer" else None
        user = users.create_user(username, PASSWORD, role, email=f"{username}@example.com", contact=contact)
        made[username] = people.person_for(user)  # what crm_sms's rows point at
    main_line = senders.save(None, "+16285550100", label="Main line", is_default=True, mps=10)
    senders.save(None, "+16285550101", label="Agent's line", user=made["agent"])
    senders.save(None, "+16285550102", label="Agent 2's line", user=made["agent2"])

    # crm_sms's rows for the built-in records, as their pages would make them.
    account_rows = records.link_many("accounts", account_rows)
    contact_rows = records.link_many("contacts", contact_rows)
    # Most records opted in at their first SMS-capable number, as if imported with proof of consent.
    for owner in contact_rows + account_rows:
        if owner is contact_rows[0] or rng.random() < 0.75:
            consent.opt_in(
                owner,
                phone_numbers.sms_numbers(owner)[0],
                rng.choice(["Email", "Phone", "Paper"]),
                "import",
                "seed-demo",
                notify=False,
            )
    _seed_triggers(made["admin"])
    _seed_conversations(made, [c for c in contact_rows[1:] if consent.state_of(c) == "opted_in"][:6])

    # The saved mass messages, and a draft campaign to the contacts of customer accounts, ready to generate.
    mass_messages.ensure_saved_messages()
    sale = templates.save(
        None,
        "Spring sale",
        "contacts",
        "Hi {{ contact.first_name }}, our spring sale starts Monday: 20% off for {{ account.name }}.",
        made["manager"],
    )
    draft = campaigns.save(
        None, "Spring sale", utcnow() + timedelta(days=3), "contacts", sale, main_line, None, made["manager"]
    )
    campaigns.add_matching(draft, type="Customer")
    return True


#: Replies the demo's contacts sent (their conversations wait in the agents' inboxes).
REPLIES = [
    "Thanks! Can I come in on Friday instead?",
    "Is my order ready to pick up?",
    "Who should I call about my bill?",
]


def _seed_conversations(made, contacts):
    """Conversations in the inboxes: answered and unanswered, one with a subscriber, one from an unknown number."""
    main, own = senders.for_user(made["agent"])[1], senders.for_user(made["agent"])[0]
    for index, contact in enumerate(contacts):
        sender = own if index % 2 else main
        messages.compose(
            contact,
            phone_numbers.sms_numbers(contact)[0],
            sender,
            "Hi {{ contact.first_name }}, your order has shipped.",
            made["agent"],
        )
        if index == 2:
            messages.compose(
                contact, phone_numbers.sms_numbers(contact)[0], sender, "Adding: it arrives Thursday.", made["agent2"]
            )
        if index < len(REPLIES):
            provider_events.receive_inbound(
                {
                    "msisdn": phone_numbers.sms_numbers(contact)[0].e164.lstrip("+"),
                    "to": sender.e164.lstrip("+"),
                    "messageId": f"DEMO{index:012d}",
                    "text": REPLIES[index],
                    "type": "text",
                }
            )
    provider_events.receive_inbound(
        {
            "msisdn": "14155550299",
            "to": main.e164.lstrip("+"),
            "messageId": "DEMO-UNKNOWN",
            "text": "Hi, I saw your ad. Are you open today?",
            "type": "text",
        }
    )


#: Events the demo host fires (``flask --app wsgi fire payment.received --contact 1``) and what they send.
TRIGGERS = [
    ("payment.received", "Payment received", "Hi {{ contact.first_name }}, thank you: we received your payment."),
    (
        "appointment.reminder",
        "Appointment reminder",
        "Hi {{ contact.first_name }}, a reminder of your appointment with us tomorrow.",
    ),
]


def _seed_triggers(admin):
    for event, name, body in TRIGGERS:
        triggers.save(None, event, "contacts", templates.save(None, name, "contacts", body, admin))
