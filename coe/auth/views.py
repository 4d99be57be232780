"""Login, logout, account, and the admin pages for people and teams."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from coe.auth import policy, services
from coe.auth.forms import ChangePasswordForm, ConfirmForm, ImportForm, LoginForm, PersonForm, ProfileForm, TeamForm
from coe.errors import DomainError
from coe.extensions import db, limiter

bp = Blueprint("auth", __name__)
admin = Blueprint("admin", __name__, url_prefix="/admin")

LOGIN_LIMIT = "10 per minute"


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def _failed_login(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login, key_func=_login_account_key)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("home.index"))
    if form.validate_on_submit():
        try:
            person = services.authenticate(form.email.data, form.password.data)
        except services.LoginFailed as exc:
            form.password.errors.append(exc.message)
        else:
            db.session.commit()
            session.clear()
            login_user(person, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    policy.require(current_user, "account.use")
    form = ConfirmForm()
    if form.validate_on_submit():
        services.end_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are signed out. Every session of your account has ended.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    policy.require(current_user, "account.use")
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = ChangePasswordForm(prefix="password")
    if profile.save_profile.data and profile.validate_on_submit():
        try:
            services.update_own_profile(current_user, profile.display_name.data, profile.time_zone.data)
        except DomainError as exc:
            profile.time_zone.errors.append(exc.message)
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("auth.account"))
    elif password.change_password.data and password.validate_on_submit():
        try:
            services.change_password(current_user, password.current_password.data, password.new_password.data)
        except DomainError as exc:
            password.current_password.errors.append(exc.message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", profile=profile, password=password)


# --- admin ----------------------------------------------------------------------------


@admin.before_request
def require_admin():
    policy.require(current_user, "admin.access")


@admin.route("/")
def index():
    return redirect(url_for("admin.people"))


@admin.route("/people")
def people():
    team_id = request.args.get("team", type=int)
    query = request.args.get("q", "")
    return render_template(
        "admin/people.html",
        people=services.list_people(query=query, team_id=team_id),
        teams=services.list_teams(),
        profiles=dict(services.role_profiles()),
        query=query,
        team_id=team_id,
        confirm=ConfirmForm(),
    )


def _person_form(person=None) -> PersonForm:
    form = PersonForm(obj=person)
    if person is not None and request.method == "GET":
        form.team_id.data = person.team_id or 0
        form.led_team_ids.data = [team.id for team in person.led_teams]
        form.role_profile.data = person.role_profile or ""
    form.fill_choices(services.list_teams(), services.role_profiles())
    return form


def _person_data(form: PersonForm) -> services.PersonData:
    return services.PersonData(
        email=form.email.data,
        display_name=form.display_name.data,
        team_id=form.team_id.data or None,
        role_profile=form.role_profile.data or None,
        time_zone=form.time_zone.data.strip(),
        is_mentor=form.is_mentor.data,
        is_admin=form.is_admin.data,
        led_team_ids=tuple(form.led_team_ids.data or ()),
    )


@admin.route("/people/new", methods=["GET", "POST"])
def new_person():
    form = _person_form()
    if form.validate_on_submit():
        try:
            person = services.create_person(_person_data(form), password=form.password.data or None)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"{person.display_name} is added.", "success")
            return redirect(url_for("admin.people"))
    return render_template("admin/person_form.html", form=form, person=None)


@admin.route("/people/<int:person_id>", methods=["GET", "POST"])
def edit_person(person_id: int):
    person = services.get_person(person_id)
    form = _person_form(person)
    if form.validate_on_submit():
        try:
            services.update_person(person, _person_data(form))
            if form.password.data:
                services.set_password(person, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            if form.password.data and person.id == current_user.id:
                login_user(person)  # the new password ended every session, this one included
            flash(f"{person.display_name} is saved.", "success")
            return redirect(url_for("admin.people"))
    return render_template("admin/person_form.html", form=form, person=person, confirm=ConfirmForm())


@admin.route("/people/<int:person_id>/<any(deactivate, reactivate):action>", methods=["POST"])
def set_active(person_id: int, action: str):
    person = services.get_person(person_id)
    services.set_active(person, action == "reactivate", acting=current_user)
    db.session.commit()
    flash(f"{person.display_name} is {action}d.", "success")
    return redirect(url_for("admin.people"))


@admin.route("/people/import", methods=["GET", "POST"])
def import_people():
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            form.file.errors.append("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        else:
            try:
                imported = services.import_people_csv(text)
            except services.ImportRejected as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                flash(f"Imported {len(imported)} people.", "success")
                return redirect(url_for("admin.people"))
    return render_template("admin/import.html", form=form, errors=errors, columns=services.CSV_COLUMNS)


@admin.route("/teams")
def teams():
    return render_template("admin/teams.html", teams=services.list_teams())


@admin.route("/teams/new", methods=["GET", "POST"])
@admin.route("/teams/<int:team_id>", methods=["GET", "POST"])
def edit_team(team_id: int | None = None):
    team = services.get_team(team_id) if team_id else None
    form = TeamForm(obj=team)
    form.lead_ids.choices = [(p.id, f"{p.display_name} ({p.email})")
                             for p in services.list_people(include_inactive=False)]
    if team is not None and request.method == "GET":
        form.lead_ids.data = [person.id for person in team.leads]
    if form.validate_on_submit():
        try:
            if team is None:
                team = services.create_team(form.name.data, form.description.data or "")
            services.update_team(team, form.name.data, form.description.data or "", form.lead_ids.data or [])
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"Team {team.name} is saved.", "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team)
