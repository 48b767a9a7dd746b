"""The campaign and mass-message forms: the campaign service checks each field, and its messages are shown."""

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from ..services import senders, signatures
from ..services.auth import person
from ._input import integer, plausible_date

MODULE_LABELS = {"contacts": "Contacts", "accounts": "Accounts"}
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class CampaignForm(FlaskForm):
    # The service checks every field, so its messages are what people read.
    name = StringField("Name")
    send_at = DateTimeLocalField("Dispatch date", format=TIME_FORMAT, validators=[Optional(), plausible_date])
    module = SelectField(
        "Module", validate_choice=False, choices=[SelectChoice(k, v) for k, v in MODULE_LABELS.items()]
    )
    template_id = SelectField("Template", coerce=integer, validate_choice=False)
    sender_id = SelectField("Sender number", coerce=integer, validate_choice=False)
    signature_id = SelectField("Signature", coerce=integer, validate_choice=False)


class MassMessageForm(FlaskForm):
    template_id = SelectField("Saved message", coerce=integer, validate_choice=False)
    outage_start = DateTimeLocalField("Outage start", format=TIME_FORMAT, validators=[Optional(), plausible_date])
    outage_end = DateTimeLocalField("Outage end", format=TIME_FORMAT, validators=[Optional(), plausible_date])
    type = StringField("Account type")
    city = StringField("City")
    send_at = DateTimeLocalField("Dispatch date", format=TIME_FORMAT, validators=[Optional(), plausible_date])
    sender_id = SelectField("Sender number", coerce=integer, validate_choice=False)
    signature_id = SelectField("Signature", coerce=integer, validate_choice=False)


def sender_and_signature_choices(form):
    """The sender numbers the user may send from, and the signatures, as the form's choices."""
    form.sender_id.choices = [
        SelectChoice(s.id, f"{s.label or 'Sender'} · {s.e164}") for s in senders.for_user(person())
    ]
    form.signature_id.choices = [SelectChoice(0, "The default for mass messages")] + [
        SelectChoice(s.id, s.name) for s in signatures.all_signatures()
    ]
