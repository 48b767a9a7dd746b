"""Which of our sender numbers a suppressed number (it replied STOP) may not hear from: the opt-out scope.

Each suppression row names the sender it was said to, or ALL_SENDERS. How far a
row reaches is read under the scope in force now: "all" (the default, and the
only one from REVOKE_ALL_FROM) makes every row block every sender; "sender" makes
a row block only its own sender. So switching to "all" tightens every STOP at
once, and a STOP taken under "all" (an ALL_SENDERS row) never loosens.
"""

from datetime import date

from ..models import Suppression, conflict_insert, db, utcnow
from ..models.consent import ALL_SENDERS
from ..models.phone_number import format_e164
from . import settings

#: The FCC's revoke-all rule (47 CFR 64.1200(a)(10)): from this day an opt-out covers every number of the sender.
REVOKE_ALL_FROM = date(2027, 1, 31)


def scope(now=None):
    """The opt-out scope in force: "sender" only while the admin chose it and the revoke-all rule is not yet in
    force (the UTC date, which turns before any US one); otherwise "all"."""
    chosen = settings.get("opt_out_scope")
    return "sender" if chosen == "sender" and (now or utcnow()).date() < REVOKE_ALL_FROM else "all"


def add(e164, source, sender_e164=None):
    """Suppress the number: for ``sender_e164`` alone under the "sender" scope, else for every sender.

    Returns the sender it is now suppressed for, or None for every sender. Two racing STOPs store one row.
    """
    only = sender_e164 if sender_e164 and scope() == "sender" else None
    insert = conflict_insert(Suppression).values(e164=e164, sender_e164=only or ALL_SENDERS, source=source)
    db.session.execute(insert.on_conflict_do_nothing(index_elements=["e164", "sender_e164"]))
    return only


def lift(e164, sender_e164=None, keep_sources=()):
    """Lift what keeps ``sender_e164`` (None: every sender) from texting the number, rows of ``keep_sources`` aside.

    Returns the senders whose own rows were lifted ("" for an every-sender row)."""
    stmt = db.delete(Suppression).where(Suppression.e164 == e164)
    if sender_e164 and scope() == "sender":
        stmt = stmt.where(Suppression.sender_e164.in_((ALL_SENDERS, sender_e164)))
    if keep_sources:
        stmt = stmt.where(Suppression.source.not_in(keep_sources))
    return set(db.session.scalars(stmt.returning(Suppression.sender_e164)))


def rows(numbers):
    """{number: [its Suppression rows]} for these numbers, in one query."""
    found = {}
    if numbers:
        for row in db.session.scalars(db.select(Suppression).where(Suppression.e164.in_(numbers))):
            found.setdefault(row.e164, []).append(row)
    return found


def blocking(found, sender_e164=None, now_scope=None):
    """The rows of one number (from ``rows``) that keep ``sender_e164`` from texting it; with no sender, the rows
    that keep every sender from it."""
    now_scope = now_scope or scope()
    if now_scope == "all":
        return list(found)
    return [r for r in found if r.sender_e164 == ALL_SENDERS or (sender_e164 and r.sender_e164 == sender_e164)]


def blocked_numbers(numbers, sender_e164=None):
    """The numbers among ``numbers`` that ``sender_e164`` may not text (no sender: that no sender may text)."""
    now_scope = scope()
    return {e164 for e164, found in rows(numbers).items() if blocking(found, sender_e164, now_scope)}


def newest(e164, sender_e164=None, source=None):
    """The newest row that keeps ``sender_e164`` from the number (None: that keeps every sender from it), of
    ``source`` when given; None when there is none."""
    found = [r for r in blocking(rows({e164}).get(e164, []), sender_e164) if source is None or r.source == source]
    return max(found, key=lambda r: r.since) if found else None


def restart_hint(row, default_sender):
    """How the person with a STOPped number opts back in, for a page that refuses to do it for them."""
    ours = row.sender_e164 or default_sender
    where = f" to {format_e164(ours)}" if ours else ""
    return f"This number replied STOP. Only the person with it can opt back in, by texting START{where}."
