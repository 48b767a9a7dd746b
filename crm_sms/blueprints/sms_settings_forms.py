"""The forms of the SMS settings pages, with the checks that make their errors say which field and why."""

import math
import re
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..models import utcnow
from ..models.signature import TEXTS
from ..services import consent_log, frequency, notices, quiet_hours, readiness, rendering, senders, settings
from ..services.suppressions import REVOKE_ALL_FROM
from ._input import integer

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _Explained:
    """A number field whose error a person understands (WTForms says "Not a valid float value")."""

    error = ""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.error) from None


class RateField(_Explained, FloatField):
    error = "Enter a number, such as 1 or 0.5."


class DaysField(_Explained, IntegerField):
    error = "Enter a whole number of days, such as 7, or leave it empty for no cap."


class SenderForm(FlaskForm):
    e164 = StringField("Number", filters=[_strip])
    label = StringField("Label", filters=[_strip], validators=[Optional(), Length(max=80)])
    user_id = SelectField("Owner", coerce=integer, default=0)
    is_default = BooleanField("Default for the account")
    mps = RateField("Messages per second", default=1.0)
    mms = BooleanField("Can send MMS")
    active = BooleanField("Active", default=True)

    def validate_is_default(self, field):
        # senders.for_user only offers a user's own numbers and the account's: a default owned by
        # one user would be nobody else's default.
        if field.data and self.user_id.data:
            raise ValidationError("The account's default number cannot belong to one user: set the owner to none.")

    def validate_mps(self, field):
        if field.data is not None and not (math.isfinite(field.data) and 0 < field.data <= senders.MAX_MPS):
            raise ValidationError(f"Messages per second must be more than 0 and at most {senders.MAX_MPS}.")


_ANY_DEPARTMENT = {"department": {"phone": "[department phone]", "email": "[department email]"}}


class SignatureForm(FlaskForm):
    name = StringField("Name", filters=[_strip], validators=[DataRequired(), Length(max=80)])
    # The service checks both choices, so its message (not "Not a valid choice") is what people read.
    department = SelectField("Department", coerce=integer, validate_choice=False)
    text = SelectField(
        "Text",
        validate_choice=False,
        choices=[SelectChoice(text, rendering.fill_in(text, _ANY_DEPARTMENT)) for text in TEXTS],
    )
    default_for_manual = BooleanField("Default for manual messages")
    default_for_bulk = BooleanField("Default for bulk messages")


def _clock_time(form, field):
    if field.data and not _CLOCK.match(field.data):
        raise ValidationError("Enter a time as HH:MM on a 24-hour clock, such as 21:00.")
    if field.data:
        field.data = quiet_hours.parse(field.data).strftime("%H:%M")


def _time_zone(form, field):
    try:
        ZoneInfo(field.data)
    except (KeyError, ValueError, OSError):  # not found, not a key (".."), a folder ("America")
        raise ValidationError("Unknown time zone: use a name from the list, such as America/New_York.") from None


def _says_stop(form, field):
    if field.data and not re.search(r"\bSTOP\b", field.data, re.IGNORECASE):
        raise ValidationError(
            "The opt-out text must tell people to reply STOP: "
            "carriers require every business text to say how to opt out."
        )


