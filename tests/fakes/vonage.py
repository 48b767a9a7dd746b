"""A local Vonage SMS API, over TLS, speaking Vonage's own wire formats.

Tests point VonageProvider's rest host at it, script its answers (a status for
a number, a balance that runs out, throttling, 5xx, a slow answer, a timeout,
an answer held back until the test lets it go) and read back every request it
received, when it arrived, and every message it accepted. ``receipt()`` and ``inbound()`` build the webhook
fields Vonage posts back, signed as Vonage signs them when given a secret.

The signature code here is written from Vonage's documentation, not taken from
the SDK, so a test that passes shows the SDK and Vonage agree.
"""

import base64
import collections
import hashlib
import hmac
import itertools
import json
import ssl
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

API_KEY = "a1b2c3d4"
API_SECRET = "Secret0123456789"
SIGNATURE_SECRET = "SignatureSecret0123456789abcdef"
OUR_NUMBER = "14155550100"
THEIR_NUMBER = "447700900000"

# Vonage's error-text for each send status, as its API writes them.
ERROR_TEXTS = {
    "1": "Throttled",
    "2": "Missing params",
    "3": "Invalid params",
    "4": "Bad Credentials",
    "5": "Internal Error",
    "6": "Invalid Message",
    "7": "Number barred.",
    "8": "Partner Account Barred",
    "9": "Partner quota exceeded",
    "12": "Message Too Long",
    "14": "Invalid Signature",
    "15": "Illegal Sender Address - rejected",
    "29": "Non White-listed Destination - rejected",
}

_ids = itertools.count(0x123ABCD1)


def new_message_id():
    """A fresh id shaped like Vonage's message ids."""
    return f"0A000000{next(_ids):09X}"


def signature(params, secret, method="md5"):
    """Vonage's HMAC signature of request or webhook fields.

    Every field but ``sig``, sorted by name, as ``&name=value`` with ``&`` and
    ``=`` inside values replaced by ``_``; hex digest of HMAC(secret, method).
    """
    signed = "".join(
        f"&{name}={str(value).replace('&', '_').replace('=', '_')}"
        for name, value in sorted(params.items())
        if name != "sig"
    )
    return hmac.new(secret.encode(), signed.encode(), getattr(hashlib, method)).hexdigest()


def sign(params, secret, method="md5", api_key=API_KEY, timestamp=None):
    """``params`` plus the fields Vonage adds to a signed webhook: ``timestamp`` (unix seconds; now unless
    given, left out when ``False``), ``nonce``, and the ``sig`` over them all."""
    stamp = {} if timestamp is False else {"timestamp": str(int(time.time()) if timestamp is None else timestamp)}
    params = {**params, "api-key": api_key, **stamp, "nonce": str(uuid.uuid4())}
    return {**params, "sig": signature(params, secret, method)}


