"""Records: crm_sms's own rows for the host's contacts and accounts, kept in step with the host.

``link`` is the one way from a host record to a ``Record``: it gets or creates the row and brings its name,
account and numbers in step with the host now. The sync rules:

- a number is known by its E.164 form within a record; one the host no longer has stays, ``current`` false,
  with its messages and consent history, and is the same row again if it comes back;
- a new number in the slot (``Phone.key``) of a replaced one is the slot's number now: it inherits the
  preferred-SMS flag, so it is the one texted next;
- consent to text and suppressions are kept per number (``Suppression`` by E.164, the consent row names its
  number), so an opted-out number stays opted out on whichever record it appears again;
- numbers in any free format are normalised (``CRM_SMS_DEFAULT_REGION`` for national ones), of any country
  (the consent rules refuse a country not allowed); one that cannot be read is left out and listed in
  ``record.unreadable`` for the panel to show.
"""

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import inspect

from ..host import Host, HostError, Phone, host
from ..models import PhoneNumber, Record, db, utcnow
from . import phone_numbers

#: How many host records ``link_many`` loads and syncs per statement.
BATCH = 500


def link(host_record):
    """The ``Record`` of a host contact or account, created if new, synced with the host now; flushes.

    A ``Record`` is returned as it is; None stays None.
    """
    if host_record is None or isinstance(host_record, Record):
        return host_record
    kind = host.kind_of(host_record)
    host_id = host.id_of(host_record)
    record = db.session.scalar(db.select(Record).where(Record.kind == kind, Record.host_id == host_id))
    if record is None:
        record = Record(kind=kind, host_id=host_id)
        db.session.add(record)
    _sync(record, host_record)
    db.session.flush()
    return record


def link_many(kind, host_records):
    """The ``Record`` of each host record (in the same order), created and synced like ``link``, in batches:
    one query for the existing rows and their numbers per batch, and the new rows inserted together."""
    host = _host()
    host_records = list(host_records)
    found = []
    for start in range(0, len(host_records), BATCH):
        batch = host_records[start : start + BATCH]
        ids = [host.id_of(h) for h in batch]
        existing = {
            r.host_id: r
            for r in db.session.scalars(
                db.select(Record)
                .where(Record.kind == kind, Record.host_id.in_(ids))
                .options(db.selectinload(Record.numbers))
            )
        }
        accounts = {}
        if kind == "contacts" and host.account_model is not None:
            owners = _unique([a for a in (host.account_of(h) for h in batch) if a is not None])
            accounts = {r.host_id: r for r in link_many("accounts", owners)}
        for host_id, host_record in zip(ids, batch, strict=True):
            record = existing.get(host_id)
            if record is None:
                record = existing[host_id] = Record(kind=kind, host_id=host_id, numbers=[])
                db.session.add(record)
            _sync(record, host_record, accounts)
            found.append(record)
        db.session.flush()
    return found


def host_record(record):
    """The host's object for a ``Record`` (None once the host deleted it)."""
    model = host.model(record.kind)
    if model is None:
        return None
    return db.session.get(model, _key(record.kind, record.host_id))


def host_records(kind, records):
    """{record id: host object} for records of one kind, in one query (deleted ones left out)."""
    host = _host()
    model = host.model(kind)
    column = host.primary_key(kind)
    by_key = {_key(kind, r.host_id): r.id for r in records}
    if model is None or not by_key:
        return {}
    found = db.session.scalars(db.select(model).where(column.in_(list(by_key))).options(*host.load_options(kind)))
    return {by_key[_key(kind, host.id_of(h))]: h for h in found}


def url(record):
    """The record's page on the host; None once the host deleted it."""
    found = host_record(record)
    return host.url(found) if found is not None else None


def values(record):
    """{variable: text or None} of the record for template variables (empty once the host deleted it)."""
    found = host_record(record) if record is not None else None
    return _values(record.kind, found) if found is not None else {}


