"""Keywords as people write them, consent answers only in context, and replies that read as a wish to stop."""

import pytest

from crm_sms.models import db
from crm_sms.services import keywords, settings


def outcome(text, pending=False):
    """What a reply asks for: a keyword's kind, "possible_opt_out", or "ordinary"."""
    kind = keywords.classify(text, consent_answer=pending)
    if kind is not None:
        return kind
    return "possible_opt_out" if keywords.reads_as_opt_out(text) else "ordinary"


#: (reply as people send it, a consent request pending?, what it asks for)
REPLIES = [
    # The FCC's per se words and the carriers' kin, as written
    ("STOP", False, "opt_out"),
    (" stop ", False, "opt_out"),
    ("Stop.", False, "opt_out"),
    ("STOP!", False, "opt_out"),
    ("Stop!!!", False, "opt_out"),
    ("quit", False, "opt_out"),
    ("End", False, "opt_out"),
    ("REVOKE", False, "opt_out"),
    ("cancel", False, "opt_out"),
    ("Unsubscribe", False, "opt_out"),
    ("Un subscribe", False, "opt_out"),
    ("opt out", False, "opt_out"),
    ("opt-out", False, "opt_out"),
    ("OPT-OUT", False, "opt_out"),
    ("Opt Out.", False, "opt_out"),
    ("optout", False, "opt_out"),
    ("STOPALL", False, "opt_out"),
    ("stop all", False, "opt_out"),
    ("ARRÊT", False, "opt_out"),
    ("ArrÊt", False, "opt_out"),
    ("arret", False, "opt_out"),
    ("ＳＴＯＰ", False, "opt_out"),  # full-width letters
    ("STOPPP", False, "opt_out"),
    ("S.T.O.P", False, "opt_out"),
    ("STOP 🛑", False, "opt_out"),
    ("🛑🛑 stop 🛑🛑", False, "opt_out"),
    ("«STOP»", False, "opt_out"),
    ("STOP thanks", False, "opt_out"),
    ("stop please", False, "opt_out"),
    ("Stop!! thank you 🙏", False, "opt_out"),
    ("stop pls", False, "opt_out"),
    ("Please stop", False, "opt_out"),
    ("STOP STOP STOP", False, "opt_out"),
    ("Stop now", False, "opt_out"),
    ("ok stop", False, "opt_out"),
    ("No, stop.", False, "opt_out"),
    ("Unsubscribe please and thank you", False, "opt_out"),
    ("Arrêt svp merci", False, "opt_out"),
    ("STOP por favor", False, "opt_out"),
    ("STOP", True, "opt_out"),
    ("No", True, "opt_out"),
    ("no thanks", True, "opt_out"),
    ("N", True, "opt_out"),
    ("2", True, "opt_out"),
    # Opting back in, and consent answers while a request is pending
    ("START", False, "opt_in"),
    ("Start!", False, "opt_in"),
    ("unstop", False, "opt_in"),
    ("UN-STOP", False, "opt_in"),
    ("start please", False, "opt_in"),
    ("Yes", True, "opt_in"),
    ("YES!", True, "opt_in"),
    ("yes please", True, "opt_in"),
    ("Y", True, "opt_in"),
    ("1", True, "opt_in"),
    ("Oui", True, "opt_in"),
    ("Sí", True, "opt_in"),
    ("ok yes 👍", True, "opt_in"),
    ("Start", True, "opt_in"),
    # Help
    ("HELP", False, "help"),
    ("help?", False, "help"),
    ("Info", False, "help"),
    ("Help please", False, "help"),
    ("AIDE", False, "help"),
    ("help", True, "help"),
    # A wish to stop, not a keyword: flagged for the owner
    ("please stop texting me", False, "possible_opt_out"),
    ("Stop texting me!", False, "possible_opt_out"),
    ("stop sending me messages", False, "possible_opt_out"),
    ("Quit messaging me", False, "possible_opt_out"),
    ("don't text me anymore", False, "possible_opt_out"),
    ("Do not contact me again", False, "possible_opt_out"),
    ("I don't want these texts", False, "possible_opt_out"),
    ("no more texts please", False, "possible_opt_out"),
    ("remove me from your list", False, "possible_opt_out"),
    ("Please remove my number", False, "possible_opt_out"),
    ("unsubscribe me", False, "opt_out"),
    ("HELP ME", False, "help"),
    ("How do I unsubscribe?", False, "possible_opt_out"),
    ("I want to opt out", False, "possible_opt_out"),
    ("take me off", False, "possible_opt_out"),
    ("Take me off your list", False, "possible_opt_out"),
    ("Leave me alone", False, "possible_opt_out"),
    ("Wrong number", False, "possible_opt_out"),
    ("I said STOP", False, "possible_opt_out"),
    ("Not interested, thanks", False, "possible_opt_out"),
    ("No more", False, "possible_opt_out"),
    ("arrêtez de m'envoyer des messages", False, "possible_opt_out"),
    ("Arrête de m'écrire", False, "possible_opt_out"),
    ("désabonner", False, "possible_opt_out"),
    ("Désabonnez-moi svp", False, "possible_opt_out"),
    ("Ne m'envoyez plus de SMS", False, "possible_opt_out"),
    ("Retirez-moi de votre liste", False, "possible_opt_out"),
    ("no más", False, "possible_opt_out"),
    ("No mas por favor", False, "possible_opt_out"),
    ("no me envíen más mensajes", False, "possible_opt_out"),
    ("baja", False, "possible_opt_out"),
    ("Quiero darme de baja", False, "possible_opt_out"),
    ("Dejen de enviarme mensajes", False, "possible_opt_out"),
    ("Sáquenme de la lista", False, "possible_opt_out"),
    ("Who is this? STOP", False, "possible_opt_out"),
    ("Stop. I will call you instead", False, "possible_opt_out"),
    ("I never signed up for this", False, "possible_opt_out"),
    ("I revoke my consent", False, "possible_opt_out"),
    ("Take my number off your list please", False, "possible_opt_out"),
    ("remove me please", False, "possible_opt_out"),
    ("Je ne souhaite plus recevoir vos messages", False, "possible_opt_out"),
    ("No me escriban", False, "possible_opt_out"),
    ("Fin", False, "possible_opt_out"),
    # Ordinary replies: they alert the owner and nothing answers them automatically
    ("1", False, "ordinary"),
    ("2", False, "ordinary"),
    ("Yes", False, "ordinary"),
    ("YES!", False, "ordinary"),
    ("Y", False, "ordinary"),
    ("No", False, "ordinary"),
    ("Yes, Tuesday works", False, "ordinary"),
    ("Yes, Tuesday works", True, "ordinary"),
    ("11", True, "ordinary"),
    ("12", False, "ordinary"),
    ("Can you stop by at 3?", False, "ordinary"),
    ("I need to cancel my appointment", False, "ordinary"),
    ("See you at the end of the day", False, "ordinary"),
    ("When does it start?", False, "ordinary"),
    ("Help me with my order", False, "ordinary"),
    ("Thanks!", False, "ordinary"),
    ("ok", True, "ordinary"),
    ("Is there no more parking?", False, "ordinary"),
    ("No more than 5 people", False, "ordinary"),
    ("Estoy en la planta baja", False, "ordinary"),
    ("Stoppage on the highway, running late", False, "ordinary"),
    ("Please remove the item from my order", False, "ordinary"),
    ("Take me off the waitlist for Friday, I found a table", False, "ordinary"),
    ("Don't send it yet", False, "ordinary"),
    ("Don't call me, text me", False, "ordinary"),
    ("Ok. Stop by at 3", False, "ordinary"),
    ("No gracias", False, "ordinary"),
    ("No problem", False, "ordinary"),
    ("", False, "ordinary"),
    ("👍", False, "ordinary"),
    (None, False, "ordinary"),
]


@pytest.mark.parametrize("text, pending, expected", REPLIES, ids=[f"{t!r}{'-pending' * p}" for t, p, _ in REPLIES])
def test_a_real_world_reply_asks_for_what_its_writer_meant(app, text, pending, expected):
    assert outcome(text, pending) == expected


def test_the_table_covers_every_outcome_in_and_out_of_a_pending_request():
    assert len(REPLIES) >= 60
    assert {expected for _, _, expected in REPLIES} == {"opt_out", "opt_in", "help", "possible_opt_out", "ordinary"}
    assert {pending for _, pending, _ in REPLIES} == {True, False}


def test_no_single_digit_and_no_yes_is_a_default_keyword_at_any_time():
    for name in ("keywords_opt_out", "keywords_opt_in", "keywords_help"):
        assert not {keywords.normalize(word) for word in settings.DEFAULTS[name]} & {"YES", "Y", *"0123456789"}


def test_an_admins_keyword_lists_replace_the_defaults(app):
    settings.put("keywords_opt_out", ["BASTA", "Désabonner"])
    db.session.commit()
    assert keywords.classify("basta!") == "opt_out"
    assert keywords.classify("DESABONNER") == "opt_out"  # the admin's accents are ignored too
    assert keywords.classify("STOP") is None
    assert keywords.classify("START") == "opt_in"  # the lists not changed keep their defaults


def test_an_admins_keyword_of_several_words_matches_as_people_write_it(app):
    settings.put("keywords_opt_out", ["STOP", "No more texts"])
    db.session.commit()
    assert keywords.classify("no-more-texts") == "opt_out"
    assert keywords.classify("NO MORE TEXTS, thank you!") == "opt_out"
    assert keywords.classify("Ｎｏ ｍｏｒｅ ｔｅｘｔｓ 🙏") == "opt_out"
    assert keywords.classify("no more texts about shoes") is None


def test_an_admins_consent_answers_count_only_while_a_request_is_pending(app):
    settings.put("keywords_consent_yes", ["Sure", "OK 1"])
    db.session.commit()
    assert keywords.classify("sure!", consent_answer=True) == "opt_in"
    assert keywords.classify("ok-1", consent_answer=True) == "opt_in"
    assert keywords.classify("sure!") is None
    assert keywords.classify("yes", consent_answer=True) is None  # the admin's list replaced the default


def test_a_long_message_is_never_a_keyword_whatever_it_starts_with(app):
    assert keywords.classify("stop " + "please " * 20) is None
