"""The built-in CRM's settings page for admins: phone types (which can receive SMS)."""

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from ...blueprints._input import fits
from ...blueprints._views import get_or_404, pages, permission_required, render
from ...models import db
from ...services.phone_numbers import PhoneNumberError
from ..models import PhoneType
from ..services import phones as phone_numbers

bp = pages("admin", __name__, url_prefix="/admin")


class PhoneTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), fits(PhoneType.name)])
    sms_capable = BooleanField("Can receive SMS")


@bp.route("/phone-types", methods=["GET", "POST"])
@bp.route("/phone-types/<int:type_id>", methods=["GET", "POST"])
@permission_required("settings.manage")
def phone_types(type_id=None):
    phone_type = get_or_404(PhoneType, type_id) if type_id else None
    form = PhoneTypeForm(obj=phone_type)
    if form.validate_on_submit():
        try:
            phone_type = phone_numbers.save_phone_type(phone_type, form.name.data, form.sms_capable.data)
        except PhoneNumberError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved phone type {phone_type.name}.", "success")
            return redirect(url_for("admin.phone_types"))
    return render(
        "crm_sms/admin/phone_types.html",
        form=form,
        editing=phone_type,
        phone_types=phone_numbers.phone_types(),
        status=422 if form.errors else 200,
    )
