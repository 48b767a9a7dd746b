"""Webhooks at a rising rate against the app under gunicorn: the highest rate held with p99 under 100 ms, no errors.

Needs gunicorn: ``pip install -e '.[test,deploy]'``.

    .venv/bin/python bench/load_webhooks.py [--rates 50,100,200,400,800] [--seconds 10]
        [--workers 2] [--threads 4] [--inbound 0.2] [--generator-max]

A fresh schema (PostgreSQL when DATABASE_URL is set: its tables are dropped and rebuilt, so give it a
database of its own; else a SQLite file in a temporary folder) with enough sent messages for every receipt
(bulk insert). ``wsgi:create_app()`` runs under gunicorn (``--workers`` gthread processes of ``--threads``
threads) with Vonage's sha256 signatures on, so every webhook's signature is checked. An open-loop
generator (see bench/_load.py) posts a mix of delivery receipts, one per sent message, and inbound
messages (``--inbound`` of them, from ``--numbers`` numbers, so new conversations open and old ones
grow) at each rate of ``--rates`` for ``--seconds``, and stops after the first step with p99 >= 100 ms
or an error. Afterwards the database must show each answered receipt applied once and each answered
inbound message stored once. The webhooks do their work in the request (nothing is queued for a worker);
the queue's depth afterwards is printed to show it. "app CPU ms" is the gunicorn processes' CPU time per
request (from /proc; the database's own is not in it): steadier than latencies on a busy machine.

``--generator-max`` first measures the generator alone (its CPU per request, the rates it keeps) against a
bare asyncio server answering 204; "lag p99" in each row says whether it kept to its schedule under load.
Redis: CRM_SMS_REDIS_URL (its database is emptied), else an embedded one.
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._load import Processes, http_request, open_loop, percentile, serve, summary  # noqa: E402
from bench.campaign_generate import ensure_database  # noqa: E402
from bench.send_throughput import fresh_schema, make_app, prepare  # noqa: E402
from bench.webhooks import SIGNED, cpu_seconds, seed  # noqa: E402
from tests.fakes.vonage import inbound, receipt  # noqa: E402

AIM_MS = 100
WARM_MS = 200
STATUS, INBOUND = "/sms/webhooks/vonage/status", "/sms/webhooks/vonage/inbound"
SECRET, METHOD = SIGNED["CRM_SMS_VONAGE_SIGNATURE_SECRET"], SIGNED["CRM_SMS_VONAGE_SIGNATURE_METHOD"]


class Traffic:
    """Signed webhooks, made as needed: a receipt for each sent message in turn, every so often an inbound one."""

    def __init__(self, message_ids, inbound_share, numbers):
        self.ids, self.share, self.numbers, self.made = iter(message_ids), inbound_share, numbers, 0

    def take(self, count):
        batch = []
        for n in range(self.made, self.made + count):
            if int((n + 1) * self.share) > int(n * self.share):
                key = f"1B{n:014X}"
                params = inbound(
                    "Hello, is my order on its way?",
                    msisdn=f"1415{3000000 + n % self.numbers:07d}",
                    message_id=key,
                    secret=SECRET,
                    method=METHOD,
                )
                batch.append((("inbound", key, params["msisdn"]), http_request("POST", INBOUND, params)))
            else:
                key = next(self.ids)
                batch.append(
                    (("receipt", key, None), http_request("POST", STATUS, receipt(key, secret=SECRET, method=METHOD)))
                )
        self.made += count
        return batch


def needed_messages(args):
    requests = sum(args.rates) * args.seconds + 60 * args.workers * args.threads  # and the warm-up's
    return int(requests * (1 - args.inbound)) + 100


def post(port, batch, rate, answered, timeout=10.0):
    """Post ``batch`` at ``rate``, keeping the labels of those answered 204; returns summary() and the seconds."""
    results, elapsed = open_loop(port, batch, rate, timeout=timeout)
    answered.extend(result.label for result in results if result.status == 204)
    return (*summary(results, 204), elapsed)


def warm_up(port, traffic, concurrency, answered):
    """Rounds of a few requests at once until all are answered quickly: gunicorn listens before its workers
    have loaded the app (seconds each on a busy machine), and a worker's first requests fill its caches."""
    for _ in range(60):
        ok, errors, latencies, *_ = post(port, traffic.take(concurrency), concurrency * 4, answered, timeout=60)
        if errors:
            raise SystemExit(f"errors while warming up: {errors}")
        if max(latencies) < WARM_MS:
            return
    raise SystemExit("the server did not warm up")


def step(server, port, traffic, rate, seconds, answered):
    """One step at ``rate``; prints its row and returns whether it was held."""
    batch, cpu = traffic.take(int(rate * seconds)), cpu_seconds(server.pid)
    ok, errors, latencies, lag, elapsed = post(port, batch, rate, answered)
    cpu = (cpu_seconds(server.pid) - cpu) / len(batch) * 1000
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    held = p99 < AIM_MS and not errors
    print(
        f"{rate:>8} {ok / elapsed:>9.0f} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f} {sum(errors.values()):>7} "
        f"{lag:>8.1f} {cpu:>11.1f}   {'held' if held else 'NOT held'}{' ' + str(errors) if errors else ''}",
        flush=True,
    )
    return held


