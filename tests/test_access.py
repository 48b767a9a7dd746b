"""Every route, every method, every role, with other people's object ids: access is what the role table grants.

Generated from ``app.url_map``: a route added later is walked too, and one that
neither checks a permission (``permission_required``) nor is declared below
fails the test until someone says who may use it. What a role may do comes
from ``auth.ROLE_PERMISSIONS``; what an object adds comes from ``OBJECTS``
(someone else's draft: nobody; someone else's conversation: those who may read
every conversation). A request the role is not granted must answer 403, 404 or
a redirect to the login page; any request must not answer 5xx.
"""

import itertools
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from crm_sms.models import Conversation, Message, Subscription, db, utcnow
from crm_sms.services import campaigns, departments, messages, signatures, templates, triggers
from crm_sms.services.auth import ROLE_PERMISSIONS
from tests.conftest import PASSWORD, builtin

#: Anyone, logged in or not, may call these (each checks its own input).
PUBLIC = "public"
#: Routes that check access in their own way, with the permission that grants them here (the ids are someone
#: else's: a customer's own contact would be theirs, another's is not).
DECLARED = {
    "auth.index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "health.check": PUBLIC,
    "webhooks.inbound": PUBLIC,
    "webhooks.status": PUBLIC,
    "static": PUBLIC,
    "crm_sms.static": PUBLIC,
    "contacts.show": "crm.view",
    "contacts.edit": "crm.edit",
    "phone_numbers.add": "crm.edit",
    "phone_numbers.edit": "crm.edit",
    "phone_numbers.delete": "crm.edit",
}
#: The object's owner (here the "agent" role's user, Grace): her draft and her conversation are hers.
AUTHOR = "author"

ROLES = ("admin", "manager", "agent", "second agent", "customer", "anonymous")
USERNAMES = {"admin": "root", "manager": "mark", "second agent": "alan", "customer": "casey"}


@pytest.fixture
def world(make_user, make_contact, make_account, make_sender, opt_in):
    """Objects that belong to people other than the one logged in (Grace's draft and conversation aside)."""
    grace = make_user("grace", "agent")
    olga = make_user("olga", "manager")  # wrote the template and the campaign
    ada = opt_in(make_contact("Ada", "Lovelace", numbers=("+14155550101",)))
    make_user("ada", "customer", contact=ada)  # Ada's contact is another customer's
    acme = opt_in(make_account("Acme Logistics", numbers=("+12125550101",)))
    shared = make_sender("+16285550100")
    line = make_sender("+16285550111", user=grace)
    draft = messages.compose(ada, ada.phone_numbers[0], line, "Grace's unsent draft", grace, draft=True)
    sent = messages.compose(acme, acme.phone_numbers[0], line, "Grace's conversation", grace)
    template = templates.save(None, "Sale", "contacts", "Hi {{ contact.first_name }}", olga)
    campaign = campaigns.save(
        None, "Spring sale", utcnow() + timedelta(days=1), "contacts", template, shared, None, olga
    )
    campaigns.add_records(campaign, [ada.id])
    department = departments.save(None, "Support", "+16285550199", "support@example.com")
    signature = signatures.save(None, "Short", department, "Reply STOP to unsubscribe.")
    rule = triggers.save(None, "payment.received", "contacts", template)
    db.session.commit()
    conversation = db.session.scalar(db.select(Conversation))
    return dict(
        grace=grace.id,
        draft=draft.id,
        ada=int(ada.host_id),  # the built-in CRM's pages name its own ids
        acme=int(acme.host_id),
        ada_record=ada.id,  # crm_sms's pages name the record's
        acme_record=acme.id,
        phone=builtin(ada).phone_numbers[0].id,
        conversation=conversation.id,
        message=sent.id,
        template=template.id,
        campaign=campaign.id,
        rule=rule.id,
        line=line.id,
        signature=signature.id,
        department=department.id,
        phone_type=builtin(ada).phone_numbers[0].type_id,
    )


def objects(world):
    """Per URL argument: the values to try, each with what it needs beyond the route's permission."""
    record = {"crm.view"}
    return {
        "message_id": [(world["draft"], {AUTHOR}), (world["message"], {AUTHOR, "conversations.all"})],
        "conversation_id": [(world["conversation"], {AUTHOR, "conversations.all"})],
        "kind": [
            ({"kind": "contacts", "owner_id": world["ada_record"]}, record),
            ({"kind": "accounts", "owner_id": world["acme_record"]}, record),
        ],
        "record_id": [(world["ada_record"], record)],
        "contact_id": [(world["ada"], record)],
        "account_id": [(world["acme"], record)],
        "phone_id": [(world["phone"], record)],
        "action": [("take", None), ("join", None), ("leave", None)],
        "campaign_id": [(world["campaign"], None)],
        "template_id": [(world["template"], None)],
        "rule_id": [(world["rule"], None)],
        "sender_id": [(world["line"], None)],
        "signature_id": [(world["signature"], None)],
        "department_id": [(world["department"], None)],
        "type_id": [(world["phone_type"], None)],
        "filename": [("crm_sms.css", None)],
    }