def values_many(kind, records):
    """{record id: values} of many records of one kind, the host records loaded in one query."""
    return values_of_hosts(kind, host_records(kind, records))


def values_of_hosts(kind, hosts):
    """{record id: values} for {record id: host record} already loaded."""
    return {id: _values(kind, found) for id, found in hosts.items()}


def sync(record):
    """Bring an existing ``Record`` in step with its host record (before choosing the number to text); flushes.

    Returns the host record, or None when the host deleted it (the record keeps what it had).
    """
    found = host_record(record)
    if found is not None:
        _sync(record, found)
        db.session.flush()
    return found


def _values(kind, found):
    names = host.variables.get(kind, ())
    given = host.values(found) or {}
    return {name: None if given.get(name) is None else str(given.get(name)) for name in names}


def values_of_host(host_record):
    """{"contact": values, "account": values} of a host record (a contact's account fills ``account``), for a
    preview: what ``rendering.record_values`` would read for its ``Record``."""
    kind = host.kind_of(host_record)
    if kind == "accounts":
        return {"account": _values("accounts", host_record)}
    owner = host.account_of(host_record) if host.account_model is not None else None
    return {"contact": _values("contacts", host_record), "account": _values("accounts", owner) if owner else {}}


_NO_DEFAULT = object()


def host_key(kind, host_id, default=_NO_DEFAULT):
    """A host id (text, as URLs and forms and ``Record.host_id`` hold it) as the host's primary key takes it.

    One that cannot be (not a number, or past 64 bits, for an integer key) raises ValueError, or gives
    ``default`` when one is given.
    """
    try:
        key = _key(kind, str(host_id).strip())
        if isinstance(key, int) and not -(2**63) <= key < 2**63:
            raise ValueError(f"{host_id} is out of range")
    except (TypeError, ValueError):
        if default is _NO_DEFAULT:
            raise
        return default
    return key


def _host():
    return host._get_current_object()


def _key(kind, host_id):
    """A host id as the host's primary key column takes it (an int for integer keys)."""
    python_type = host.primary_key(kind).type.python_type
    return python_type(host_id) if python_type is int else host_id


def _unique(objects):
    seen, unique = set(), []
    for o in objects:
        if id(o) not in seen:
            seen.add(id(o))
            unique.append(o)
    return unique


def _sync(record, host_record, accounts=None):
    host = _host()  # the proxy resolved once: this runs for every record of a batch
    _set(record, "name", (host.name(host_record) or "")[: Record.name.type.length])
    if record.kind == "contacts":
        owner = host.account_of(host_record) if host.account_model is not None else None
        if owner is None:
            account = None
        elif accounts is not None and host.id_of(owner) in accounts:
            account = accounts[host.id_of(owner)]
        else:
            account = link(owner)
        if record.account is not account:
            record.account = account
    _sync_numbers(record, host.phones(host_record) or [])
    # Written only when something changed: a sync of an unchanged batch writes nothing.
    if record.id is None or db.session.is_modified(record) or any(db.session.is_modified(n) for n in record.numbers):
        record.synced_at = utcnow()


def _set(row, name, value):
    """Set an attribute only when it changes (an unchanged row stays clean: no UPDATE)."""
    if getattr(row, name) != value:
        setattr(row, name, value)


def _as_phone(given):
    """A host's number as a ``Phone``: a plain string or a (number, label, ...) tuple is taken too."""
    if isinstance(given, Phone):
        return given
    if isinstance(given, str):
        return Phone(given, "Phone")
    if isinstance(given, tuple | list):
        return Phone(*given)
    raise HostError(f"{type(_host()).__name__}.phones() gave {given!r}: give crm_sms.Phone(number, label, ...) items.")


def _normalize(number, known):
    """(e164, region, zone) of a host's number; one already in E.164 that the record has is not parsed again."""
    found = known.get(number)
    if found is not None:
        return found.e164, found.region, found.time_zone
    return phone_numbers.normalize(number)