class SettingsForm(FlaskForm):
    business_name = StringField("Business name", filters=[_strip], validators=[DataRequired(), Length(max=80)])
    time_zone = StringField(
        "System time zone",
        filters=[_strip],
        validators=[DataRequired(), _time_zone],
        render_kw={"list": "time-zones", "autocomplete": "off"},
    )
    quiet_hours_start = StringField(
        "Quiet hours start",
        filters=[_strip],
        validators=[_clock_time],
        render_kw={"placeholder": "21:00", "inputmode": "numeric"},
    )
    quiet_hours_end = StringField(
        "Quiet hours end",
        filters=[_strip],
        validators=[_clock_time],
        render_kw={"placeholder": "08:00", "inputmode": "numeric"},
    )
    quiet_hours_manual_bypass = BooleanField("Manual messages to one contact may be sent during quiet hours")
    quiet_hours_unknown_start = StringField(
        "Numbers with no known time zone: from",
        filters=[_strip],
        validators=[_clock_time],
        render_kw={"placeholder": "10:00", "inputmode": "numeric"},
    )
    quiet_hours_unknown_end = StringField(
        "Numbers with no known time zone: until",
        filters=[_strip],
        validators=[_clock_time],
        render_kw={"placeholder": "18:00", "inputmode": "numeric"},
    )
    quiet_hours_state_rules = BooleanField(
        "Keep US state hours too (FL, OK, MD, MS, NJ, WA, CT, TX, RI), by the number's area code"
    )
    opt_out_text = StringField(
        "Opt-out text", filters=[_strip], validators=[DataRequired(), Length(max=160), _says_stop]
    )
    public_minutes = RateField(
        "Conversation public minutes", validators=[Optional()], render_kw={"inputmode": "decimal"}
    )

    frequency_cap_days = DaysField(
        "Frequency cap (days)", validators=[Optional()], render_kw={"inputmode": "numeric", "placeholder": "none"}
    )
    frequency_cap_open_conversations = BooleanField(
        "Campaigns and mass messages skip recipients with an open conversation"
    )

    def validate_frequency_cap_days(self, field):
        if field.data is not None and not 0 <= field.data <= frequency.MAX_DAYS:
            raise ValidationError(
                f"Enter days between 1 and {frequency.MAX_DAYS}, or leave it empty (or 0) for no frequency cap."
            )

    def validate_public_minutes(self, field):
        if field.data is not None and not (math.isfinite(field.data) and 0.1 <= field.data <= 7 * 24 * 60):
            raise ValidationError("Enter minutes between 0.1 and 10080 (a week), or leave it empty for the default.")

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if bool(start.data) != bool(end.data):
            missing = end if start.data else start
            missing.errors.append("Quiet hours need both a start and an end: fill in both, or clear both.")
            return False
        if start.data and start.data == end.data:
            end.errors.append("The end must differ from the start: clear both for no quiet hours.")
            return False
        return self._unknown_hours_fit()

    def _unknown_hours_fit(self):
        start, end = self.quiet_hours_unknown_start, self.quiet_hours_unknown_end
        if bool(start.data) != bool(end.data):
            missing = end if start.data else start
            missing.errors.append("Give both ends of the hours for numbers with no known time zone, or clear both.")
            return False
        if start.data and start.data == end.data:
            end.errors.append("The end must differ from the start: clear both for no limit.")
            return False
        if quiet_hours.leaves_no_hour(quiet_hours.Rules.from_settings({**settings.DEFAULTS, **self.data})):
            start.errors.append("These hours all fall in the quiet hours: no message to such a number could go.")
            return False
        return True


#: Each consent policy and what it does, in one line (the settings page shows both).
POLICIES = {
    "require_opt_in": "Require opt-in: text only contacts who opted in beforehand.",
    "request_consent": "Request consent: the first message asks for a YES and waits for it; STOP cancels it.",
    "disclaimer": "Disclaimer: the first message says who is texting and how to opt out; no reply is needed.",
}
#: The automatic texts and when each is sent.
NOTICES = {
    "notice_opt_in": "Opt-in confirmation (sent on opting in)",
    "notice_opt_out": "Opt-out confirmation (sent on opting out)",
    "notice_help": "Answer to HELP",
    "disclaimer_text": "Disclaimer (added to the first message under the disclaimer policy)",
    "notice_request_mt": "Consent request, when staff texts first",
    "notice_request_mo": "Consent request, when the customer texts first",
    "notice_confirmed": "Opt-in confirmed, after a YES to a request",
    "notice_refused": "Opt-out confirmed, after a STOP to a request",
}
KEYWORDS = {
    "keywords_opt_out": "Opt-out keywords",
    "keywords_opt_in": "Opt-in keywords",
    "keywords_help": "Help keywords",
    "keywords_consent_yes": "Consent answers: yes (only while a consent request is pending)",
    "keywords_consent_no": "Consent answers: no (only while a consent request is pending)",
}
#: What a reply that reads as a wish to stop ("please stop texting me") does.
POSSIBLE_OPT_OUT_ACTIONS = {
    "flag": "Flag it for the conversation's owner, who can opt the number out in one click",
    "opt_out": "Opt the number out at once, as STOP does",
}


