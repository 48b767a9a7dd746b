from ..models import db
from ..services import campaign_generation, campaigns


def generate(campaign_id):
    """Generate a campaign's messages, committing after each chunk; a second run continues, never duplicates."""
    for _ in campaign_generation.generate(campaign_id, campaigns.text_of):
        db.session.commit()
    db.session.rollback()  # a run that found its chunk taken by another ends here with nothing to keep
