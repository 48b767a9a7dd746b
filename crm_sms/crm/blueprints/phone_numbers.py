"""The phone numbers child list on contact and account pages (one HTMX component)."""

from flask import abort, flash, redirect
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired

from ...blueprints._input import integer
from ...blueprints._views import get_or_404, pages, render
from ...extension import htmx
from ...models import db
from ...services.auth import can
from ..models import Account, Contact, PhoneNumber, PhoneType
from ..services import phones as phone_numbers
from ..services.phones import PhoneNumberError
from ._shared import can_edit_contact, can_see_contact, kind_of, owner_url, preferred_numbers

bp = pages("phone_numbers", __name__)


class PhoneNumberForm(FlaskForm):
    number = StringField("Number", validators=[DataRequired(message="Enter a phone number.")])
    type_id = SelectField("Type", coerce=integer)
    is_primary = BooleanField("Primary")


def _form(phone=None):
    form = PhoneNumberForm(prefix=f"phone-{phone.id}" if phone else "phone-new")
    form.type_id.choices = [(t.id, t.name + (" (SMS)" if t.sms_capable else "")) for t in phone_numbers.phone_types()]
    if phone is not None and not form.is_submitted():
        form.number.data, form.type_id.data, form.is_primary.data = phone.display, phone.type_id, phone.is_primary
    return form


def _editable_owner(kind, owner_id):
    owner = get_or_404(Contact if kind == "contacts" else Account, owner_id)
    visible = can_see_contact(current_user, owner) if kind == "contacts" else can(current_user, "crm.view")
    if not visible:
        abort(404)
    allowed = can_edit_contact(current_user, owner) if kind == "contacts" else can(current_user, "crm.edit")
    if not allowed:
        abort(404 if current_user.is_customer else 403, description="crm.edit")
    return owner


def _component(owner, form=None, editing=None, status=200):
    """The list as a fragment for htmx, or the owner's whole page otherwise."""
    context = dict(
        owner=owner,
        phone_form=form or _form(),
        editing=editing,
        phone_types=phone_numbers.phone_types(),
        preferred=preferred_numbers(owner),
    )
    kind = kind_of(owner)
    page = f"crm_sms/{kind}/show.html"
    return render(page, "crm_sms/phone_numbers/_list.html", status=status, **{kind[:-1]: owner}, **context)


@bp.route("/<any(contacts, accounts):kind>/<int:owner_id>/phones", methods=["POST"])
@login_required
def add(kind, owner_id):
    owner = _editable_owner(kind, owner_id)
    form = _form()
    if form.validate_on_submit():
        try:
            phone_numbers.add(
                owner, form.number.data, db.session.get(PhoneType, form.type_id.data), is_primary=form.is_primary.data
            )
        except PhoneNumberError as error:
            form.number.errors.append(str(error))
        else:
            db.session.commit()
            return _done(owner, "Phone number added.")
    return _component(owner, form=form, status=422)


@bp.route("/phones/<int:phone_id>/edit", methods=["GET", "POST"])
@login_required
def edit(phone_id):
    phone = get_or_404(PhoneNumber, phone_id)
    owner = _editable_owner(kind_of(phone.owner), phone.owner.id)
    form = _form(phone)
    if form.validate_on_submit():
        try:
            phone_numbers.update(
                phone, form.number.data, db.session.get(PhoneType, form.type_id.data), is_primary=form.is_primary.data
            )
        except PhoneNumberError as error:
            form.number.errors.append(str(error))
        else:
            db.session.commit()
            return _done(owner, "Phone number saved.")
    return _component(owner, editing=(phone.id, form), status=422 if form.errors else 200)


@bp.route("/phones/<int:phone_id>/delete", methods=["POST"])
@login_required
def delete(phone_id):
    phone = get_or_404(PhoneNumber, phone_id)
    owner = _editable_owner(kind_of(phone.owner), phone.owner.id)
    phone_numbers.remove(phone)
    db.session.commit()
    return _done(owner, "Phone number removed.")


def _done(owner, message):
    if htmx:
        return _component(owner)
    flash(message, "success")
    return redirect(owner_url(owner))