def _placeholders(allowed, where):
    def check(form, field):
        try:
            rendering.check_text(field.data, allowed, where)
        except rendering.RenderError as error:
            raise ValidationError(str(error)) from None

    return check


def _notice(label):
    return TextAreaField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the text: it is sent automatically."),
            _placeholders(notices.PLACEHOLDERS, "automatic messages"),
        ],
    )


class ConsentSettingsForm(FlaskForm):
    consent_policy = RadioField("Consent policy", choices=[SelectChoice(key, text) for key, text in POLICIES.items()])
    # Comma-separated; consent_log.keyword_errors checks them together (no word in two lists).
    keywords_opt_out = StringField(KEYWORDS["keywords_opt_out"], filters=[_strip])
    keywords_opt_in = StringField(KEYWORDS["keywords_opt_in"], filters=[_strip])
    keywords_help = StringField(KEYWORDS["keywords_help"], filters=[_strip])
    keywords_consent_yes = StringField(KEYWORDS["keywords_consent_yes"], filters=[_strip])
    keywords_consent_no = StringField(KEYWORDS["keywords_consent_no"], filters=[_strip])
    possible_opt_out_action = RadioField(
        "A reply that is no keyword but reads as a wish to stop (“please stop texting me”)",
        choices=[SelectChoice(key, text) for key, text in POSSIBLE_OPT_OUT_ACTIONS.items()],
    )
    support_phone = StringField("Support phone (for HELP)", filters=[_strip], validators=[Length(max=40)])
    support_email = EmailField(
        "Support email (for HELP)",
        filters=[_strip],
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    customer_legal_text = TextAreaField(
        "Legal text under “I agree to receive SMS/Text messages”",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the legal text customers agree to."),
            _placeholders(consent_log.LEGAL_PLACEHOLDERS, "the legal text"),
        ],
    )
    customer_changed_by = RadioField(
        "“Changed by” shows the customer's",
        choices=[SelectChoice("username", "username"), SelectChoice("email", "email")],
    )
    staff_consent_text = TextAreaField(
        "What staff attest to when they opt a record in",
        filters=[_strip],
        validators=[
            DataRequired(message="Enter the text staff attest to: it is kept with each opt-in as its proof."),
            _placeholders(consent_log.LEGAL_PLACEHOLDERS, "the staff attestation"),
        ],
    )
    opt_out_scope = RadioField(
        "An opt-out (STOP) covers",
        choices=[
            SelectChoice("all", "every sender number of the business"),
            SelectChoice("sender", "only the sender number that was texted"),
        ],
    )

    def validate_opt_out_scope(self, field):
        if field.data == "sender" and utcnow().date() >= REVOKE_ALL_FROM:
            raise ValidationError(
                f"Since {REVOKE_ALL_FROM:%Y-%m-%d} the FCC's revoke-all rule makes an opt-out cover "
                "every sender number: choose every sender number."
            )

    notice_opt_in = _notice(NOTICES["notice_opt_in"])
    notice_opt_out = _notice(NOTICES["notice_opt_out"])
    notice_help = _notice(NOTICES["notice_help"])
    disclaimer_text = _notice(NOTICES["disclaimer_text"])
    notice_request_mt = _notice(NOTICES["notice_request_mt"])
    notice_request_mo = _notice(NOTICES["notice_request_mo"])
    notice_confirmed = _notice(NOTICES["notice_confirmed"])
    notice_refused = _notice(NOTICES["notice_refused"])

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        lists = {key: consent_log.split_keywords(self[key].data) for key in KEYWORDS}
        for key, error in consent_log.keyword_errors(lists).items():
            self[key].errors.append(error)
        for key, error in readiness.text_errors(
            {key: field.data for key, field in self._fields.items()}, NOTICES
        ).items():
            self[key].errors.append(error)
        return not self.errors