def _sync_numbers(record, phones):
    by_e164 = {n.e164: n for n in record.numbers}
    by_key = {n.key: n for n in record.numbers if n.current and n.key is not None}
    parsed, unreadable = [], []
    for phone in map(_as_phone, phones):
        if phone.number is None or not str(phone.number).strip():
            continue  # an empty column: no number in that slot
        try:
            parsed.append((phone, *_normalize(str(phone.number), by_e164)))
        except phone_numbers.PhoneNumberError as error:
            unreadable.append((phone.label, phone.number, str(error)))
    readable = {e164 for _, e164, _, _ in parsed}
    seen = set()
    for phone, e164, region, zone in parsed:
        if e164 in seen:
            continue
        seen.add(e164)
        key = (phone.key or phone.label or "")[:64] or None
        number = by_e164.get(e164)
        if number is None:
            number = PhoneNumber(e164=e164, region=region, time_zone=zone, created_at=utcnow())
            record.numbers.append(number)
            replaced = by_key.get(key)
            # A new number in a slot whose number was the preferred one takes its place: it is texted next.
            if replaced is not None and replaced.preferred_sms and replaced.e164 not in readable:
                replaced.preferred_sms = False
                db.session.flush()  # one preferred number per record: clear the old flag first
                number.preferred_sms = True
        for name, value in (
            ("key", key),
            ("label", (phone.label or "")[:40]),
            ("sms_capable", bool(phone.sms)),
            ("current", True),
            ("is_primary", len(seen) == 1),
        ):
            _set(number, name, value)
    for number in record.numbers:
        if number.e164 not in seen and number.current:
            number.current, number.is_primary = False, False
    record.unreadable = unreadable


# Who may see which records ------------------------------------------------------------------------------------


def _host_user(person):
    """The host's user object behind a ``Person``: the logged-in one when it is them (no query), else loaded."""
    if has_request_context() and current_user.is_authenticated and host.user_key(current_user) == person.host_id:
        return current_user._get_current_object()
    key = inspect(host.user_model).primary_key[0]
    return db.session.get(host.user_model, key.type.python_type(person.host_id))


def _narrows():
    """Whether the host narrows what its users see (a host that keeps ``Host.visible`` lets staff see all)."""
    return type(host._get_current_object()).visible is not Host.visible


def visible_ids(user, kind):
    """A select of the ids of ``kind``'s records ``user`` may see, or None when the host shows them all."""
    if not _narrows() or host.model(kind) is None:
        return None
    model = host.model(kind)
    host_ids = host.visible(_host_user(user), kind, db.select(model)).with_only_columns(
        db.cast(host.primary_key(kind), db.String)
    )
    return db.select(Record.id).where(Record.kind == kind, Record.host_id.in_(host_ids))


def visible_condition(user, contact_column, account_column):
    """A condition on rows tied to a contact and/or an account: only those of records ``user`` may see (rows tied
    to no record, an unknown sender's, stay)."""
    parts = []
    for kind, column in (("contacts", contact_column), ("accounts", account_column)):
        ids = visible_ids(user, kind)
        if ids is not None:
            parts.append(db.or_(column.is_(None), column.in_(ids)))
    return db.and_(*parts) if parts else db.true()


def visible(user, record):
    """The host record of ``record`` if ``user`` may see it (``host.visible``), else None."""
    model = host.model(record.kind)
    if model is None:
        return None
    query = db.select(model).where(host.primary_key(record.kind) == _key(record.kind, record.host_id))
    if _narrows():
        query = host.visible(_host_user(user), record.kind, query)
    return db.session.scalar(query)


def may_see(user, record):
    """Whether the host lets ``user`` see ``record`` (always, for a host that does not narrow what staff see)."""
    return not _narrows() or visible(user, record) is not None