def verify(app, answered):
    """Each answered receipt applied once, each answered inbound message stored once; prints what it finds."""
    from crm_sms.models import Conversation, Message, MessageEvent, db
    from crm_sms.queue import queue

    receipts = {key for kind, key, _ in answered if kind == "receipt"}
    inbounds = {key: number for kind, key, number in answered if kind == "inbound"}
    with app.app_context():
        delivered = set(db.session.scalars(db.select(Message.provider_id).where(Message.status == "delivered")))
        delivery_events = db.session.scalar(
            db.select(db.func.count(MessageEvent.id)).where(MessageEvent.status == "delivered")
        )
        stored = list(db.session.scalars(db.select(Message.provider_id).where(Message.direction == "inbound")))
        conversations = db.session.scalar(db.select(db.func.count(Conversation.id)))
        depth = queue().count, queue().scheduled_job_registry.count
        db.engine.dispose()
    receipts_ok = delivered == receipts and delivery_events == len(receipts)
    inbound_ok = len(stored) == len(set(stored)) and set(stored) == set(inbounds)
    opened = len({f"+{number}" for number in inbounds.values()})
    print(
        f"receipts: {len(receipts)} answered, {len(delivered)} messages delivered, {delivery_events} delivery "
        f"events: {'each applied once' if receipts_ok else 'MISMATCH'}"
        f"{'' if receipts_ok else f' (delivered but not answered: {len(delivered - receipts)})'}"
    )
    print(
        f"inbound: {len(inbounds)} answered, {len(stored)} stored ({len(set(stored))} distinct): "
        f"{'each stored once' if inbound_ok else 'MISMATCH'}; {conversations} conversations for {opened} numbers"
    )
    print(f"queue afterwards: {depth[0]} jobs waiting, {depth[1]} scheduled (the webhooks work in the request)")
    return receipts_ok and inbound_ok and conversations == opened


BARE_SERVER = """
import asyncio
async def answer(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = [l for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length:")]
            await reader.readexactly(int(length[0].split(b":")[1]) if length else 0)
            writer.write(b"HTTP/1.1 204 No Content\\r\\n\\r\\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", PORT)
    await server.serve_forever()
asyncio.run(main())
"""


def generator_max(processes, seconds):
    """The generator's own cost against a bare server answering 204: CPU per request, and the rates it keeps."""
    import resource
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = processes.start(["-c", BARE_SERVER.replace("PORT", str(port))], os.environ)
    time.sleep(0.5)
    traffic = Traffic(iter(f"0B{i:014X}" for i in range(10**9)), 0.2, 1000)
    for rate in (500, 1000, 2000, 4000):
        batch = traffic.take(int(rate * min(seconds, 5)))
        before = resource.getrusage(resource.RUSAGE_SELF)
        results, elapsed = open_loop(port, batch, rate)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        ok, errors, latencies, lag = summary(results, 204)
        print(
            f"generator alone at {rate}/s: {ok / elapsed:.0f}/s achieved, {cpu / len(batch) * 1e6:.0f} us CPU per "
            f"request (one core: {len(batch) / cpu:.0f}/s), p99 {percentile(latencies, 99):.1f} ms, "
            f"lag p99 {lag:.1f} ms, errors {sum(errors.values())}"
        )
        if errors or lag > 5 or ok / elapsed < 0.98 * rate:
            break
    processes.stop(server)
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rates",
        type=lambda text: [int(rate) for rate in text.split(",")],
        default=[50, 100, 200, 400, 800],
        help="requests per second of each step, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--inbound", type=float, default=0.2, help="share of the requests that are inbound messages")
    parser.add_argument("--numbers", type=int, default=2000, help="numbers the inbound messages come from")
    parser.add_argument("--generator-max", action="store_true", help="first measure the generator alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, Processes() as processes:
        if args.generator_max:
            generator_max(processes, args.seconds)
        url, redis_url, redis_server = prepare(workdir)
        database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        ensure_database(url)
        schema_app = make_app(url, redis_url)
        with schema_app.app_context():
            fresh_schema(schema_app)
        app, ids = seed(url.replace("postgresql://", "postgresql+psycopg://", 1), redis_url, needed_messages(args))
        env = {**os.environ, **SIGNED, "DATABASE_URL": url, "CRM_SMS_REDIS_URL": redis_url, "SECRET_KEY": "bench"}
        server, port = serve(processes, env, args.workers, args.threads, log=f"{workdir}/gunicorn.log")
        print(
            f"[{database}] gunicorn {args.workers} workers x {args.threads} threads; signed webhooks (sha256); "
            f"{args.inbound:.0%} inbound, {1 - args.inbound:.0%} receipts; {args.seconds:g} s per step; open loop"
        )
        traffic, answered = Traffic(ids, args.inbound, args.numbers), []
        warm_up(port, traffic, args.workers * args.threads, answered)
        print("offered/s achieved/s  p50 ms  p95 ms  p99 ms  errors  lag p99  app CPU ms")
        highest = 0
        for rate in args.rates:
            if not step(server, port, traffic, rate, args.seconds, answered):
                break
            highest = rate
        processes.stop(server)
        print(f"[{database}] highest rate held: {highest}/s (p99 under {AIM_MS} ms, no errors)")
        if not verify(app, answered):
            print("VERIFY FAILED")
        if redis_server is not None:
            redis_server.shutdown()


if __name__ == "__main__":
    main()
