"""Login, logout, account, and the admin pages for people and teams."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from coe import audit
from coe.auth import policy, services, sessions, throttle, tokens
from coe.auth.forms import (ChangePasswordForm, ConfirmForm, ForgotPasswordForm, ImportForm, LoginForm, PersonForm,
                            ProfileForm, SetPasswordForm, TeamForm, time_zone_choices)
from coe.errors import DomainError, security_log
from coe.extensions import db, limiter
from coe.forms import attach_errors, choices, submit
from coe.mail import mail_enabled

bp = Blueprint("auth", __name__)
admin = Blueprint("admin", __name__, url_prefix="/admin")

LOGIN_LIMIT = "10 per minute"


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None  # CR/LF and other controls: a header injection, never a page of this site
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _failed_login(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login, key_func=throttle.login_account_key)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("home.index"))
    if form.validate_on_submit():
        try:
            person = services.authenticate(form.email.data, form.password.data)
        except services.LoginFailed as exc:
            security_log.warning("sign-in failed (%s) from %s", exc.reason, request.remote_addr)
            form.password.errors.append(exc.message)
        else:
            _sign_in(person, remember=form.remember.data)
            response = redirect(safe_next(form.next.data) or url_for("home.index"))
            throttle.remember_device(response, person.email)
            return response
    return render_template("auth/login.html", form=form)


def _sign_in(person, remember: bool = False) -> None:
    """Start a new server-side sign-in with a fresh session: nothing of the previous one carries over."""
    sessions.start(person, remember=remember)
    db.session.commit()
    session.clear()
    login_user(person, remember=remember)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    policy.require(current_user, "account.use")
    form = ConfirmForm()
    if form.validate_on_submit():
        everywhere = request.form.get("scope") == "everywhere"
        person = current_user._get_current_object()
        if everywhere:
            services.end_sessions(person)
            audit.record("person.sessions_ended", person, person)
        else:
            sessions.end_current(person)
        db.session.commit()
        session.clear()
        logout_user()  # after clearing the session: it marks the remember cookie for deletion there
        flash("You are signed out of every device." if everywhere else "You are signed out.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form,
                           others=len(sessions.active_sessions(current_user._get_current_object())) - 1)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    policy.require(current_user, "account.use")
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = ChangePasswordForm(prefix="password")
    profile.time_zone.choices = time_zone_choices()
    if profile.save_profile.data:
        done = submit(profile, lambda: services.update_own_profile(current_user, profile.display_name.data,
                                                                   profile.time_zone.data),
                      "Your profile is saved.", url_for("auth.account"))
        if done:
            return done
    elif password.change_password.data and password.validate_on_submit():
        try:
            services.change_password(current_user, password.current_password.data, password.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            password.current_password.errors.append(exc.message)
        else:
            _sign_in(current_user._get_current_object())
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", profile=profile, password=password,
                           sessions=sessions.active_sessions(current_user._get_current_object()))


# --- one-time links: invitations and password resets --------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=throttle.reset_account_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, lambda link: url_for(
            "auth.set_password", secret=link.secret, _external=True))
        db.session.commit()
        return render_template("auth/forgot_sent.html", mail=mail_enabled())
    return render_template("auth/forgot.html", form=form, mail=mail_enabled())


@bp.route("/password/set/<secret>", methods=["GET", "POST"])
def set_password(secret: str):
    try:
        link = tokens.find_usable(secret)
    except tokens.LinkInvalid as exc:
        return render_template("auth/link_invalid.html", message=exc.message), 410
    person = services.get_person(link.person_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            person = tokens.redeem(secret, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            form.new_password.errors.append(exc.message)
        else:
            _sign_in(person)
            flash("Your password is set and you are signed in. Welcome.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/set_password.html", form=form, person=person, purpose=link.purpose)


# --- admin ----------------------------------------------------------------------------


@admin.before_request
def require_admin():
    policy.require(current_user, "admin.access")


@admin.route("/audit")
def audit_log():
    action = request.args.get("action") or None
    if action not in audit.ACTIONS:
        action = None
    person_id = request.args.get("person", type=int)
    page = audit.events_page(page=request.args.get("page", 1, type=int) or 1, action=action, person_id=person_id)
    person = services.get_person(person_id) if person_id else None
    return render_template("admin/audit.html", page=page, actions=audit.ACTIONS, action=action, person=person)


@admin.route("/people")
def people():
    team_id = request.args.get("team", type=int)
    query = request.args.get("q", "")
    page = services.list_people_page(query=query, team_id=team_id, page=request.args.get("page", 1, type=int) or 1)
    return render_template("admin/people.html", page=page, teams=services.list_teams(), query=query,
                           team_id=team_id, confirm=ConfirmForm())


def _person_form(person=None) -> PersonForm:
    form = PersonForm(obj=person)
    if person is not None and request.method == "GET":
        form.team_id.data = person.team_id or 0
        form.led_team_ids.data = [team.id for team in person.led_teams]
        form.role_profile.data = person.role_profile or ""
    form.fill_choices(services.list_teams(), services.role_profiles(), time_zone_choices())
    return form


def _person_data(form: PersonForm) -> services.PersonData:
    return services.PersonData(
        email=form.email.data or "",
        display_name=form.display_name.data or "",
        team_id=form.team_id.data or None,
        role_profile=form.role_profile.data or None,
        time_zone=(form.time_zone.data or "").strip(),
        is_mentor=form.is_mentor.data,
        is_admin=form.is_admin.data,
        led_team_ids=tuple(form.led_team_ids.data or ()),
    )


def _link_url(link: tokens.IssuedLink) -> str:
    return url_for("auth.set_password", secret=link.secret, _external=True)


@admin.route("/people/new", methods=["GET", "POST"])
def new_person():
    form = _person_form()
    if form.validate_on_submit():
        try:
            person, link = services.create_person_and_invite(_person_data(form), current_user, _link_url,
                                                             invite=form.invite.data)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            if link is not None and not mail_enabled():
                flash(f"{person.display_name} is added. Give them this one-time link to set their password "
                      f"(valid 7 days): {_link_url(link)}", "success")
            elif link is not None:
                flash(f"{person.display_name} is added and invited by email.", "success")
            else:
                flash(f"{person.display_name} is added.", "success")
            return redirect(url_for("admin.edit_person", person_id=person.id))
    return render_template("admin/person_form.html", form=form, person=None, mail=mail_enabled())


@admin.route("/people/<int:person_id>", methods=["GET", "POST"])
def edit_person(person_id: int):
    person = services.get_person(person_id)
    form = _person_form(person)
    done = submit(form, lambda: services.update_person(person, _person_data(form), current_user),
                  f"{person.display_name} is saved.", url_for("admin.people"))
    if done:
        return done
    return render_template("admin/person_form.html", form=form, person=person, confirm=ConfirmForm(),
                           invitation=tokens.invitation_state(person), mail=mail_enabled())


@admin.route("/people/<int:person_id>/link", methods=["POST"])
def new_link(person_id: int):
    person = services.get_person(person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.edit_person", person_id=person.id))
    link = services.invite_person(person, current_user, _link_url)
    db.session.commit()
    if mail_enabled():
        flash(f"A new invitation went to {person.email}. Earlier links no longer work.", "success")
        return redirect(url_for("admin.edit_person", person_id=person.id))
    return render_template("admin/link.html", person=person, url=_link_url(link), valid_for=tokens.VALID_FOR["invitation"])


@admin.route("/people/<int:person_id>/<any(deactivate, reactivate):action>", methods=["POST"])
def set_active(person_id: int, action: str):
    person = services.get_person(person_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.set_active(person, action == "reactivate", acting=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
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
                result = services.import_people_csv(text, invite=form.invite.data, invited_by=current_user,
                                                    link_url=_link_url)
            except services.ImportRejected as exc:
                db.session.rollback()
                errors = exc.errors
            except DomainError as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                db.session.commit()
                if result.links and not mail_enabled():
                    people_by_id = services.people_by_id(result.person_ids)
                    return render_template("admin/import_links.html", links=[
                        (people_by_id[link.person_id], _link_url(link)) for link in result.links])
                flash(f"Imported {len(result.person_ids)} people"
                      + (", and invited them by email." if result.links else "."), "success")
                return redirect(url_for("admin.people"))
    return render_template("admin/import.html", form=form, errors=errors, columns=services.CSV_COLUMNS,
                           mail=mail_enabled())


@admin.route("/teams")
def teams():
    return render_template("admin/teams.html", teams=services.team_overview())


@admin.route("/teams/new", methods=["GET", "POST"])
@admin.route("/teams/<int:team_id>", methods=["GET", "POST"])
def edit_team(team_id: int | None = None):
    team = services.get_team(team_id) if team_id else None
    form = TeamForm(obj=team)
    form.lead_ids.choices = choices((p.id, f"{p.display_name} ({p.email})")
                                    for p in services.list_people(include_inactive=False))
    if team is not None and request.method == "GET":
        form.lead_ids.data = [person.id for person in team.leads]
    done = submit(form, lambda: services.save_team(team, form.name.data, form.description.data or "",
                                                   form.lead_ids.data or []),
                  lambda saved: f"Team {saved.name} is saved.", url_for("admin.teams"))
    if done:
        return done
    return render_template("admin/team_form.html", form=form, team=team)
