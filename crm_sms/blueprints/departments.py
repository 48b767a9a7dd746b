"""Departments: the phone and email a signature names (SMS settings, for admins)."""

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Optional

from ..models import Department, db
from ..services import departments
from ..services.departments import DepartmentError
from ..services.phone_numbers import PhoneNumberError
from ._input import fits
from ._views import get_or_404, pages, permission_required, render

bp = pages("departments", __name__, url_prefix="/sms/settings/departments")


class DepartmentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), fits(Department.name)])
    phone = StringField("Phone", validators=[Optional()])
    email = EmailField("Email", validators=[Optional(), Email(check_deliverability=False), fits(Department.email)])


@bp.route("", methods=["GET", "POST"])
@bp.route("/<int:department_id>", methods=["GET", "POST"])
@permission_required("settings.manage")
def index(department_id=None):
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
            return redirect(url_for("departments.index"))
    return render(
        "crm_sms/departments/index.html",
        form=form,
        editing=department,
        departments=departments.all_departments(),
        status=422 if form.errors else 200,
    )
