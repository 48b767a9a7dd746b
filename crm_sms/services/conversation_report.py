"""The managers' "SMS conversations" report (seed 003)."""

import statistics

from ..models import Conversation, ConversationEvent, Person, db


def report(since, until):
    """Answered and unanswered counts and the median first-response time, per agent and overall.

    Answered: answers to a waiting inbound message, by who answered. Unanswered: conversations that went
    to the pool, counted against the owner who let them wait (or "No owner"). Both within [since, until).
    """
    in_range = db.and_(ConversationEvent.at >= since, ConversationEvent.at < until)
    rows = db.session.execute(
        db.select(ConversationEvent.user_id, ConversationEvent.kind, ConversationEvent.seconds).where(
            in_range, ConversationEvent.kind.in_(("answered", "pooled"))
        )
    ).all()
    per_user = {}
    for user_id, kind, seconds in rows:
        line = per_user.setdefault(user_id, {"answered": 0, "unanswered": 0, "seconds": []})
        if kind == "answered":
            line["answered"] += 1
            line["seconds"].append(seconds)
        else:
            line["unanswered"] += 1
    names = dict(
        db.session.execute(
            db.select(Person.id, Person.name).where(Person.id.in_([id for id in per_user if id is not None]))
        ).all()
    )
    lines = [
        _line(names.get(user_id, "No owner") if user_id else "No owner", line) for user_id, line in per_user.items()
    ]
    total = {
        "answered": sum(line["answered"] for line in per_user.values()),
        "unanswered": sum(line["unanswered"] for line in per_user.values()),
        "seconds": [s for line in per_user.values() for s in line["seconds"]],
    }
    waiting = db.session.scalar(
        db.select(db.func.count()).select_from(Conversation).where(Conversation.awaiting_since.is_not(None))
    )
    return {
        "lines": sorted(lines, key=lambda line: line["name"]),
        "total": _line("All agents", total),
        "waiting": waiting,
    }


def _line(name, line):
    seconds = line["seconds"]
    return {
        "name": name,
        "answered": line["answered"],
        "unanswered": line["unanswered"],
        "median_seconds": statistics.median(seconds) if seconds else None,
    }
