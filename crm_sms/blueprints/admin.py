"""Settings pages for admins: phone types (which can receive SMS) and departments."""

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Optional

from ..crm.models import PhoneType
from ..crm.services import phones as phone_numbers
from ..models import Department, db
from ..services import departments
from ..services.departments import DepartmentError
from ..services.phone_numbers import PhoneNumberError
from ._input import fits
from ._views import get_or_404, pages, permission_required, render

bp = pages("admin", __name__, url_prefix="/admin")


class PhoneTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), fits(PhoneType.name)])
    sms_capable = BooleanField("Can receive SMS")


class DepartmentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), fits(Department.name)])
    phone = StringField("Phone", validators=[Optional()])
    email = EmailField("Email", validators=[Optional(), Email(check_deliverability=False), fits(Department.email)])


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


@bp.route("/departments", methods=["GET", "POST"])
@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@permission_required("settings.manage")
def departments_page(department_id=None):
    department = get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            department = departments.save(department, form.name.data, form.phone.data, form.email.data)
        except PhoneNumberError as error:
            form.phone.errors.append(str(error))
        except DepartmentError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved department {department.name}.", "success")
            return redirect(url_for("admin.departments_page"))
    return render(
        "crm_sms/admin/departments.html",
        form=form,
        editing=department,
        departments=departments.all_departments(),
        status=422 if form.errors else 200,
    )
