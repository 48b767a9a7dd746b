"""SMS templates for managers: the list, the form with its variables and live preview, delete."""

from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from ..extension import htmx
from ..models import db
from ..services import access, rendering, segments, templates
from ..services.auth import person
from ..services.rendering import RenderError
from ..services.templates import TemplateError
from ._views import pages, permission_required, render

bp = pages("templates", __name__, url_prefix="/sms/templates")

MODULE_LABELS = {"contacts": "Contacts", "accounts": "Accounts"}


class TemplateForm(FlaskForm):
    # The service checks every field, so its messages (not WTForms' "Not a valid choice") are what people read.
    name = StringField("Name")
    module = SelectField(
        "Module", validate_choice=False, choices=[SelectChoice(key, label) for key, label in MODULE_LABELS.items()]
    )
    body = TextAreaField("Message")


@bp.route("")
@permission_required("templates.manage")
def index():
    return _list()


@bp.route("/new", methods=["GET", "POST"])
@permission_required("templates.manage")
def new():
    return _edit(None)


@bp.route("/<int:template_id>", methods=["GET", "POST"])
@permission_required("templates.manage")
def edit(template_id):
    return _edit(access.template(person(), template_id))


@bp.route("/<int:template_id>/delete", methods=["POST"])
@permission_required("templates.manage")
def delete(template_id):
    template = access.template(person(), template_id)
    name = template.name
    try:
        templates.delete(template)
    except TemplateError as error:
        note, category, status = str(error), "error", 422
    else:
        db.session.commit()
        note, category, status = f"Deleted the template “{name}”.", "success", 200
    if htmx:
        return _list(notice=(category, note), status=status)
    flash(note, category)
    return redirect(url_for("templates.index"))


@bp.route("/variables")
@permission_required("templates.manage")
def variables():
    """The variables picker of the form, for the module just chosen."""
    module = _module(request.args.get("module"))
    return render("crm_sms/templates/_variables.html", variables=rendering.variables(module))


@bp.route("/records")
@permission_required("templates.manage")
def records():
    """The records a preview can be made with: the first ones by name, or those matching the search."""
    module = _module(request.args.get("module"))
    query = request.args.get("q", "").strip()
    html, status, headers = render(
        "crm_sms/templates/_records.html", module=module, q=query, records=templates.records(module, query)
    )
    # The chosen record changed without a "change" event: the preview listens for this one instead.
    return html, status, {**headers, "HX-Trigger-After-Settle": "template-records-changed"}


@bp.route("/preview", methods=["POST"])
@permission_required("templates.manage")
def preview():
    """What the chosen record would read, with the segment count; an unknown variable is named instead."""
    module = _module(request.form.get("module"))
    record = templates.record(module, request.form.get("record_id"))
    return render("crm_sms/templates/_preview.html", **_preview(request.form.get("body"), record, module))


def _list(notice=None, status=200):
    rows = [(t, segments.count(t.body)) for t in templates.all_templates()]
    return render(
        "crm_sms/templates/index.html",
        "crm_sms/templates/_table.html",
        status=status,
        rows=rows,
        modules=MODULE_LABELS,
        notice=notice,
    )


def _edit(template):
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            saved = templates.save(template, form.name.data, form.module.data, form.body.data, person())
        except TemplateError as error:
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved the template “{saved.name}”.", "success")
            return redirect(url_for("templates.index"))
    module = _module(form.module.data)
    records = templates.records(module)
    return render(
        "crm_sms/templates/edit.html",
        status=422 if form.errors else 200,
        form=form,
        sms_template=template,
        module=module,
        variables=rendering.variables(module),
        records=records,
        q="",
        **_preview(form.body.data, records[0] if records else None, module),
    )


def _preview(body, record, module):
    try:
        return dict(preview=templates.preview(body, record, module), preview_error=None, record=record)
    except RenderError as error:
        return dict(preview=None, preview_error=str(error), record=record)


def _module(value):
    return value if value in MODULE_LABELS else "contacts"
