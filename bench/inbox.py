"""How fast the inbox and a conversation render with many conversations (aim: p95 under 100 ms server time).

    .venv/bin/python bench/inbox.py [--conversations 50000] [--messages 4] [--requests 200]

Seeds ``--conversations`` conversations with their contacts, numbers and
``--messages`` messages each (bulk inserts), 20 agents owning them in turn,
a tenth of them subscribed by a second agent and a tenth in the pool, with
unread alerts. Then times pages through the app in process (server time: the
WSGI call, no network): each inbox tab, a search, the polled list, the
navigation counts, and a conversation's page and its polled thread.

SQLite in a temporary folder unless DATABASE_URL is set; Redis from
CRM_SMS_REDIS_URL, else an embedded one.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.send_throughput import fresh_schema, make_app, prepare, records_from_builtin  # noqa: E402

AGENTS = 20
PASSWORD = "bench-pass"


def seed(app, count, per_conversation):
    from crm_sms.crm import users
    from crm_sms.crm.models import Contact, PhoneNumber, PhoneType
    from crm_sms.models import (
        Conversation,
        Message,
        Notification,
        SenderNumber,
        Subscription,
        db,
        utcnow,
    )
    from crm_sms.services import people

    with app.app_context():
        fresh_schema(app)
        started = time.perf_counter()
        now = utcnow()
        db.session.add(PhoneType(id=1, name="Mobile", sms_capable=True))
        db.session.add(SenderNumber(e164="+16285550100", label="Main", is_default=True, mps=100))
        agents = [people.person_for(users.create_user(f"agent{i}", PASSWORD, "agent")) for i in range(AGENTS)]
        users.create_user("manager", PASSWORD, "manager")
        db.session.flush()
        ids = [agent.id for agent in agents]
        rng = random.Random(7)
        first = ["Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Iris", "Jack"]
        chunk = 5000
        for start in range(0, count, chunk):
            block = range(start, min(start + chunk, count))
            number = {i: f"+1415{2000000 + i:07d}" for i in block}
            at = {i: now - timedelta(minutes=count - i) for i in block}
            db.session.execute(
                db.insert(Contact),
                [
                    {
                        "id": i + 1,
                        "first_name": first[i % 10],
                        "last_name": f"Person{i}",
                        "ready": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in block
                ],
            )
            db.session.execute(
                db.insert(PhoneNumber),
                [
                    {
                        "contact_id": i + 1,
                        "type_id": 1,
                        "e164": number[i],
                        "region": "US",
                        "is_primary": True,
                        "created_at": now,
                    }
                    for i in block
                ],
            )
            records_from_builtin(db, contacts_after=start)
            db.session.execute(
                db.insert(Message),
                [
                    {
                        "direction": "inbound" if k % 2 else "outbound",
                        "kind": "inbound" if k % 2 else "manual",
                        "status": "received" if k % 2 else "delivered",
                        "body": f"Message {k} of conversation {i}",
                        "phone_e164": number[i],
                        "sender_e164": "+16285550100",
                        "contact_id": i + 1,
                        "author_id": None if k % 2 else ids[i % AGENTS],
                        "client_ref": uuid.uuid4().hex,
                        "send_at": at[i],
                        "created_at": at[i] + timedelta(seconds=k),
                        "status_changed_at": at[i],
                    }
                    for i in block
                    for k in range(per_conversation)
                ],
            )
            db.session.execute(
                db.insert(Conversation),
                [
                    {
                        "id": i + 1,
                        "phone_e164": number[i],
                        "sender_e164": "+16285550100",
                        "contact_id": i + 1,
                        "owner_id": ids[i % AGENTS],
                        "created_at": at[i],
                        "last_message_at": at[i],
                        "last_text": f"Message {per_conversation - 1} of conversation {i}",
                        "last_direction": "inbound",
                        "awaiting_since": at[i] if i % 3 == 0 else None,
                        "pooled_at": at[i] if i % 10 == 0 else None,
                    }
                    for i in block
                ],
            )
            db.session.execute(
                db.insert(Subscription),
                [
                    {"conversation_id": i + 1, "user_id": ids[(i // 10 + 1) % AGENTS], "since": at[i]}
                    for i in block
                    if i % 10 == 5
                ],
            )
            first_messages = dict(
                db.session.execute(
                    db.select(Message.phone_e164, db.func.max(Message.id))
                    .where(Message.phone_e164.in_(number.values()))
                    .group_by(Message.phone_e164)
                ).all()
            )
            db.session.execute(
                db.insert(Notification),
                [
                    {
                        "user_id": ids[i % AGENTS],
                        "conversation_id": i + 1,
                        "message_id": first_messages[number[i]],
                        "at": at[i],
                        "read_at": None if rng.random() < 0.2 else at[i],
                    }
                    for i in block
                ],
            )
            db.session.commit()
        seconds = time.perf_counter() - started
        messages = db.session.scalar(db.select(db.func.count()).select_from(Message))
        print(f"seeded {count:,} conversations and {messages:,} messages in {seconds:.1f} s")


def timed(client, url, times):
    """Milliseconds per request, after one warm-up."""
    assert client.get(url).status_code == 200, url
    took = []
    for _ in range(times):
        start = time.perf_counter()
        response = client.get(url, headers={"HX-Request": "true"} if "partial" in url else {})
        took.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return took


def report(label, took):
    took = sorted(took)
    p95 = took[int(len(took) * 0.95) - 1]
    print(
        f"{label:<44} p50 {statistics.median(took):6.1f} ms   p95 {p95:6.1f} ms   "
        f"{'ok' if p95 < 100 else 'OVER 100 ms'}"
    )
    return p95


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url, redis_url, server = prepare(workdir)
        app = make_app(url, redis_url, WTF_CSRF_ENABLED=False)
        seed(app, args.conversations, args.messages)
        from crm_sms.models import Conversation, db

        with app.app_context():
            mine = db.session.scalar(
                db.select(Conversation.id)
                .where(Conversation.owner_id == 1)
                .order_by(Conversation.last_message_at.desc())
            )
        agent, manager = app.test_client(), app.test_client()
        agent.post("/login", data={"username": "agent0", "password": PASSWORD})
        manager.post("/login", data={"username": "manager", "password": PASSWORD})
        n = args.requests
        pages = [
            ("inbox, Mine (agent)", agent, "/sms/inbox"),
            ("inbox, Mine, page 50 (agent)", agent, "/sms/inbox?tab=mine&page=50"),
            ("inbox, Subscribed (agent)", agent, "/sms/inbox?tab=subscribed"),
            ("inbox, Unanswered pool (agent)", agent, "/sms/inbox?tab=pool"),
            ("inbox, All (manager)", manager, "/sms/inbox?tab=all"),
            ("inbox, All, search a name (manager)", manager, "/sms/inbox?tab=all&q=Person4242"),
            ("inbox, All, search a number (manager)", manager, "/sms/inbox?tab=all&q=4152004242"),
            ("inbox list as polled (htmx)", agent, "/sms/inbox?tab=mine&partial=1"),
            ("navigation counts (polled)", agent, "/sms/inbox/counts"),
            ("conversation page", agent, f"/sms/conversations/{mine}"),
            ("conversation thread as polled (htmx)", agent, f"/sms/conversations/{mine}/messages?partial=1"),
        ]
        print(f"{args.conversations:,} conversations; {n} requests each; server time in process")
        worst = max(report(label, timed(client, url, n)) for label, client, url in pages)
        print(f"worst p95: {worst:.1f} ms ({'under' if worst < 100 else 'OVER'} the 100 ms aim)")
        if server is not None:
            server.shutdown()


if __name__ == "__main__":
    main()
