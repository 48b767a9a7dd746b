"""What the load benches share: their subprocesses, an open-loop HTTP load generator, logging in, percentiles.

The generator keeps a constant arrival rate whatever the server does (open loop): request ``i`` is due at
``start + i / rate`` and its latency is counted from then, so time spent waiting for a free connection (the
server is behind) is part of it. It is asyncio on raw keep-alive sockets, light enough that on a small
machine the server, not the generator, is what gives out; each result also says how late the generator
itself started the request (``lag``), so a generator that falls behind shows.
"""

import asyncio
import math
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.send_throughput import ROOT


class Processes:
    """The bench's subprocesses, each in a session of its own; all stopped (with their children) on exit or Ctrl-C."""

    def __init__(self):
        self.running = []

    def __enter__(self):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill runs the clean-up as Ctrl-C does
        return self

    def start(self, args, env, log=None):
        output = open(log, "ab") if log else subprocess.DEVNULL
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )
        self.running.append(process)
        return process

    def stop(self, process, grace=10):
        """SIGTERM to the process's group (an RQ worker and its work horse, gunicorn and its workers), then SIGKILL."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process in self.running:
            self.running.remove(process)

    def __exit__(self, *exc):
        for process in list(self.running):
            self.stop(process)


def serve(processes, env, workers, threads, log=None):
    """``wsgi:create_app()`` under gunicorn (gthread workers) on a free local port; (process, port) once it answers."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from gunicorn.config import KNOWN_SETTINGS

    # Gunicorn 25+ opens a control socket at one path per user: several benches at once would share it.
    private = ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []
    process = processes.start(
        [
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            *private,
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:create_app()",
        ],
        env,
        log,
    )
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up (see {log})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gunicorn did not start")


def http_request(method, path, form=None, cookie=None):
    """The bytes of an HTTP/1.1 request (keep-alive), with ``form`` as a urlencoded body."""
    body = urlencode(form).encode() if form is not None else b""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if form is not None:
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class Result:
    label: str
    latency: float  # seconds from when the request was due to its whole answer
    status: object  # the HTTP status, or the name of the error
    lag: float  # seconds the generator was late starting it


async def _exchange(reader, writer, raw):
    """Send one request and read its whole answer; returns (status, whether the connection stays open)."""
    writer.write(raw)
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return status, headers.get("connection", "").lower() != "close"


async def _open_loop(port, requests, rate, connections, timeout):
    loop = asyncio.get_running_loop()
    idle, slots, results = [], asyncio.Semaphore(connections), []

    async def one(label, raw, due):
        began = loop.time()
        async with slots:
            connection, keep = (idle.pop() if idle else None), False
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", port)
                async with asyncio.timeout(timeout):
                    status, keep = await _exchange(*connection, raw)
            except (
                TimeoutError,
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
                IndexError,
            ) as error:
                status = type(error).__name__
            finished = loop.time()
            if keep:
                idle.append(connection)
            elif connection is not None:
                connection[1].close()
        results.append(Result(label, finished - due, status, began - due))

    start = loop.time() + 0.01
    tasks = []
    for i, (label, raw) in enumerate(requests):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))  # sleep(0) still lets answers in when behind
        tasks.append(asyncio.create_task(one(label, raw, due)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return results, loop.time() - start


def open_loop(port, requests, rate, connections=64, timeout=10.0):
    """Send ``requests`` ([(label, raw bytes)]) at ``rate`` per second; returns ([Result], seconds it took)."""
    return asyncio.run(_open_loop(port, requests, rate, connections, timeout))


def percentile(values, q):
    """The ``q``-th percentile (nearest rank) of ``values``; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def login(port, username, password):
    """Log in through the real form (CSRF token and all); returns the session's Cookie header."""
    import requests

    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text
    )
    answer = session.post(
        f"http://127.0.0.1:{port}/login",
        timeout=30,
        allow_redirects=False,
        data={"csrf_token": token.group(1), "username": username, "password": password},
    )
    if answer.status_code != 302:
        raise SystemExit(f"could not log in as {username}: HTTP {answer.status_code}")
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def summary(results, expected):
    """(answered as expected, errors {kind: count}, latencies in ms of all, generator lag p99 in ms)."""
    errors = {}
    for result in results:
        if result.status != expected:
            errors[result.status] = errors.get(result.status, 0) + 1
    ok = sum(1 for result in results if result.status == expected)
    return ok, errors, [r.latency * 1000 for r in results], percentile([r.lag * 1000 for r in results], 99)
