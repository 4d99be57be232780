"""Mentor matches and profiles, requests, availability, bookings, calendar files and notifications."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coe.auth import policy
from coe.auth.people import time_zone_names
from coe.competency.services import competency_names
from coe.errors import Conflict
from coe.extensions import db
from coe.forms import choices, submit
from coe.mentoring import services
from coe.mentoring.forms import (AnswerForm, AssignForm, BookForm, CohortForm, EndForm, ExceptionForm, LanguagesForm,
                                 NoteForm, PlainForm, ProfileForm, RatingForm, ReasonForm, RequestForm, RescheduleForm,
                                 SignOffForm, WindowForm)
from coe.mentoring.matching import LANGUAGE_NAMES, language_name

bp = Blueprint("mentoring", __name__)
SLOT_DAYS = 21  # free slots shown on a mentor's page


def _competency_pairs() -> list[tuple[str, str]]:
    """(code, name) of every live competency, by name."""
    return sorted(competency_names().items(), key=lambda item: item[1])


def _competency_choices(blank: str | None = None):
    return choices(([("", blank)] if blank is not None else []) + _competency_pairs())


def _parse_start(value: str) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        abort(400)
    return start if start.tzinfo else start.replace(tzinfo=dt.timezone.utc)


@bp.route("/mentors")
def mentors():
    policy.require(current_user, "mentoring.use")
    competency, language = request.args.get("competency", ""), request.args.get("language", "")
    matches = services.matches_for(current_user, competency, language)
    languages = LanguagesForm(languages=", ".join(services.languages_of(current_user.id)))
    return render_template("mentoring/mentors.html", matches=matches, competency=competency, language=language,
                           names=competency_names(), language_choices=sorted(LANGUAGE_NAMES.items(), key=lambda i: i[1]),
                           languages=languages)


@bp.route("/mentors/languages", methods=["POST"])
def save_languages():
    policy.require(current_user, "mentoring.use")
    form = LanguagesForm()
    done = submit(form, lambda: services.save_languages(current_user, (form.languages.data or "").split(",")),
                  "Your languages are saved: mentors who speak them rank higher.", url_for("mentoring.mentors"))
    if done:
        return done
    flash(" ".join(form.form_errors + form.languages.errors) or "Those languages could not be saved.", "danger")
    return redirect(url_for("mentoring.mentors"))


def _mentor_page(mentor_id: int, request_form: RequestForm | None = None, book_form: BookForm | None = None,
                 status: int = 200):
    profile = services.mentor_profile(mentor_id)
    mentorship = services.active_mentorship(mentor_id, current_user.id)
    free = services.free_slots(mentor_id)
    shown = [slot for slot in free if slot.start < services.now() + dt.timedelta(days=SLOT_DAYS)]
    # Each form only where the page shows it: booking for the mentor's mentee, the request for anyone else.
    pairs, selected = _competency_pairs(), set()
    if mentorship is not None:
        book_form = book_form or BookForm()
        book_form.competency.choices = _competency_choices("— none —")
    elif mentor_id != current_user.id:
        request_form = request_form or RequestForm()
        request_form.focus.choices = choices(pairs)
        selected = set(request_form.focus.data or ())
    level_of = services.validated_levels([mentor_id]).get(mentor_id, {})
    return render_template("mentoring/mentor.html", profile=profile, mentor=profile.person, mentorship=mentorship,
                           slots=shown, bio=services.bio_html(profile.bio), names=competency_names(),
                           levels=level_of, request_form=request_form, book_form=book_form,
                           language_name=language_name, zone=current_user.time_zone or "UTC",
                           focus_choices=pairs, focus_selected=selected), status


@bp.route("/mentors/<int:mentor_id>")
def mentor(mentor_id: int):
    policy.require(current_user, "mentoring.use")
    return _mentor_page(mentor_id)


@bp.route("/mentors/<int:mentor_id>/request", methods=["POST"])
def request_mentor(mentor_id: int):
    policy.require(current_user, "mentoring.use")
    form = RequestForm()
    form.focus.choices = _competency_choices()
    done = submit(form, lambda: services.request_mentor(current_user, mentor_id, form.goals.data, form.focus.data or []),
                  "Your request is sent. The mentor has 7 days to answer; you will be told either way.",
                  url_for("mentoring.mentor", mentor_id=mentor_id))
    return done or _mentor_page(mentor_id, request_form=form, status=400)


@bp.route("/mentors/<int:mentor_id>/book", methods=["POST"])
def book(mentor_id: int):
    policy.require(current_user, "mentoring.use")
    form = BookForm()
    form.competency.choices = _competency_choices("— none —")
    if form.validate_on_submit():
        start = _parse_start(form.start.data)
        try:
            services.book(current_user, mentor_id, start, form.topic.data, form.competency.data or "")
        except Conflict as error:
            db.session.rollback()
            if error.message == services.JUST_TAKEN:
                return render_template("mentoring/taken.html", mentor_id=mentor_id), 409
            raise
        db.session.commit()
        flash("The session is booked. Add it to your calendar with the .ics link.", "success")
        return redirect(url_for("mentoring.bookings"))
    return _mentor_page(mentor_id, book_form=form, status=400)


@bp.route("/bookings")
def bookings():
    policy.require(current_user, "mentoring.use")
    lists = services.bookings_of(current_user)
    records = services.session_records(current_user, [b.id for b in lists.past + lists.upcoming])
    signoff = SignOffForm()
    signoff.competency.choices = _competency_choices()
    return render_template("mentoring/bookings.html", lists=lists, records=records, reason=ReasonForm(),
                           note=NoteForm(), rating=RatingForm(), signoff=signoff, plain=PlainForm(),
                           has_feed=services.has_feed(current_user), mentorships=services.mentorships_of(current_user),
                           end=EndForm(), now=services.now(), zone=current_user.time_zone or "UTC",
                           names=competency_names())


@bp.route("/bookings/<int:booking_id>.ics")
def booking_ics(booking_id: int):
    policy.require(current_user, "mentoring.use")
    booking = services.booking_of(current_user, booking_id)
    from coe.mentoring import calendar  # icalendar is loaded when a calendar file is asked for

    return Response(calendar.booking_ics(booking), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="mentoring-session-{booking.id}.ics"',
                             "Cache-Control": "private, no-store"})


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
def cancel(booking_id: int):
    policy.require(current_user, "mentoring.use")
    form = ReasonForm()
    done = submit(form, lambda: services.cancel(current_user, booking_id, form.reason.data),
                  "The session is cancelled; the other person is told.", url_for("mentoring.bookings"))
    return done or _form_problem(form)


def _form_problem(form):
    """Show what was wrong with a small form posted from the bookings page."""
    errors = list(form.form_errors) + [e for field in form for e in field.errors]
    flash(" ".join(errors) or "Nothing was changed.", "danger")
    return redirect(url_for("mentoring.bookings"))


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
def reschedule(booking_id: int):
    policy.require(current_user, "mentoring.use")
    booking = services.booking_of(current_user, booking_id)
    form = RescheduleForm()
    zone = current_user.time_zone or "UTC"
    from zoneinfo import ZoneInfo

    form.start.choices = choices((slot.start.isoformat(), f"{slot.start.astimezone(ZoneInfo(zone)):%a %d %b %H:%M}")
                                 for slot in services.free_slots(booking.mentor_id, ignore_booking=booking.id)[:200])
    if form.validate_on_submit():
        try:
            services.reschedule(current_user, booking.id, _parse_start(form.start.data), form.reason.data)
        except Conflict as error:
            db.session.rollback()
            if error.message == services.JUST_TAKEN:
                return render_template("mentoring/taken.html", mentor_id=booking.mentor_id), 409
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash("The session is moved; the other person is told.", "success")
            return redirect(url_for("mentoring.bookings"))
    return render_template("mentoring/reschedule.html", booking=booking, form=form, zone=zone)


@bp.route("/bookings/<int:booking_id>/notes", methods=["POST"])
def add_note(booking_id: int):
    policy.require(current_user, "mentoring.use")
    form = NoteForm()
    done = submit(form, lambda: services.add_note(current_user, booking_id, form.body.data),
                  "The note is saved. Only the two of you see it.", url_for("mentoring.bookings") + f"#booking-{booking_id}")
    return done or _form_problem(form)


@bp.route("/bookings/<int:booking_id>/rating", methods=["POST"])
def rate(booking_id: int):
    policy.require(current_user, "mentoring.use")
    form = RatingForm()
    done = submit(form, lambda: services.rate(current_user, booking_id, form.stars.data, form.comment.data or ""),
                  "Thank you: your rating helps other mentees choose.", url_for("mentoring.bookings"))
    return done or _form_problem(form)


@bp.route("/bookings/<int:booking_id>/signoff", methods=["POST"])
def sign_off(booking_id: int):
    policy.require(current_user, "mentoring.use")
    form = SignOffForm()
    form.competency.choices = _competency_choices()
    done = submit(form, lambda: services.sign_off(current_user, booking_id, form.competency.data, form.level.data,
                                                  form.note.data or ""),
                  "Progress signed off: it is recorded as evidence on the mentee's profile.",
                  url_for("mentoring.bookings"))
    return done or _form_problem(form)


@bp.route("/bookings/feed", methods=["POST"])
def regenerate_feed():
    policy.require(current_user, "mentoring.use")
    form = PlainForm()
    if not form.validate_on_submit():
        abort(400)
    token = services.regenerate_feed(current_user)
    db.session.commit()
    address = url_for("mentoring.calendar_feed", token=token, _external=True)
    flash(f"Your calendar address (any older one no longer works; keep it private): {address}", "success")
    return redirect(url_for("mentoring.bookings"))


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    person, items = services.feed_bookings(token)
    from coe.mentoring import calendar

    return Response(calendar.feed_ics(items, f"Mentoring — {person.display_name}"), mimetype="text/calendar",
                    headers={"Cache-Control": "private, no-store"})


@bp.route("/mentorships/<int:mentorship_id>/end", methods=["POST"])
def end(mentorship_id: int):
    policy.require(current_user, "mentoring.use")
    form = EndForm()
    done = submit(form, lambda: services.end_mentorship(current_user, mentorship_id, form.reflection.data),
                  "The mentorship is ended. Thank you for the reflection.", url_for("mentoring.bookings"))
    return done or _form_problem(form)


@bp.route("/notifications")
def notifications():
    policy.require(current_user, "mentoring.use")
    return render_template("mentoring/notifications.html", items=services.notifications(current_user.id),
                           plain=PlainForm())


@bp.route("/notifications/read", methods=["POST"])
def mark_read():
    policy.require(current_user, "mentoring.use")
    form = PlainForm()
    done = submit(form, lambda: services.mark_read(current_user.id), "Every notification is marked read.",
                  url_for("mentoring.notifications"))
    return done or abort(400)


# --- The mentor's pages ----------------------------------------------------------------------------------------------


@bp.route("/mentor/profile", methods=["GET", "POST"])
def profile():
    policy.require(current_user, "mentoring.mentor")
    existing = services.get_profile(current_user.id)
    form = ProfileForm(obj=existing) if request.method == "GET" and existing else ProfileForm()
    if request.method == "GET":
        form.languages.data = ", ".join(existing.languages) if existing else ""
        form.time_zone.data = existing.time_zone if existing else current_user.time_zone
    form.competencies.choices = _competency_choices()
    form.time_zone.choices = sorted(time_zone_names())
    done = submit(form, lambda: services.save_profile(current_user, services.ProfileData(
        form.bio.data or "", tuple(form.competencies.data or ()), tuple((form.languages.data or "").split(",")),
        form.time_zone.data, form.capacity.data, form.accepting.data, form.session_minutes.data,
        form.buffer_minutes.data, form.notice_hours.data, form.horizon_days.data)),
        "Your mentor profile is saved.", url_for("mentoring.mentor", mentor_id=current_user.id))
    return done or render_template("mentoring/profile_form.html", form=form)


@bp.route("/mentor/availability", methods=["GET", "POST"])
def availability():
    policy.require(current_user, "mentoring.mentor")
    window, exception = WindowForm(prefix="window"), ExceptionForm(prefix="exception")
    then = url_for("mentoring.availability")
    if "window-add_window" in request.form:
        done = submit(window, lambda: services.add_window(current_user, window.weekday.data, window.start.data,
                                                          window.end.data), "The window is added.", then)
        if done:
            return done
    elif "exception-add_exception" in request.form:
        done = submit(exception, lambda: services.add_exception(
            current_user, exception.day.data, exception.kind.data == "blocked", exception.start.data,
            exception.end.data), "The exception is added.", then)
        if done:
            return done
    elif request.method == "POST":
        abort(400)
    windows, exceptions = services.availability(current_user.id)
    profile = services.get_profile(current_user.id)
    free = services.free_slots(current_user.id)[:12] if profile else []
    return render_template("mentoring/availability.html", window=window, exception=exception, windows=windows,
                           exceptions=exceptions, profile=profile, free=free, plain=PlainForm(),
                           weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                           zone=current_user.time_zone or "UTC")


@bp.route("/mentor/availability/<any(window, exception):kind>/<int:item_id>/delete", methods=["POST"])
def remove_availability(kind: str, item_id: int):
    policy.require(current_user, "mentoring.mentor")
    form = PlainForm()
    done = submit(form, lambda: services.remove_availability(current_user, kind, item_id), "Removed.",
                  url_for("mentoring.availability"))
    return done or abort(400)


@bp.route("/mentor/requests")
def requests():
    policy.require(current_user, "mentoring.mentor")
    return render_template("mentoring/requests.html", items=services.requests_for(current_user), form=AnswerForm(),
                           names=competency_names())


@bp.route("/mentor/requests/<int:mentorship_id>", methods=["POST"])
def answer(mentorship_id: int):
    policy.require(current_user, "mentoring.mentor")
    form = AnswerForm()
    accept = bool(form.accept.data)
    done = submit(form, lambda: services.answer_request(current_user, mentorship_id, accept, form.message.data or ""),
                  "Accepted: your new mentee is told and can book a session." if accept else
                  "Declined: the mentee is told and can ask another mentor.", url_for("mentoring.requests"))
    if done:
        return done
    return render_template("mentoring/requests.html", items=services.requests_for(current_user), form=form,
                           names=competency_names()), 409 if form.form_errors else 400


@bp.route("/mentor/mentees")
def mentees():
    policy.require(current_user, "mentoring.mentor")
    return render_template("mentoring/mentees.html", items=services.mentees_of(current_user), end=EndForm(),
                           names=competency_names())


# --- Leads and admins ------------------------------------------------------------------------------------------------


def _cohort_form() -> CohortForm:
    form = CohortForm()
    people, mentors = services.cohort_choices(current_user)
    form.mentees.choices = [(p.id, p.display_name) for p in people]
    form.mentors.choices = [(p.id, p.display_name) for p in mentors]
    return form


@bp.route("/mentoring/cohort", methods=["GET", "POST"])
def cohort():
    policy.require(current_user, "mentoring.cohort")
    form = _cohort_form()
    assign = AssignForm(prefix="assign")
    assign.mentee_id.choices, assign.mentor_id.choices = form.mentees.choices, form.mentors.choices
    result = None
    if form.validate_on_submit():
        if form.publish.data:
            done = submit(form, lambda: services.cohort_publish(current_user, form.mentees.data, form.mentors.data),
                          lambda created: f"{len(created)} mentorships are created; each mentee and mentor is told.",
                          url_for("mentoring.cohort"))
            if done:
                return done
        else:
            result = services.cohort_preview(current_user, form.mentees.data, form.mentors.data)
    return render_template("mentoring/cohort.html", form=form, result=result, assign=assign)


@bp.route("/mentoring/assign", methods=["POST"])
def assign():
    policy.require(current_user, "mentoring.cohort")
    form = AssignForm(prefix="assign")
    people, mentors = services.cohort_choices(current_user)
    form.mentee_id.choices = [(p.id, p.display_name) for p in people]
    form.mentor_id.choices = [(p.id, p.display_name) for p in mentors]
    done = submit(form, lambda: services.assign_mentor(current_user, form.mentee_id.data, form.mentor_id.data),
                  "The mentor is assigned; both are told.", url_for("mentoring.cohort"))
    return done or _cohort_problem(form)


def _cohort_problem(form):
    errors = list(form.form_errors) + [e for field in form for e in field.errors]
    flash(" ".join(errors) or "Nothing was changed.", "danger")
    return redirect(url_for("mentoring.cohort"))
