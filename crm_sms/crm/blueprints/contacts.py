from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Optional

from ...blueprints._input import fits, integer
from ...blueprints._views import get_or_404, pages, paginate, permission_required, render
from ...models import db
from ...services.auth import can
from ..models import Account, Contact
from ..services import contacts, phones
from ._shared import can_edit_contact, can_see_contact, preferred_numbers

bp = pages("contacts", __name__, url_prefix="/contacts")


class ContactForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired(), fits(Contact.first_name)])
    last_name = StringField("Last name", validators=[DataRequired(), fits(Contact.last_name)])
    title = StringField("Title", validators=[Optional(), fits(Contact.title)])
    email = EmailField("Email", validators=[Optional(), Email(check_deliverability=False), fits(Contact.email)])
    city = StringField("City", validators=[Optional(), fits(Contact.city)])
    account_id = SelectField("Account", coerce=integer, validators=[Optional()])
    ready = BooleanField("Ready (can be dialled by call campaigns)")


class OwnContactForm(ContactForm):
    """What a customer may change about themselves."""

    account_id = None
    ready = None


def _visible_contact(contact_id):
    """The contact, or 404 for one this user may not see (a customer never learns others exist)."""
    contact = get_or_404(Contact, contact_id)
    if not can_see_contact(current_user, contact):
        if current_user.is_customer:
            abort(404)
        abort(403, description="crm.view")
    return contact


@bp.route("")
@permission_required("crm.view")
def index():
    query = request.args.get("q", "").strip()
    page = paginate(contacts.search(query))
    return render("crm_sms/contacts/index.html", "crm_sms/contacts/_table.html", page=page, q=query)


@bp.route("/me")
@permission_required("self.manage")
def me():
    if current_user.contact_id is None:
        abort(404)
    return redirect(url_for("contacts.show", contact_id=current_user.contact_id))


@bp.route("/<int:contact_id>")
@login_required
def show(contact_id):
    contact = _visible_contact(contact_id)
    return render(
        "crm_sms/contacts/show.html",
        contact=contact,
        phone_types=phones.phone_types(),
        preferred=preferred_numbers(contact),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("crm.edit")
def new():
    return _edit(None)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id):
    contact = _visible_contact(contact_id)
    if not can_edit_contact(current_user, contact):
        abort(403, description="crm.edit")
    return _edit(contact)


def _edit(contact):
    staff = can(current_user, "crm.edit")
    form = (ContactForm if staff else OwnContactForm)(obj=contact)
    if staff:
        names = db.session.execute(db.select(Account.id, Account.name).order_by(Account.name)).all()
        form.account_id.choices = [(0, "— none —")] + [(id, name) for id, name in names]
        if request.method == "GET" and contact is None:
            form.ready.data = True
    if form.validate_on_submit():
        fields = {name: (form[name].data or None) for name in ("title", "email", "city")}
        fields.update(first_name=form.first_name.data.strip(), last_name=form.last_name.data.strip())
        if staff:
            fields.update(account_id=form.account_id.data or None, ready=form.ready.data)
        contact = contacts.save(contact, **fields)
        db.session.commit()
        flash(f"Saved {contact.full_name}.", "success")
        return redirect(url_for("contacts.show", contact_id=contact.id))
    return render("crm_sms/contacts/edit.html", form=form, contact=contact, status=422 if form.errors else 200)
