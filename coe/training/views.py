"""Track pages: catalogue, a track and its steps, enrolment, practice tasks and their review, certificates."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coe.auth import policy
from coe.competency.models import LEVEL_NAMES
from coe.competency.services import competency_names
from coe.forms import submit
from coe.registry import registry
from coe.training import services
from coe.training.forms import ActionForm, ReviewForm, SubmissionForm
from coe.training.models import STEP_KIND_LABELS

bp = Blueprint("training", __name__)


def _button(action, success, then: str):
    """Run a one-click action; a refusal is flashed on the page the person returns to."""
    form = ActionForm()
    done = submit(form, action, success, then)
    if done:
        return done
    for error in form.form_errors:
        flash(error, "danger")
    return redirect(then)


@bp.route("/tracks")
def catalogue():
    policy.require(current_user, "training.use")
    role, competency = request.args.get("role", ""), request.args.get("competency", "")
    entries, recommended = services.catalogue(current_user, role, competency)
    return render_template("training/catalogue.html", entries=entries, recommended=recommended, role=role,
                           competency=competency, roles=registry().role_profiles(), names=competency_names(),
                           level_names=LEVEL_NAMES, form=ActionForm())


@bp.route("/tracks/<slug>")
def track(slug: str):
    policy.require(current_user, "training.use")
    progress = services.track_page(slug, current_user)
    return render_template("training/track.html", progress=progress, track=progress.track, names=competency_names(),
                           level_names=LEVEL_NAMES, form=ActionForm(), roles=dict(registry().role_profiles()))


@bp.route("/tracks/<slug>/enrol", methods=["POST"])
def enrol(slug: str):
    policy.require(current_user, "training.use")
    return _button(lambda: services.enrol(current_user, slug),
                   lambda enrolment: f"You are enrolled in “{enrolment.track.title}”. Start with the first step.",
                   url_for("training.track", slug=slug))


@bp.route("/tracks/<slug>/leave", methods=["POST"])
def leave(slug: str):
    policy.require(current_user, "training.use")
    return _button(lambda: services.leave(current_user, slug),
                   "You have left the track. The steps you completed are kept if you come back.",
                   url_for("training.track", slug=slug))


@bp.route("/tracks/<slug>/steps/<key>/read", methods=["POST"])
def mark_read(slug: str, key: str):
    policy.require(current_user, "training.use")
    back = request.form.get("next", "")
    then = back if back.startswith("/library/") else url_for("training.track", slug=slug)
    return _button(lambda: services.mark_read(current_user, slug, key),
                   lambda step: f"“{step.title}” is marked as read.", then)


@bp.route("/tracks/<slug>/steps/<key>", methods=["GET", "POST"])
def step(slug: str, key: str):
    policy.require(current_user, "training.use")
    page = services.step_page(current_user, slug, key)
    form = SubmissionForm()
    if request.method == "POST":
        done = submit(form, lambda: services.submit(current_user, slug, key, form.text.data or "", form.link.data or ""),
                      "Submitted. Your lead or mentor reviews it; you will see their answer here.",
                      url_for("training.step", slug=slug, key=key))
        if done:
            return done
    return render_template("training/step.html", page=page, track=page.progress.track, state=page.state, form=form,
                           kind_labels=STEP_KIND_LABELS)


@bp.route("/tracks/reviews")
def reviews():
    policy.require(current_user, "training.use")
    page = max(1, request.args.get("page", 1, type=int) or 1)
    submissions, total = services.review_queue(current_user, page)
    return render_template("training/reviews.html", submissions=submissions, total=total, page=page,
                           per_page=services.QUEUE_PAGE)


@bp.route("/tracks/submissions/<int:submission_id>", methods=["GET", "POST"])
def submission(submission_id: int):
    item = services.get_submission(submission_id)
    policy.require(current_user, "training.view", item.person)
    can_review = policy.can(current_user, "training.review", item.person)
    form = ReviewForm()
    if request.method == "POST":
        policy.require(current_user, "training.review", item.person)
        done = submit(form, lambda: services.review(current_user, submission_id, bool(form.approve.data),
                                                    form.comment.data or ""),
                      lambda s: "Approved: the step is complete." if s.state == "approved"
                      else "Sent back with your comment.", url_for("training.reviews"))
        if done:
            return done
    return render_template("training/submission.html", item=item, form=form, can_review=can_review,
                           kind_labels=STEP_KIND_LABELS)


@bp.route("/tracks/<slug>/certificate")
def certificate(slug: str):
    policy.require(current_user, "training.use")
    cert = services.certificate_of(current_user, slug)
    return render_template("training/certificate.html", cert=cert, names=competency_names(), level_names=LEVEL_NAMES,
                           verify_url=url_for("training.verify_certificate", code=cert.code, _external=True))


@bp.route("/certificates/<code>")
def verify_certificate(code: str):
    cert = services.verify_certificate(code)
    return render_template("training/verify.html", cert=cert)