def _route_permission(app, rule):
    view = app.view_functions[rule.endpoint]
    permission = getattr(view, "permission", None) or DECLARED.get(rule.endpoint)
    assert permission is not None, (
        f"{rule.endpoint} ({rule.rule}) checks no permission with permission_required: declare who may use it in "
        "tests/test_access.py DECLARED"
    )
    return permission


def _requests(app, world):
    """Every (method, url, route permission, object needs) of the URL map, destructive ones last."""
    table = objects(world)
    rules = sorted(
        app.url_map.iter_rules(),
        key=lambda r: (r.endpoint == "auth.logout", r.endpoint.endswith(("delete", "cancel")), r.rule),
    )
    for rule in rules:
        permission = _route_permission(app, rule)
        arguments = sorted(rule.arguments - {"owner_id"})
        unknown = [a for a in arguments if a not in table]
        assert not unknown, f"{rule.rule}: say in objects() whose {unknown} to try"
        for choice in itertools.product(*(table[a] for a in arguments)):
            values, needs = {}, []
            for argument, (value, need) in zip(arguments, choice, strict=True):
                values.update(value if isinstance(value, dict) else {argument: value})
                if need:
                    needs.append(need)
            url = rule.build(values, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url, rule, permission, needs


def _granted(role, permission, needs, user_id, world):
    held = ROLE_PERMISSIONS.get(role if role != "second agent" else "agent", frozenset())
    if permission != PUBLIC and permission not in held:
        return False
    mine = user_id == world["grace"]
    return all((AUTHOR in need and mine) or (need - {AUTHOR}) & held for need in needs)


def _denied(response):
    if response.status_code in (401, 403, 404):
        return True
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code in (302, 303) and location.path == "/login"


def walk(app, client, role, user_id, world):
    """Every request of the URL map as ``role``; returns the faults, the rules walked and how many requests."""
    faults, walked, requests = [], set(), 0
    for method, url, rule, permission, needs in _requests(app, world):
        walked.add(id(rule))
        requests += 1
        granted = _granted(role, permission, needs, user_id, world)
        try:
            response = client.open(url, method=method, data={})
        except Exception as error:  # TESTING propagates what would be a 500
            faults.append(f"{role}: {method} {url} raised {error!r}")
            db.session.rollback()
            continue
        response.close()  # a static file's handle
        if response.status_code >= 500:
            faults.append(f"{role}: {method} {url} answered {response.status_code}")
        elif not granted and not _denied(response):
            faults.append(
                f"{role}: {method} {url} answered {response.status_code} "
                f"{response.headers.get('Location', '')} but the role table does not grant it"
            )
    return faults, walked, requests


def _log_in(client, role, world, make_user, make_contact):
    """Log in as ``role`` (Grace is the agent; the customer has a contact of their own); returns the user id."""
    if role == "anonymous":
        return None
    if role == "agent":
        user_id, username = world["grace"], "grace"
    else:
        contact = make_contact("Casey", "Customer", numbers=("+14155550142",)) if role == "customer" else None
        user = make_user(USERNAMES[role], "agent" if role == "second agent" else role, contact=contact)
        user_id, username = user.id, user.name
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return user_id


@pytest.mark.parametrize("role", ROLES)
def test_every_route_grants_only_what_the_role_table_grants(app, client, world, role, make_user, make_contact):
    user_id = _log_in(client, role, world, make_user, make_contact)
    started = time.monotonic()
    faults, walked, requests = walk(app, client, role, user_id, world)
    assert not faults, "\n".join(faults)
    assert len(walked) == len(list(app.url_map.iter_rules()))
    db.session.expire_all()
    if role != "agent":  # Grace's draft and conversation are untouched by anyone else's walk
        assert db.session.get(Message, world["draft"]).status == "draft"
        assert db.session.scalar(db.select(db.func.count()).select_from(Subscription)) == 0
        assert db.session.get(Conversation, world["conversation"]).owner_id == world["grace"]
    print(f"{role}: {len(walked)} rules, {requests} requests in {time.monotonic() - started:.1f} s")
