from ..models import db
from ..services import conversations


def release(conversation_id):
    """Public minutes after an inbound message: to the pool if still unanswered (harmless if answered or gone)."""
    moved = conversations.release_when_due(conversation_id)
    db.session.commit()
    return moved
