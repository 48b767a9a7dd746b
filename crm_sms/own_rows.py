"""crm_sms's mirrors of the host's users and records outlive a request that wrote nothing else, uncommitted.

A host's record page is a GET that never commits, yet ``{{ sms_panel(record) }}`` links the record
(``records.link``) and the logged-in person there, and the panel hands out their ids (its compose and consent
URLs, the ``phone_id`` of each number). Rolled back with the request, those ids would name nothing in the next
request: the first text from a host page would answer 404. crm_sms may not commit the host's transaction for
it, so it commits at the end of a request only when every row written in the transaction is one of those
mirrors of the host's things (people, records, their numbers); a request that wrote anything else, the
host's rows or crm_sms's own messages and consent, is left to the view's own commit or rollback.
"""

import logging

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_mapper
from sqlalchemy.orm.exc import UnmappedInstanceError

from .models import Person, PhoneNumber, Record, db

log = logging.getLogger(__name__)

#: Keys in ``Session.info``: a mirror table was written in this transaction / another table was.
OURS, THEIRS = "crm_sms_mirrors_written", "crm_sms_others_written"

#: The tables of crm_sms's mirrors of the host's users and records: what linking writes.
MIRRORS = frozenset(model.__table__.name for model in (Person, Record, PhoneNumber))


def init_app(app):
    """Keep the mirror rows linked in a request of ``app`` that wrote nothing else, at its end."""
    app.after_request(_commit_own_rows)


def _ours(table):
    return getattr(table, "metadata", None) is db.metadata and table.name in MIRRORS


def _kind(instance):
    try:
        return OURS if _ours(object_mapper(instance).local_table) else THEIRS
    except UnmappedInstanceError:
        return THEIRS


def _changes(session):
    """The kinds (OURS/THEIRS) of the objects ``session`` would write at its next flush."""
    modified = (o for o in session.dirty if session.is_modified(o))
    return {_kind(o) for o in (*session.new, *session.deleted, *modified)}


def _on_flush(session, flush_context, instances):
    for kind in _changes(session):
        session.info[kind] = True


def _on_execute(state):
    if state.is_select:
        return
    # An INSERT/UPDATE/DELETE names its table; any other statement (text) may write anything.
    state.session.info[OURS if _ours(getattr(state.statement, "table", None)) else THEIRS] = True


def _on_transaction_end(session, transaction):
    if transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(OURS, None)
        session.info.pop(THEIRS, None)


def _commit_own_rows(response):
    """Commit the request's transaction when it wrote mirror rows and nothing else (and the request did not
    fail); a failed commit is logged and rolled back: the page stands, its rows are made again next time."""
    session = db.session
    if not session.registry.has() or response.status_code >= 500:  # no session made: nothing written
        return response
    written = {kind for kind in (OURS, THEIRS) if session.info.get(kind)} | _changes(session)
    if written == {OURS}:
        try:
            session.commit()
        except SQLAlchemyError:
            log.warning("crm_sms could not keep the records and people this page linked", exc_info=True)
            session.rollback()
    return response


# On every Session (the host's is of whatever class its Flask-SQLAlchemy makes): they only set flags in its info.
event.listen(Session, "before_flush", _on_flush)
event.listen(Session, "do_orm_execute", _on_execute)
event.listen(Session, "after_transaction_end", _on_transaction_end)
