from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Optional

from ...blueprints._input import fits
from ...blueprints._views import get_or_404, pages, paginate, permission_required, render
from ...models import db
from ..models import ACCOUNT_TYPES, Account
from ..services import accounts, contacts, phones
from ._shared import preferred_numbers

bp = pages("accounts", __name__, url_prefix="/accounts")


class AccountForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), fits(Account.name)])
    type = SelectField("Type", choices=ACCOUNT_TYPES)
    industry = StringField("Industry", validators=[Optional(), fits(Account.industry)])
    city = StringField("City", validators=[Optional(), fits(Account.city)])
    email = EmailField("Email", validators=[Optional(), Email(check_deliverability=False), fits(Account.email)])
    website = StringField("Website", validators=[Optional(), fits(Account.website)])


@bp.route("")
@permission_required("crm.view")
def index():
    query = request.args.get("q", "").strip()
    kind = request.args.get("type") or None
    page = paginate(accounts.search(query, kind))
    return render(
        "crm_sms/accounts/index.html",
        "crm_sms/accounts/_table.html",
        page=page,
        q=query,
        type=kind,
        types=ACCOUNT_TYPES,
    )


@bp.route("/<int:account_id>")
@permission_required("crm.view")
def show(account_id):
    account = get_or_404(Account, account_id)
    people = db.session.scalars(contacts.search(account_id=account.id)).all()
    return render(
        "crm_sms/accounts/show.html",
        account=account,
        contacts=people,
        phone_types=phones.phone_types(),
        preferred=preferred_numbers(account),
    )


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@permission_required("crm.edit")
def edit(account_id=None):
    account = get_or_404(Account, account_id) if account_id else None
    form = AccountForm(obj=account)
    if form.validate_on_submit():
        fields = {name: (form[name].data or None) for name in ("industry", "city", "email", "website")}
        account = accounts.save(account, name=form.name.data.strip(), type=form.type.data, **fields)
        db.session.commit()
        flash(f"Saved {account.name}.", "success")
        return redirect(url_for("accounts.show", account_id=account.id))
    return render("crm_sms/accounts/edit.html", form=form, account=account, status=422 if form.errors else 200)