def _when(at):
    at = at or datetime.now(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S"), at.strftime("%y%m%d%H%M")


def receipt(
    message_id,
    *,
    status="delivered",
    err_code="0",
    msisdn=THEIR_NUMBER,
    to=OUR_NUMBER,
    client_ref=None,
    price="0.03330000",
    at=None,
    secret=None,
    method="md5",
):
    """A delivery receipt webhook's fields; ``msisdn`` is the recipient, ``to`` our sender."""
    timestamp, scts = _when(at)
    params = {
        "msisdn": msisdn,
        "to": to,
        "network-code": "23410",
        "messageId": message_id,
        "price": price,
        "status": status,
        "scts": scts,
        "err-code": err_code,
        "message-timestamp": timestamp,
    }
    if client_ref is not None:
        params["client-ref"] = client_ref
    return sign(params, secret, method) if secret else params


def inbound(
    text, *, msisdn=THEIR_NUMBER, to=OUR_NUMBER, message_id=None, concat=None, at=None, secret=None, method="md5"
):
    """An inbound message webhook's fields; ``concat=(ref, total, part)`` for one part of a long one."""
    timestamp, _ = _when(at)
    words = text.split()
    params = {
        "msisdn": msisdn,
        "to": to,
        "messageId": message_id or new_message_id(),
        "text": text,
        "type": "text" if text.isascii() else "unicode",
        "keyword": words[0].upper() if words else "",
        "message-timestamp": timestamp,
    }
    if concat:
        ref, total, part = concat
        params.update({"concat": "true", "concat-ref": ref, "concat-total": str(total), "concat-part": str(part)})
    return sign(params, secret, method) if secret else params


_UNAVAILABLE = "<html><body>Service Unavailable</body></html>"


def _error(status, text=None):
    return {"message-count": "1", "messages": [{"status": status, "error-text": text or ERROR_TEXTS[status]}]}


#: Transient faults, as (HTTP status, body, seconds before answering). A timeout keeps the client waiting
#: past its patience (CRM_SMS_VONAGE_TIMEOUT=1 in tests) and takes no message: sent again, it goes once.
FAULTS = {
    "timeout": (503, _UNAVAILABLE, 2),
    "500": (500, _UNAVAILABLE, 0),
    "503": (503, _UNAVAILABLE, 0),
    "throttled": (200, _error("1"), 0),
    "429": (429, "Too Many Requests", 0),
}


@dataclass(frozen=True)
class Request:
    """One request the fake received: ``form`` is the parsed body, header names are lower-case."""

    method: str
    path: str
    form: dict
    headers: dict
    at: float = 0.0  # time.monotonic() on arrival
    client: tuple = ()  # (host, port) of the connection it came on


@dataclass(frozen=True)
class Accepted:
    """A message the fake took (and charged for): what a later receipt names."""

    to: str
    client_ref: str | None
    message_id: str


class Hold:
    """An answer held back: ``arrived`` is set when the request is in, ``release()`` lets the answer go."""

    def __init__(self):
        self.arrived = threading.Event()
        self._released = threading.Event()

    def release(self):
        self._released.set()

    def _wait(self, stopping):
        self.arrived.set()
        while not (self._released.wait(0.05) or stopping.is_set()):
            pass


class VonageFake:
    """The SMS API on 127.0.0.1, with TLS from ``ca`` (a trustme.CA); use as a context manager."""

    def __init__(
        self, ca, api_key=API_KEY, api_secret=API_SECRET, signature_secret=SIGNATURE_SECRET, signature_method="md5"
    ):
        self.api_key, self.api_secret = api_key, api_secret
        self.signature_secret, self.signature_method = signature_secret, signature_method
        self.price = Decimal("0.03330000")
        self.balance = Decimal("3.14159265")
        self.delay = 0  # seconds before each answer
        self.max_rps = None  # when set, sends past this many in one second answer "1" Throttled, as Vonage does
        self.throttled = 0
        self._recent = collections.deque()
        self.requests = []
        self.accepted = []  # Accepted, in order
        self._statuses = {}  # recipient -> (status, error-text)
        self._holds = {}  # recipient -> Hold
        self._faults = []  # (HTTP status, body, seconds before answering) for the next requests, one each
        self._stretch = (0, 0, None)  # (until when (monotonic), seconds, cycle of faults): a stretch of faults
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"

    # Scripting

    def answer(self, number, status, error_text=None):
        """Answer every send to ``number`` (digits, no "+") with ``status``."""
        self._statuses[number] = (status, error_text)

    def throttle(self, times=1, http=False):
        """Refuse the next ``times`` requests as too fast: status "1", or HTTP 429 with ``http``."""
        self._faults.extend([FAULTS["429" if http else "throttled"]] * times)

    def server_error(self, times=1, status=503):
        """Answer the next ``times`` requests with an HTTP 5xx."""
        self._faults.extend([(status, _UNAVAILABLE, 0)] * times)

    def fail_for(self, seconds, *kinds):
        """For ``seconds`` from the next request on, answer each with the next of ``kinds`` (names in FAULTS)."""
        self._stretch = (None, seconds, itertools.cycle([FAULTS[kind] for kind in kinds]))

    def hold(self, number):
        """Hold back the answer to the next send to ``number`` (digits, no "+") until released; returns the Hold.

        The message is taken when the request arrives, as Vonage takes it before it answers.
        """
        self._holds[number] = Hold()
        return self._holds[number]

    # Reading back

    def sends(self):
        """How many send requests arrived for each recipient (digits, no "+"), whatever the answer."""
        return collections.Counter(r.form.get("to") for r in self.requests if r.path == "/sms/json")

    def accepted_refs(self):
        """How many times the fake took each client-ref."""
        return collections.Counter(a.client_ref for a in self.accepted)

    # Serving

    def __enter__(self):
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stopping.set()  # wakes answers held back by ``delay``, a timeout or a hold
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _answer(self, request):
        """(HTTP status, body, seconds to wait before answering, Hold or None)."""
        with self._lock:
            self.requests.append(request)
            if request.method != "POST" or request.path != "/sms/json":
                return 404, {"type": "NOT_FOUND", "title": "Not Found"}, 0, None
            if self._faults:
                return (*self._faults.pop(0), None)
            until, seconds, cycle = self._stretch
            if until is None:  # the stretch starts with the first request after it was scripted
                until = request.at + seconds
                self._stretch = (until, seconds, cycle)
            if request.at < until:
                return (*next(cycle), None)
            if self._over_rate():
                self.throttled += 1
                return 200, _error("1"), 0, None
            form = request.form
            if not self._authenticated(request):
                return 200, _error("4"), 0, None
            if "sig" in form and not self._signature_valid(form):
                return 200, _error("14"), 0, None
            for name in ("from", "to", "text"):
                if not form.get(name):
                    return 200, _error("2", f"Missing {name} param"), 0, None
            status, error_text = self._statuses.get(form["to"], ("0", None))
            if status != "0":
                return 200, _error(status, error_text), 0, None
            if self.balance < self.price:
                return 200, _error("9"), 0, None
            self.balance -= self.price
            message = {
                "to": form["to"],
                "message-id": new_message_id(),
                "status": "0",
                "remaining-balance": f"{self.balance:.8f}",
                "message-price": f"{self.price:.8f}",
                "network": "12345",
            }
            if "client-ref" in form:
                message["client-ref"] = form["client-ref"]
            self.accepted.append(Accepted(form["to"], form.get("client-ref"), message["message-id"]))
            return 200, {"message-count": "1", "messages": [message]}, 0, self._holds.pop(form["to"], None)

    def _over_rate(self):
        if self.max_rps is None:
            return False
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1:
            self._recent.popleft()
        if len(self._recent) >= self.max_rps:
            return True
        self._recent.append(now)
        return False

    def _authenticated(self, request):
        form, header = request.form, request.headers.get("authorization", "")
        if header.startswith("Basic "):
            key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return (key, secret) == (self.api_key, self.api_secret)
        if "sig" in form:
            return form.get("api_key") == self.api_key
        return (form.get("api_key"), form.get("api_secret")) == (self.api_key, self.api_secret)

    def _signature_valid(self, form):
        if not (self.signature_secret and form.get("timestamp")):
            return False
        expected = signature(form, self.signature_secret, self.signature_method)
        return hmac.compare_digest(form["sig"].lower(), expected)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (timeout) has closed its socket: not the fake's fault.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Vonage's API serves it
    disable_nagle_algorithm = True  # headers and body leave together, no delayed-ACK stall

    def do_POST(self):
        self._respond()

    def do_GET(self):
        self._respond()

    def _respond(self):
        fake = self.server.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        headers = {name.lower(): value for name, value in self.headers.items()}
        form = dict(parse_qsl(body, keep_blank_values=True))
        request = Request(self.command, self.path, form, headers, time.monotonic(), self.client_address)
        status, answer, wait, hold = fake._answer(request)
        if fake.delay or wait:
            fake._stopping.wait(fake.delay + wait)
        if hold is not None:
            hold._wait(fake._stopping)
        data = (json.dumps(answer) if isinstance(answer, dict) else answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if isinstance(answer, dict) else "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass
