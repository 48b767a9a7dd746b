"""Whether the SMS settings let messages go: no message names a blank business or a blank way to reach it.

Every message needs the business name (the program name carriers require).
The answer to HELP needs a support phone or email besides: it is how a
person reaches the business. An automatic text needs every setting it
quotes. Each sending path asks ``problem`` before it makes or sends a
message; the dispatcher asks again before the provider is called.
"""

from . import rendering, settings

#: The settings a message may need, as the settings page names them.
BUSINESS_NAME = "the business name"
SUPPORT_CONTACT = "a support phone or email"
#: The placeholders of automatic texts that name a way to reach the business.
CONTACT_PLACEHOLDERS = ("support_contact", "support_phone", "support_email")


def _filled(value):
    return isinstance(value, str) and bool(value.strip())


def support_contact(values):
    """What ``{{ support_contact }}`` says: the support phone, the email, or both ("phone or email")."""
    return " or ".join(v.strip() for v in (values["support_phone"], values["support_email"]) if _filled(v))


def missing(values=None, contact=True):
    """The settings a message needs that are blank (``BUSINESS_NAME``, ``SUPPORT_CONTACT``), in that order;
    ``contact``: whether a way to reach the business is needed (the answer to HELP, or the settings page)."""
    values = values if values is not None else settings.get_all()
    gaps = [] if _filled(values["business_name"]) else [BUSINESS_NAME]
    if contact and not support_contact(values):
        gaps.append(SUPPORT_CONTACT)
    return gaps


def problem(values=None, contact=False):
    """Why no message may go now because of the settings, in words a person acts on, or None."""
    gaps = missing(values, contact)
    return f"Set {' and '.join(gaps)} in SMS settings before sending" if gaps else None


def text_errors(values, texts):
    """{field: error} for the automatic texts in ``values`` that could go out with a blank (``texts``: {key:
    label}): a support setting quoted and empty (the error on that setting's field; ``{{ support_contact }}``'s
    on the phone), and an answer to HELP that does not name the business and a way to reach it."""
    errors = {}
    empty = {
        "support_phone": not _filled(values["support_phone"]),
        "support_email": not _filled(values["support_email"]),
        "support_contact": not support_contact(values),
    }
    for name in CONTACT_PLACEHOLDERS:
        quoting = [label for key, label in texts.items() if name in rendering.names(values[key])]
        if quoting and empty[name]:
            errors.setdefault(
                "support_phone" if name == "support_contact" else name,
                f"{quoting[0]} quotes {rendering.placeholder(name)}: fill this in, or take it out of that text.",
            )
    used = set(rendering.names(values.get("notice_help")))
    if "notice_help" in texts and not ("business_name" in used and used & set(CONTACT_PLACEHOLDERS)):
        errors["notice_help"] = (
            "The answer to HELP must name the business and a way to reach it: use "
            f"{rendering.placeholder('business_name')} and {rendering.placeholder('support_contact')}."
        )
    return errors
