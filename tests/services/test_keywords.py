"""Keywords: a reply that is STOP, START or HELP (or kin) alone, whatever its case, accents and punctuation."""

import pytest

from crm_sms.models import db
from crm_sms.services import keywords, settings


@pytest.mark.parametrize(
    "text, kind",
    [
        (" stop ", "opt_out"),
        ("Stop.", "opt_out"),
        ("STOP!", "opt_out"),
        ("ArrÊt", "opt_out"),
        ("ARRÊT", "opt_out"),
        ("arret", "opt_out"),
        ("2", "opt_out"),
        ("unsubscribe", "opt_out"),
        ("Start", "opt_in"),
        ("yes", "opt_in"),
        ("1", "opt_in"),
        ("help?", "help"),
        ("Info", "help"),
    ],
)
def test_a_default_keyword_counts_whatever_its_case_accents_and_punctuation(app, text, kind):
    assert keywords.classify(text) == kind


@pytest.mark.parametrize("text", ["stop please", "please stop", "stopp", "s t o p", "", "12", None])
def test_a_message_that_only_contains_or_resembles_a_keyword_is_an_ordinary_message(app, text):
    assert keywords.classify(text) is None


def test_an_admins_keyword_lists_replace_the_defaults(app):
    settings.put("keywords_opt_out", ["BASTA", "Désabonner"])
    db.session.commit()
    assert keywords.classify("basta!") == "opt_out"
    assert keywords.classify("DESABONNER") == "opt_out"  # the admin's accents are ignored too
    assert keywords.classify("STOP") is None
    assert keywords.classify("START") == "opt_in"  # the lists not changed keep their defaults
