"""SMS campaigns and mass messages for managers: build a draft, pick recipients, confirm, generate, follow it."""

from flask import flash, redirect, render_template, request, url_for
from markupsafe import Markup
from wtforms import SelectChoice

from ..config import config_value
from ..extension import htmx
from ..models import Message, SenderNumber, Signature, Template, db
from ..models.campaign import LABELS
from ..services import (
    access,
    campaign_plan,
    campaign_progress,
    campaigns,
    frequency,
    mass_messages,
)
from ..services.auth import can, person
from ..services.campaigns import CampaignError
from ._input import integer
from ._views import aware, go, linked, local, pages, paginate, permission_required, render
from .campaign_forms import MODULE_LABELS, CampaignForm, MassMessageForm, sender_and_signature_choices

bp = pages("campaigns", __name__, url_prefix="/sms/campaigns")


@bp.route("")
@permission_required("campaigns.manage")
def index():
    page = paginate(campaigns.all_campaigns())
    return render("crm_sms/campaigns/index.html", page=page, modules=MODULE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("campaigns.manage")
def new():
    return _edit(None)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@permission_required("campaigns.manage")
def edit(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    if not campaign.editable:
        flash(f"Only a draft can be changed; this campaign is {campaign.label.lower()}.", "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return _edit(campaign)


def _edit(campaign):
    form = CampaignForm(obj=campaign)
    if request.method == "GET" and campaign is not None:
        form.send_at.data = local(campaign.send_at)
        form.signature_id.data = campaign.signature_id or 0
    module = form.module.data if form.module.data in MODULE_LABELS else "contacts"
    form.template_id.choices = [SelectChoice(t.id, t.name) for t in campaigns.templates_for(module)]
    sender_and_signature_choices(form)
    if form.validate_on_submit():
        try:
            saved = campaigns.save(
                campaign,
                form.name.data,
                aware(form.send_at.data),
                form.module.data,
                db.session.get(Template, form.template_id.data) if form.template_id.data else None,
                db.session.get(SenderNumber, form.sender_id.data) if form.sender_id.data else None,
                db.session.get(Signature, form.signature_id.data) if form.signature_id.data else None,
                person(),
            )
        except CampaignError as error:
            form[_FIELDS.get(error.field, error.field)].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Saved the campaign “{saved.name}”.", "success")
            return redirect(url_for("campaigns.show", campaign_id=saved.id))
    return render("crm_sms/campaigns/edit.html", status=422 if form.errors else 200, form=form, campaign=campaign)


_FIELDS = {"template": "template_id", "sender": "sender_id", "signature": "signature_id", "status": "name"}


@bp.route("/templates")
@permission_required("campaigns.manage")
def template_choices():
    """The template picker of the form, for the module just chosen."""
    module = request.args.get("module") if request.args.get("module") in MODULE_LABELS else "contacts"
    return render_template("crm_sms/campaigns/_template_choices.html", templates=campaigns.templates_for(module))


@bp.route("/<int:campaign_id>")
@permission_required("campaigns.manage")
def show(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    context = _status_context(campaign)
    db.session.commit()  # the status settled from its messages
    return render(
        "crm_sms/campaigns/show.html",
        campaign=campaign,
        text=campaigns.text_of(campaign),
        **context,
        **_recipients_context(campaign),
        **_messages_context(campaign),
    )


@bp.route("/<int:campaign_id>/status")
@permission_required("campaigns.manage")
def status(campaign_id):
    """Progress, totals and chart; the fragment polls itself while the campaign is under way."""
    campaign = access.campaign(person(), campaign_id)
    context = _status_context(campaign)
    db.session.commit()
    return render("crm_sms/campaigns/_status.html", campaign=campaign, **context)


def _status_context(campaign):
    # While generating, the progress says it all (and stays cheap to poll every second).
    counts = campaign_progress.totals(campaign) if campaign.status not in ("draft", "generating") else {}
    campaign_progress.settle(campaign, counts or None)
    return dict(
        counts=counts,
        totals=campaign_progress.TOTALS,
        timeline=campaign_progress.timeline(campaign) if counts else [],
        skip_reasons=campaign_plan.SKIP_REASONS,
        active=campaign.status in ("generating", "scheduled", "sending"),
    )


@bp.route("/<int:campaign_id>/messages")
@permission_required("campaigns.manage")
def messages(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    return render("crm_sms/campaigns/_messages.html", campaign=campaign, **_messages_context(campaign))


def _messages_context(campaign):
    stmt = (
        db.select(Message)
        .where(Message.campaign_id == campaign.id)
        .options(db.joinedload(Message.contact), db.joinedload(Message.account))
        .order_by(Message.id)
    )
    return dict(message_page=paginate(stmt, "mpage"), polling=campaign.status in ("generating", "scheduled", "sending"))


# Recipients ---------------------------------------------------------------------------------------------------


@bp.route("/<int:campaign_id>/recipients")
@permission_required("campaigns.manage")
def recipients(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    return render("crm_sms/campaigns/_recipients.html", campaign=campaign, **_recipients_context(campaign))


@bp.route("/<int:campaign_id>/candidates")
@permission_required("campaigns.manage")
def candidates(campaign_id):
    """The records matching the search, to tick."""
    campaign = access.campaign(person(), campaign_id)
    q = request.args.get("q", "").strip()
    return render_template(
        "crm_sms/campaigns/_candidates.html", campaign=campaign, q=q, candidates=campaigns.candidates(campaign, q=q)
    )


@bp.route("/<int:campaign_id>/recipients/add", methods=["POST"])
@permission_required("campaigns.manage")
def add_recipients(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    return _change_recipients(
        campaign,
        lambda: campaigns.add_records(campaign, request.form.getlist("record_ids")),
        "Added {} recipient{}.",
    )


@bp.route("/<int:campaign_id>/recipients/filter", methods=["POST"])
@permission_required("campaigns.manage")
def add_filtered(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    form, every = request.form, bool(request.form.get("every"))
    filters = (
        {}
        if every
        else dict(
            q=form.get("q", "").strip() or None,
            **{name: form.get(name, "").strip() or None for name in campaigns.filters_of(campaign.module)},
        )
    )
    return _change_recipients(
        campaign,
        lambda: campaigns.add_matching(campaign, every=every, **filters),
        f"Added {{}} recipient{{}}: all {campaign.module}." if every else "Added {} recipient{} matching the filter.",
    )


@bp.route("/<int:campaign_id>/recipients/remove", methods=["POST"])
@permission_required("campaigns.manage")
def remove_recipients(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    chosen = None if request.form.get("all") else request.form.getlist("recipient_ids", type=integer)
    return _change_recipients(
        campaign, lambda: campaigns.remove_recipients(campaign, chosen), "Removed {} recipient{}."
    )


def _change_recipients(campaign, change, note):
    try:
        count = change()
    except CampaignError as error:
        db.session.rollback()
        notice, status = ("error", str(error)), 422
    else:
        db.session.commit()
        notice, status = ("success", note.format(count, "" if count == 1 else "s")), 200
    if not htmx:
        flash(notice[1], notice[0])
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render(
        "crm_sms/campaigns/show.html",
        "crm_sms/campaigns/_recipients.html",
        status=status,
        campaign=campaign,
        notice=notice,
        text=campaigns.text_of(campaign),
        **_status_context(campaign),
        **_recipients_context(campaign),
        **_messages_context(campaign),
    )


def _recipients_context(campaign):
    skipped = campaign.status != "draft" and request.args.get("skipped") == "1"
    return dict(
        recipient_page=paginate(campaigns.recipients(campaign, skipped), "rpage"),
        skipped_only=skipped,
        skip_text=campaigns.skip_text,
        candidates=campaigns.candidates(campaign) if campaign.editable else [],
        q="",
        filters=campaigns.filters_of(campaign.module),
    )


# Confirm, generate, cancel -------------------------------------------------------------------------------------


@bp.route("/<int:campaign_id>/confirm")
@permission_required("campaigns.manage")
def confirm(campaign_id):
    """Seed 002's confirmation: how many messages, who is skipped and why, segments and cost."""
    campaign = access.campaign(person(), campaign_id)
    return _confirm(campaign)


def _confirm(campaign, error=None, status=200):
    confirmation = None
    if error is None:
        try:
            confirmation = campaigns.confirmation(campaign, person())
        except CampaignError as refused:
            error, status = str(refused), 422
    return render(
        "crm_sms/campaigns/confirm.html",
        status=status,
        campaign=campaign,
        confirmation=confirmation,
        error=error,
        skip_reasons=campaign_plan.SKIP_REASONS,
        price=config_value("PRICE_PER_SEGMENT"),
    )


@bp.route("/<int:campaign_id>/generate", methods=["POST"])
@permission_required("campaigns.manage")
def generate(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    try:
        campaigns.generate(campaign, person())
    except CampaignError as error:
        db.session.rollback()
        return _confirm(campaign, error=str(error), status=422)
    db.session.commit()
    flash("Generating the messages: this page follows the progress.", "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/cancel", methods=["POST"])
@permission_required("campaigns.manage")
def cancel(campaign_id):
    campaign = access.campaign(person(), campaign_id)
    try:
        count = campaigns.cancel(campaign)
    except CampaignError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Canceled the campaign and {count} message{'' if count == 1 else 's'} not sent yet.", "success")
    return go(url_for("campaigns.show", campaign_id=campaign.id))


# Mass messages -------------------------------------------------------------------------------------------------


@bp.route("/mass/new", methods=["GET", "POST"])
@permission_required("campaigns.manage")
def new_mass():
    saved = mass_messages.ensure_saved_messages()
    form = MassMessageForm()
    form.template_id.choices = [SelectChoice(t.id, t.name) for t in saved]
    sender_and_signature_choices(form)
    if form.validate_on_submit():
        template = db.session.get(Template, form.template_id.data) if form.template_id.data else None
        try:
            campaign = mass_messages.create(
                template,
                {"outage.start": aware(form.outage_start.data), "outage.end": aware(form.outage_end.data)},
                db.session.get(SenderNumber, form.sender_id.data) if form.sender_id.data else None,
                db.session.get(Signature, form.signature_id.data) if form.signature_id.data else None,
                aware(form.send_at.data),
                person(),
                type=form.type.data or None,
                city=(form.city.data or "").strip() or None,
            )
        except CampaignError as error:
            form[_MASS_FIELDS.get(error.field, error.field)].errors.append(str(error))
        else:
            db.session.commit()
            return redirect(url_for("campaigns.confirm", campaign_id=campaign.id))
    db.session.commit()  # the saved messages, made on first use
    return render(
        "crm_sms/campaigns/mass.html",
        status=422 if form.errors else 200,
        form=form,
        saved={t.id: mass_messages.saved_message(t) for t in saved},
        field_labels=mass_messages.FIELD_LABELS,
        caps=frequency.describe(),
    )


_MASS_FIELDS = {
    "template": "template_id",
    "sender": "sender_id",
    "name": "template_id",
    "status": "template_id",
    "module": "template_id",
    "filter": "type",
}


# Shared with contact and account pages -------------------------------------------------------------------------


@bp.app_template_global("sms_campaigns")
def campaigns_of(record):
    """The campaigns a contact or account was part of: ``{{ sms_campaigns(contact) }}`` on its page."""
    if not can(person(), "sms.view"):
        return ""
    record = linked(record)
    if record is None:
        return ""
    return Markup(
        render_template(
            "crm_sms/campaigns/_for_record.html", record=record, rows=campaigns.for_record(record), labels=LABELS
        )
    )
