"""The quiz pages: the list, a quiz's intro and your attempts, an attempt, its review."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coe.auth import policy
from coe.errors import DomainError, NotAllowed, NotFound
from coe.extensions import db
from coe.forms import attach_errors
from coe.quizzes import services
from coe.quizzes.forms import AttemptForm, StartForm
from coe.quizzes.models import QuizAttempt

bp = Blueprint("quizzes", __name__)


@bp.route("/quizzes")
def index():
    policy.require(current_user, "quizzes.take")
    competency = request.args.get("competency", "")[:64]
    quizzes = services.live_quizzes(competency)
    return render_template("quizzes/index.html", quizzes=quizzes, competency=competency,
                           passed=services.passed_quiz_ids(current_user.id))


def _show(slug: str, form: StartForm, status: int = 200):
    quiz = services.get_quiz(slug)
    return render_template("quizzes/show.html", quiz=quiz, standing=services.standing(current_user, quiz),
                           questions=len(services.questions_of(quiz)), form=form), status


@bp.route("/quizzes/<slug>")
def show(slug: str):
    policy.require(current_user, "quizzes.take")
    return _show(slug, StartForm())


@bp.route("/quizzes/<slug>/start", methods=["POST"])
def start(slug: str):
    policy.require(current_user, "quizzes.take")
    form = StartForm()
    if form.validate_on_submit():
        try:
            attempt = services.start_attempt(current_user, slug)
        except (NotFound, NotAllowed):
            db.session.rollback()
            raise
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            db.session.commit()
            return redirect(url_for("quizzes.attempt", slug=slug, attempt_id=attempt.id))
    return _show(slug, form, 400)


def _own(slug: str, attempt_id: int) -> QuizAttempt:
    attempt = services.own_attempt(current_user, attempt_id)
    policy.require(current_user, "quizzes.attempt", attempt)
    if attempt.quiz.slug != slug:
        raise NotFound("There is no such attempt among yours.")
    return attempt


def _render_attempt(attempt: QuizAttempt, form: AttemptForm, status: int = 200):
    return render_template("quizzes/attempt.html", quiz=attempt.quiz, attempt=attempt, form=form,
                           questions=services.attempt_questions(attempt), answer_order=services.answer_order,
                           grace=services.GRACE), status


@bp.route("/quizzes/<slug>/attempts/<int:attempt_id>", methods=["GET", "POST"])
def attempt(slug: str, attempt_id: int):
    policy.require(current_user, "quizzes.take")
    attempt = _own(slug, attempt_id)
    form = AttemptForm()
    if attempt.state == "submitted" and request.method == "GET":
        return redirect(url_for("quizzes.review", slug=slug, attempt_id=attempt.id))
    if request.method == "POST" and form.validate_on_submit():
        answers = request.form.to_dict(flat=False)
        try:
            if form.finish.data or attempt.state == "submitted":
                done = services.submit_attempt(current_user, attempt.id, answers)
                db.session.commit()
                if done.late:
                    flash("The time limit had passed: only the answers saved in time were graded.", "warning")
                elif done.graded_now:
                    flash(f"Attempt {done.attempt.number} is graded: {done.attempt.score:g}%.", "success")
                return redirect(url_for("quizzes.review", slug=slug, attempt_id=attempt.id))
            services.save_answers(current_user, attempt.id, answers)
            db.session.commit()
            flash("Your answers are saved. Submit them for grading when you are ready.", "success")
            return redirect(url_for("quizzes.attempt", slug=slug, attempt_id=attempt.id))
        except (NotFound, NotAllowed):
            db.session.rollback()
            raise
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            return _render_attempt(attempt, form, 409)
    return _render_attempt(attempt, form, 400 if request.method == "POST" else 200)


@bp.route("/quizzes/<slug>/attempts/<int:attempt_id>/review")
def review(slug: str, attempt_id: int):
    policy.require(current_user, "quizzes.take")
    attempt = _own(slug, attempt_id)
    if attempt.state != "submitted":
        return redirect(url_for("quizzes.attempt", slug=slug, attempt_id=attempt.id))
    attempt, items, shows = services.review(current_user, attempt.id)
    return render_template("quizzes/review.html", quiz=attempt.quiz, attempt=attempt, items=items, shows=shows,
                           answer_order=services.answer_order)
