"""The built-in CRM's login: its LoginManager, the login and logout pages.

Only the built-in CRM uses them; with a host, crm_sms uses the host's LoginManager and login view.
"""

from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from ..blueprints._views import pages, render
from ..models import db
from ..services.auth import can, person
from . import login_throttle
from .models import User
from .users import authenticate

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to see that page."
login_manager.login_message_category = "info"

bp = pages("auth", __name__)


@login_manager.user_loader
def _load_user(session_token):
    """The active user whose current session token a session or remember-me cookie carries (never an old one)."""
    return db.session.scalar(db.select(User).where(User.session_token == session_token, User.active.is_(True)))


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if can(person(), "crm.view"):
        return redirect(url_for("contacts.index"))
    return redirect(url_for("contacts.me"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data, request.remote_addr
        # Checked before the password, so even the right one is refused while locked out.
        locked = login_throttle.locked(username, address)
        if locked:
            form.form_errors.append(locked.message)
            page, status, headers = render("crm_sms/auth/login.html", form=form, status=429)
            return page, status, {**headers, "Retry-After": str(locked.retry_after)}
        user = authenticate(username, form.password.data)
        if user is not None:
            login_throttle.succeeded(username, address)
            login_user(user, remember=form.remember.data)
            return redirect(local_path(request.args.get("next")) or url_for("auth.index"))
        login_throttle.failed(username, address)
        form.password.errors.append("Wrong username or password.")
    return render("crm_sms/auth/login.html", form=form, status=200 if not form.errors else 401)


def local_path(target):
    """``target`` if it is a path on this site, else None: never a redirect to another host after login.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so an unprintable character or a
    backslash anywhere could turn the path into ``//evil.example``: those, a scheme or a host refuse the target.
    """
    if not target or not target.startswith("/") or "\\" in target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    user = current_user._get_current_object()
    logout_user()
    user.end_sessions()  # a copy of the cookie, or one on another device, is logged out too
    db.session.commit()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
