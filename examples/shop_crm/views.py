"""The shop's own pages: login, customers (owner-only for salespeople), companies, a client's own page."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .models import Company, Customer, User, db, visible_customers

bp = Blueprint("shop", __name__)

#: Fields of the edit forms; numbers are free text, as people type them.
CUSTOMER_FIELDS = ("first_name", "last_name", "email", "city", "mobile", "phone")
COMPANY_FIELDS = ("name", "city", "phone")
LIMITS = {"mobile": 40, "phone": 40, "city": 100, "first_name": 100, "last_name": 100}


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@login_required
def index():
    return redirect(url_for("shop.customers" if current_user.is_staff else "shop.me"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is not None and user.check_password(request.form.get("password", "")):
            login_user(user)
            return redirect(_safe_next() or url_for("shop.index"))
        error = "Wrong email or password."
    return render_template("login.html", error=error), 401 if error else 200


def _safe_next():
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("shop.login"))


@bp.route("/customers")
@staff_required
def customers():
    q = request.args.get("q", "").strip()
    query = visible_customers(current_user, db.select(Customer)).order_by(Customer.last_name, Customer.first_name)
    if q:
        like = f"%{q}%"
        query = query.where(
            Customer.first_name.ilike(like) | Customer.last_name.ilike(like) | Customer.email.ilike(like)
        )
    return render_template("customers.html", customers=db.session.scalars(query).all(), q=q)


def _visible_customer(customer_id):
    query = visible_customers(current_user, db.select(Customer).where(Customer.id == customer_id))
    return db.session.scalar(query) or abort(404)


@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
@login_required
def customer(customer_id):
    if not current_user.is_staff:
        # A client's own record is their "My account" page (crm_sms links there after they change their SMS).
        if current_user.customer_id != customer_id:
            abort(404)
        return redirect(url_for("shop.me"))
    record = _visible_customer(customer_id)
    errors = {}
    if request.method == "POST":
        errors = _update(record, CUSTOMER_FIELDS)
        if not (request.form.get("first_name", "").strip() or request.form.get("last_name", "").strip()):
            errors["first_name"] = "Enter a first or a last name."
        if not errors:
            db.session.commit()
            flash("Customer saved.", "success")
            return redirect(url_for("shop.customer", customer_id=record.id))
        db.session.rollback()
        record = _visible_customer(customer_id)
    return render_template("customer.html", customer=record, errors=errors), 422 if errors else 200


@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
@staff_required
def company(company_id):
    record = db.session.get(Company, company_id) or abort(404)
    errors = {}
    if request.method == "POST":
        errors = _update(record, COMPANY_FIELDS)
        if not request.form.get("name", "").strip():
            errors["name"] = "Enter the company's name."
        if not errors:
            db.session.commit()
            flash("Company saved.", "success")
            return redirect(url_for("shop.company", company_id=record.id))
        db.session.rollback()
        record = db.session.get(Company, company_id)
    customers = visible_customers(current_user, db.select(Customer).where(Customer.company_id == record.id))
    return (
        render_template("company.html", company=record, customers=db.session.scalars(customers).all(), errors=errors),
        422 if errors else 200,
    )


@bp.route("/me")
@login_required
def me():
    """A client's own page: their details and their SMS preferences."""
    if current_user.customer is None:
        abort(404)
    return render_template("me.html", customer=current_user.customer)


def _update(record, fields):
    """Copy the posted fields onto ``record``; {field: error} for values too long to keep."""
    errors = {}
    for field in fields:
        if field not in request.form:
            continue
        value = request.form[field].strip()
        if len(value) > LIMITS.get(field, 200):
            errors[field] = f"At most {LIMITS.get(field, 200)} characters."
        setattr(record, field, value or None if field not in ("first_name", "last_name") else value)
    return errors
