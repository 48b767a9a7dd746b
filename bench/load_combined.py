"""A campaign sending at the provider limit while agents use the app: the pages' p95 during the send.

Needs gunicorn: ``pip install -e '.[test,deploy]'``.

    .venv/bin/python bench/load_combined.py [--contacts 20000] [--rps 200] [--workers 3] [--fork]
        [--page-rate 10] [--seconds 180] [--web-workers 2] [--threads 4]

Seeds ``--contacts`` opted-in contacts and a draft campaign for them all (bench/campaign_generate.py's
seed), five agents and a manager, and ``--conversations`` conversations opened by inbound messages
(through the real inbound path) that the agents then take. ``wsgi:create_app()`` runs under gunicorn;
``--workers`` real ``flask crm-sms worker`` processes (each job in the worker's own process; ``--fork``
forks a work horse per job)
generate the campaign and send it with the simulator provider at CRM_SMS_PROVIDER_RPS = ``--rps``; the
simulator's delivery receipts come back as jobs on the same queue, through the code the webhook runs.

Logged in through the real form, an agent and a manager request their pages (inbox tabs and counts, a
conversation, contact pages with their SMS panel, the sent-messages list, the campaign page and its polled
status) at ``--page-rate`` per second, open loop (see bench/_load.py): first for ``--baseline`` seconds
with nothing else running, then from the campaign's generation until every message is handed to the
provider, or ``--seconds`` of sending. Prints the progress every 5 s, then the send rate against the
limit, how long the campaign took, each page's p50/p95 and the overall p95 during the send, and how long
the receipts took to drain after the last send (at most ``--drain`` seconds, no pages requested then).

PostgreSQL when DATABASE_URL is set (its tables are dropped and rebuilt: give it a database of its own),
else a SQLite file in a temporary folder; Redis from CRM_SMS_REDIS_URL (its database is emptied), else an
embedded one.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._load import Processes, http_request, login, open_loop, percentile, serve, summary  # noqa: E402
from bench.campaign_generate import ensure_database, reset_and_seed  # noqa: E402
from bench.send_throughput import make_app, prepare  # noqa: E402
from tests.fakes.vonage import inbound  # noqa: E402

AGENTS, PASSWORD, SENDER = 5, "bench-pass", "16285550100"  # the sender campaign_generate's seed makes
CHUNK = 5  # seconds of page requests between two looks at the progress (longer when answers straggle)
UNFINISHED = ("queued", "sending")  # totals still waiting for the provider


def seed_people(app, campaign_id, conversations):
    """Agents and a manager; conversations from the first contacts, each taken by an agent; the campaign due now."""
    from crm_sms.crm import users
    from crm_sms.models import Campaign, Conversation, db, utcnow
    from crm_sms.services import conversations as conversation_service
    from crm_sms.services import people, provider_events

    with app.app_context():
        agents = [people.person_for(users.create_user(f"agent{i}", PASSWORD, "agent")) for i in range(AGENTS)]
        users.create_user("manager", PASSWORD, "manager")
        db.session.get(Campaign, campaign_id).send_at = utcnow()
        db.session.commit()
        for i in range(1, conversations + 1):
            number = f"1415{2000000 + i:07d}"  # contact i's, as campaign_generate seeds them
            provider_events.receive_inbound(inbound("Hi, when does the sale start?", msisdn=number, to=SENDER))
            conversation = db.session.scalar(db.select(Conversation).where(Conversation.phone_e164 == f"+{number}"))
            conversation_service.take(conversation, agents[i % AGENTS])
            db.session.commit()
        return db.session.scalar(db.select(Conversation.id).where(Conversation.owner_id == agents[0].id))


def pages(agent, manager, campaign_id, conversation_id, contacts):
    """(label, cookie, path) of what agents and managers open while the campaign sends."""
    return [
        ("inbox, Mine (agent)", agent, "/sms/inbox"),
        ("inbox, Unanswered pool (agent)", agent, "/sms/inbox?tab=pool"),
        ("inbox counts, polled (agent)", agent, "/sms/inbox/counts"),
        ("conversation page (agent)", agent, f"/sms/conversations/{conversation_id}"),
        ("contact page + SMS panel (agent)", agent, lambda n: f"/contacts/{1 + n * 7919 % contacts}"),
        ("inbox, All (manager)", manager, "/sms/inbox?tab=all"),
        ("sent messages list (manager)", manager, "/sms/messages"),
        ("campaign page (manager)", manager, f"/sms/campaigns/{campaign_id}"),
        ("campaign status, polled (manager)", manager, f"/sms/campaigns/{campaign_id}/status"),
    ]


class Browsing:
    """The pages requested in turn, ``rate`` per second, open loop, for a given number of seconds at a time."""

    def __init__(self, port, page_list, rate):
        self.port, self.pages, self.rate, self.made = port, page_list, rate, 0

    def run(self, seconds):
        batch = []
        for n in range(self.made, self.made + int(self.rate * seconds)):
            label, cookie, path = self.pages[n % len(self.pages)]
            batch.append((label, http_request("GET", path(n) if callable(path) else path, cookie=cookie)))
        self.made += len(batch)
        return open_loop(self.port, batch, self.rate, timeout=30)[0]


def progress(app, campaign_id):
    """(campaign status, {total key: messages}, sent so far, first and last sent_at) from the database."""
    from crm_sms.models import Campaign, Message, db
    from crm_sms.services import campaign_progress

    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        counts = campaign_progress.totals(campaign)
        first, last, sent = db.session.execute(
            db.select(db.func.min(Message.sent_at), db.func.max(Message.sent_at), db.func.count(Message.sent_at)).where(
                Message.campaign_id == campaign_id
            )
        ).one()
        status, generation = campaign.status, (campaign.generation_started_at, campaign.generated_at)
        db.session.remove()
    return status, counts, sent, first, last, generation


def report(label, results):
    ok, errors, latencies, lag = summary(results, 200)
    line = (
        f"{label:<36} {len(results):>6} {percentile(latencies, 50):>8.1f} {percentile(latencies, 95):>8.1f}"
        f" {percentile(latencies, 99):>8.1f}"
    )
    return line + (f"  errors {errors}" if errors else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--rps", type=float, default=200, help="CRM_SMS_PROVIDER_RPS, the provider limit")
    parser.add_argument("--workers", type=int, default=3, help="flask crm-sms worker processes")
    parser.add_argument("--fork", action="store_true", help="workers fork a work horse per job")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--page-rate", type=float, default=10, help="page requests per second")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--baseline", type=float, default=10, help="seconds of pages before the campaign")
    parser.add_argument("--seconds", type=float, default=180, help="most seconds of sending")
    parser.add_argument("--drain", type=float, default=60, help="most seconds to wait for the receipts")
    parser.add_argument("--delay", type=float, default=1.0, help="CRM_SMS_SIMULATOR_DELAY: seconds to a receipt")
    parser.add_argument("--logs", help="folder for gunicorn's and the workers' logs (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, Processes() as processes:
        url, redis_url, redis_server = prepare(workdir)
        args.logs = args.logs or workdir
        database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        ensure_database(url)
        app = make_app(url, redis_url)
        started = time.monotonic()
        campaign_id = reset_and_seed(app, args.contacts)
        conversation_id = seed_people(app, campaign_id, args.conversations)
        print(
            f"[{database}] seeded {args.contacts} contacts, a campaign for them all and {args.conversations} "
            f"conversations in {time.monotonic() - started:.1f} s"
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CRM_SMS_REDIS_URL": redis_url,
            "CRM_SMS_QUEUE": "bench",
            "SECRET_KEY": "bench",
            "CRM_SMS_PROVIDER": "simulator",
            "CRM_SMS_PROVIDER_RPS": str(args.rps),
            "CRM_SMS_SIMULATOR_DELAY": str(args.delay),
        }
        _, port = serve(processes, env, args.web_workers, args.threads, log=f"{args.logs}/gunicorn.log")
        agent, manager = login(port, "agent0", PASSWORD), login(port, "manager", PASSWORD)
        browsing = Browsing(port, pages(agent, manager, campaign_id, conversation_id, args.contacts), args.page_rate)
        browsing.run(len(browsing.pages) / args.page_rate)  # each page once: every worker's caches filled
        quiet = browsing.run(args.baseline)
        print(
            f"[{database}] gunicorn {args.web_workers} x {args.threads} threads; {args.workers} workers "
            f"({'forking' if args.fork else 'simple'}); limit {args.rps:g}/s; pages {args.page_rate:g}/s; "
            f"with nothing else running, page p95 {percentile(summary(quiet, 200)[2], 95):.1f} ms"
        )
        worker = ["-m", "flask", "--app", "wsgi", "crm-sms", "worker", *(["--fork"] if args.fork else [])]
        for i in range(args.workers):
            processes.start(worker, env, log=f"{args.logs}/worker-{i}.log")
        run_campaign(app, campaign_id, browsing, args, database)
        if redis_server is not None:
            redis_server.shutdown()


def run_campaign(app, campaign_id, browsing, args, database):
    from crm_sms.models import Campaign, db
    from crm_sms.queue import queue
    from crm_sms.services import campaigns

    with app.app_context():
        campaigns.generate(db.session.get(Campaign, campaign_id))
        db.session.commit()  # enqueues the generation
    started, sending, capped, during, generating = time.monotonic(), None, False, [], []
    print("    s  campaign     handed over  since last/s  delivered  queued  page p95 ms")
    previous, looked = 0, started
    while True:
        results = browsing.run(CHUNK)
        status, counts, sent, first, last, generation = progress(app, campaign_id)
        (during if first is not None else generating).extend(results)
        elapsed = time.monotonic() - started
        sending = sending or (time.monotonic() if first is not None else None)
        print(
            f"{elapsed:5.0f}  {status:<11} {sent:>12} {(sent - previous) / (time.monotonic() - looked):>13.0f} "
            f"{counts['delivered']:>10} {counts['queued']:>7} {percentile(summary(results, 200)[2], 95):>12.1f}",
            flush=True,
        )
        previous, looked = sent, time.monotonic()
        if status not in ("generating", "scheduled") and not any(counts[key] for key in UNFINISHED):
            break
        if sending is not None and time.monotonic() - sending > args.seconds:
            print(f"stopped after {args.seconds:g} s of sending (--seconds)")
            capped = True
            break
        if sending is None and elapsed > 120:
            raise SystemExit(f"nothing sent two minutes after the generation began (see the logs in {args.logs})")
    sending_done = time.monotonic()
    status, counts, sent, first, last, generation = progress(app, campaign_id)
    if generation[1] is not None:
        print(f"generation: {(generation[1] - generation[0]).total_seconds():.1f} s")
    if sent > 1:
        span = (last - first).total_seconds()
        rate = (sent - 1) / span
        print(
            f"[{database}] {sent} of {args.contacts} handed to the provider in {span:.1f} s: {rate:.1f}/s = "
            f"{rate / args.rps:.0%} of the {args.rps:g}/s limit; campaign {status}; "
            f"{counts['failed'] + counts['unknown']} failed or unknown"
        )
    # Once every message is handed over, wait for their receipts; a capped run is still sending: no wait.
    while not capped and counts["delivered"] + counts["failed"] < sent and time.monotonic() - sending_done < args.drain:
        time.sleep(1)
        status, counts, *_ = progress(app, campaign_id)
    with app.app_context():
        depth = queue().count, queue().scheduled_job_registry.count
    print(
        f"[{database}] receipts: {counts['delivered']} of {sent} delivered {time.monotonic() - sending_done:.0f} s "
        f"after the last look at sending; queue then: {depth[0]} jobs waiting, {depth[1]} scheduled"
    )
    print(
        f"\npages during the send ({len(during)} requests at {args.page_rate:g}/s; during the generation: "
        f"{len(generating)}, p95 {percentile(summary(generating, 200)[2], 95):.1f} ms)"
    )
    print(f"{'page':<36} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for label in dict.fromkeys(result.label for result in during):
        print(report(label, [result for result in during if result.label == label]))
    print(f"[{database}] " + report("all pages during the send", during))


if __name__ == "__main__":
    main()
